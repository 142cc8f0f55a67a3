"""`spia forms verify FORM_VERSION FILE [--json] [--write-patch DIR]`: exit codes, JSON shape, the patch version."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import ROOT, get_settings
from app.services import catalogue as cat
from tests import formfiles as tf

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


@pytest.fixture
def forms_dir(tmp_path, monkeypatch):
    """A copy of assessments/ as SPIA_FORMS_DIR (the patch version is written into it)."""
    base = tmp_path / "assessments"
    shutil.copytree(ROOT / "assessments", base)
    monkeypatch.setenv("SPIA_FORMS_DIR", str(base))
    get_settings.cache_clear()
    cat._load.cache_clear()
    yield base
    get_settings.cache_clear()
    cat._load.cache_clear()


@pytest.fixture
def full():
    return cat.catalogue().get("full", "r06-10")


def _file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_exact_file_exits_0_with_a_summary(tmp_path, full):
    r = run("forms", "verify", "full/r06-10", str(_file(tmp_path, "yoshiki4.docx", tf.build_docx(full))))
    assert r.exit_code == 0, r.output
    n = len(tf.expected_entries(full))
    assert r.stdout.splitlines()[-1] == f"一致 {n}、相違 0、ファイルにない 0、定義にない 0(差異 0 件)"
    assert "一致" in r.stdout.splitlines()[1]


def test_differences_exit_1_and_print_both_texts(tmp_path, full):
    e = tf.first_numbered_item(full, "②")
    v = tf.Variant(relabel={e.key: e.label + "等"}, add_after={e.key: ("③", "様式にない項目")})
    r = run("forms", "verify", "full/r06-10", str(_file(tmp_path, "yoshiki4.xlsx", tf.build_xlsx(full, v))))
    assert r.exit_code == 1
    differs = [line for line in r.stdout.splitlines() if line.strip().startswith("相違")]
    assert len(differs) == 1 and f"{e.text}  →  {e.number} {e.label}等" in differs[0]
    assert any(line.strip().startswith("定義にない") and "様式にない項目" in line for line in r.stdout.splitlines())
    assert "(差異 2 件)" in r.stdout


def test_json_shape(tmp_path, full):
    e = tf.first_numbered_item(full, "②")
    path = _file(tmp_path, "yoshiki4.txt", tf.build_txt(full, tf.Variant(drop={e.key})))
    r = run("forms", "verify", "full/r06-10", str(path), "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert set(data) == {"form", "version", "label", "file", "file_sha256", "definition_digest", "counts",
                         "differences", "rows"}
    assert (data["form"], data["version"], data["file"], data["differences"]) == ("full", "r06-10", "yoshiki4.txt", 1)
    assert data["counts"] == {"match": len(tf.expected_entries(full)) - 1, "differs": 0, "missing": 1, "extra": 0}
    missing = [row for row in data["rows"] if row["status"] == "missing"]
    assert missing == [{"status": "missing", "key": e.key, "expected": e.text, "found": "", "where": "", "what": [],
                        "expected_choices": None, "found_choices": None}]
    assert {row["status"] for row in data["rows"]} == {"match", "missing"}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["full/r99-01"], 4, "様式の版 'full/r99-01' はありません"),
    (["nonsense"], 4, "はありません"),
])
def test_unknown_version(tmp_path, args, code, message):
    r = run("forms", "verify", *args, str(_file(tmp_path, "a.txt", b"x")))
    assert r.exit_code == code and message in r.stderr


@pytest.mark.parametrize(("name", "data", "message"), [
    ("yoshiki.pdf", b"%PDF", "照合できるのは"), ("yoshiki.docx", b"broken", "読み込めません")])
def test_bad_file_is_exit_2(tmp_path, name, data, message):
    r = run("forms", "verify", "basic/r06-10", str(_file(tmp_path, name, data)))
    assert r.exit_code == 2 and message in r.stderr


def test_missing_file_is_exit_2(tmp_path):
    r = run("forms", "verify", "basic/r06-10", str(tmp_path / "none.docx"))
    assert r.exit_code == 2 and "ファイルを読み込めません" in r.stderr


def test_write_patch_adopts_the_file_wording(tmp_path, forms_dir):
    full = cat.catalogue().get("full", "r06-10")
    e = tf.first_numbered_item(full, "②")
    section = next(x for x in tf.expected_entries(full) if x.key == "section:II")
    choice_item = next(x for x in tf.expected_entries(full) if x.choices and full.item(x.key).type == "choice")
    new_choices = (choice_item.choices[0] + "(新)",) + choice_item.choices[1:]
    v = tf.Variant(relabel={e.key: e.label + "等", section.key: section.label + "の概要"})
    data = tf.build_docx(full, v)
    data_doc = _file(tmp_path, "official.docx", data)
    # the choice is changed in the file too: rebuild with a patched copy of the definition's entries
    import copy

    changed = copy.deepcopy(full)
    changed.item(choice_item.key).choices[0].label = new_choices[0]
    data_doc.write_bytes(tf.build_docx(changed, v))

    target = forms_dir / "full" / "r06-10-official"
    r = run("forms", "verify", "full/r06-10", str(data_doc), "--write-patch", str(target))
    assert r.exit_code == 1, r.output
    text = (target / "manifest.yaml").read_text(encoding="utf-8")
    assert "extends: r06-10" in text and "official.docx" in text
    assert text.count("- op: set") == 3 and "# official.docx" in text

    cat._load.cache_clear()
    check = run("forms", "check", str(target))
    assert check.exit_code == 0, check.output
    assert check.stdout.startswith("full/r06-10-official")
    again = run("forms", "verify", "full/r06-10-official", str(data_doc))
    assert again.exit_code == 0, again.stdout[-2000:]
    patched = cat.catalogue().get("full", "r06-10-official")
    assert patched.item(e.key).label == e.label + "等"
    assert patched.section("II").title == section.label + "の概要"
    assert patched.item(choice_item.key).choice_labels[0] == new_choices[0]


def test_write_patch_refuses_a_non_empty_folder(tmp_path, full):
    target = tmp_path / "r06-10-x"
    target.mkdir()
    (target / "manifest.yaml").write_text("x")
    r = run("forms", "verify", "full/r06-10", str(_file(tmp_path, "a.docx", tf.build_docx(full))),
            "--write-patch", str(target))
    assert r.exit_code == 5 and "空ではありません" in r.stderr
