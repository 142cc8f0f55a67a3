"""Reading official-layout 様式 files built by the tests from the definitions: .docx, .xlsx and pdftotext text,
each exact / with one differing label / one missing item / one extra label; bad files are refused in Japanese."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.domain.formverify import verify
from app.services.catalogue import catalogue
from app.services.formfiles import FormFileError, docx_rows, read_rows
from tests import formfiles as tf

BUILDERS = {"docx": tf.build_docx, "xlsx": tf.build_xlsx, "txt": tf.build_txt}


def _variants(d):
    e = tf.first_numbered_item(d, "②")
    return {
        "exact": (None, {"match": len(tf.expected_entries(d)), "differs": 0, "missing": 0, "extra": 0}, None),
        "differs": (tf.Variant(relabel={e.key: e.label + "等"}), {"differs": 1, "missing": 0, "extra": 0}, e.key),
        "missing": (tf.Variant(drop={e.key}), {"differs": 0, "missing": 1, "extra": 0}, e.key),
        "extra": (tf.Variant(add_after={e.key: ("③", "様式にない項目")}), {"differs": 0, "missing": 0, "extra": 1}, ""),
    }


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("variant", ["exact", "differs", "missing", "extra"])
@pytest.mark.parametrize("key", ["basic/r06-10", "full/r06-10"])
def test_official_layout_files(kind, variant, key):
    d = catalogue().get(*key.split("/"))
    v, counts, item = _variants(d)[variant]
    result = verify(d, read_rows(f"yoshiki.{kind}", BUILDERS[kind](d, v)))
    assert {k: result.counts[k] for k in counts} == counts
    changed = [r for r in result.rows if r.status != "match"]
    assert [r.key for r in changed] == ([] if variant == "exact" else [item])
    if variant == "differs":
        assert changed[0].what == ("label",) and changed[0].found.endswith("等")


def test_wrapped_text_lines_and_a_differing_choice():
    d = catalogue().get("focused", "r06-10")
    item = next(e for e in tf.expected_entries(d) if e.choices and len(e.choices) > 2)
    data = tf.build_txt(d, wrap=7)
    assert verify(d, read_rows("a.txt", data)).ok
    changed = data.decode().replace(f"2) {item.choices[1]}", f"2) {item.choices[1]}など", 1).encode()
    rows = [r for r in verify(d, read_rows("a.txt", changed)).rows if r.status != "match"]
    assert [(r.key, r.what) for r in rows] == [(item.key, ("choices",))]


@pytest.mark.parametrize(("key", "variant"), [("basic/r06-10", "exact"), ("full/r06-10", "differs")])
def test_real_pdftotext_output(tmp_path, key, variant):
    """LibreOffice prints the official-layout .docx to PDF; the real `pdftotext -layout` wraps labels and choices."""
    d = catalogue().get(*key.split("/"))
    v, counts, _item = _variants(d)[variant]
    text = tf.pdftotext_of_docx(tf.build_docx(d, v), tmp_path)
    if text is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    result = verify(d, read_rows("yoshiki.txt", text))
    assert {k: result.counts[k] for k in counts} == counts, [r for r in result.rows if r.status != "match"][:5]


def test_docx_merged_cells_are_read_once():
    from docx import Document

    doc = Document()
    t = doc.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 2)).text = "Ⅰ 基本情報"          # horizontal
    t.cell(1, 0).text = "1."
    t.cell(1, 1).merge(t.cell(1, 2)).text = "特定個人情報ファイル名"
    v = doc.add_table(rows=2, cols=2)
    v.cell(0, 0).merge(v.cell(1, 0)).text = "①"                     # vertical
    v.cell(0, 1).text, v.cell(1, 1).text = "事務の名称", "事務の内容"
    buf = io.BytesIO()
    doc.save(buf)
    assert [cells for _, cells in docx_rows(buf.getvalue())] == [
        ["Ⅰ 基本情報"], ["1.", "特定個人情報ファイル名"], ["①", "事務の名称"], ["事務の内容"]]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("yoshiki.pdf", b"%PDF-1.4", "照合できるのは"),
    ("yoshiki.doc", b"\xd0\xcf\x11\xe0", "照合できるのは"),
    ("yoshiki", b"abc", "照合できるのは"),
    ("yoshiki.docx", b"", "空です"),
    ("yoshiki.docx", b"not a zip", "読み込めません"),
    ("yoshiki.xlsx", _zip({"a.txt": b"x"}), "Excel ファイルとして読み込めません"),
    ("yoshiki.docx", _zip({"a.txt": b"x"}), "Word ファイルとして読み込めません"),
    ("yoshiki.docx", _zip({"bomb.xml": b"\0" * (101 * 1024 * 1024)}), "展開後の大きさ"),
    ("yoshiki.txt", "様式".encode("cp932"), "UTF-8"),
    ("yoshiki.txt", b"a" * 2001, "大きすぎます"),
])
def test_bad_files_are_refused_in_japanese(name, data, message):
    with pytest.raises(FormFileError) as err:
        read_rows(name, data, max_bytes=2000 if len(data) == 2001 else 10 * 1024 * 1024)
    assert message in str(err.value)
