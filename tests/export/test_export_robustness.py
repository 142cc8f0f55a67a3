"""Exports never fail on any text, PDF through LibreOffice, downloads from the page, the API and the CLI."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from datetime import date
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.export import assessment_doc
from app.export.docx import read_custom_json, render
from app.services import catalogue, exports
from tests import dbutil
from tests.export.helpers import body_sequence, open_docx

TODAY = date(2026, 11, 23)
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(ANY_TEXT, min_size=3, max_size=3), edition=st.sampled_from(["draft", "full", "public"]))
def test_any_unicode_exports_and_reads_back(texts, edition):
    """Pure path: surrogates, control characters, emoji, 旧字体, huge texts -> a valid DOCX every time."""
    d = catalogue.definition("full", "r06-10")
    measures = {"external": [{"id": "a", "text": texts[0]}], "staff": [{"id": "b", "text": texts[1] * 20}]}
    b = assessment_doc.Bundle(
        definition=d, label=d.label, org_name="しののめ市長", jimu_name=texts[2] or "事務", jimu_ended_on=None,
        files=[("f1", texts[1] or "ファイル")],
        values={"": {"I.1.2": texts[0], "cover.name": texts[2]}, "f1": {"III.2.r2.m": measures, "II.6.1": texts[1]}},
        withheld={"f1": {"II.6.1": "理由"}}, custom_json=json.dumps({"t": texts}, ensure_ascii=False),
    )
    data = render(assessment_doc.build(b, edition))
    doc = open_docx(data)
    seq = [t for _, t in body_sequence(doc)]
    assert seq[0].startswith("特定個人情報保護評価書")
    assert read_custom_json(data) is not None


def test_every_item_prints_for_a_fully_answered_form(db, system, full_version):
    v, written = full_version
    texts = "\n".join(t for _, t in body_sequence(open_docx(
        exports.export(db, actor=system, version_id=v.id, edition="full", today=TODAY).content)))
    from app.domain.answers import skip_reason
    d = catalogue.definition("full", v.form_version)
    missing = []
    for _uid, items in written.items():
        vals = {**written.get("", {}), **items}
        for item_id, value in items.items():
            if (isinstance(value, str) and "[" in value and not skip_reason(d, item_id, vals)
                    and value.split("\n")[0] not in texts):
                missing.append(item_id)
    assert not missing, missing[:10]


def test_download_from_the_page_with_utf8_filename(browser, read, db, system, full_version):
    v, _ = full_version
    browser.login_as("shimin")
    r = browser.get(f"/versions/{v.id}/export?edition=public&format=docx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    cd = r.headers["content-disposition"]
    assert cd.startswith("attachment; filename=") and "filename*=UTF-8''" in cd
    assert unquote(cd.split("UTF-8''")[1]).startswith("住民基本台帳に関する事務_全項目評価書_公表用_")
    open_docx(r.content)
    browser.login_as("zeimu")
    assert browser.get(f"/versions/{v.id}/export?edition=full").status_code == 403
    browser.login_as("shimin")
    assert browser.get(f"/versions/{v.id}/export?edition=secret").status_code == 422


def test_api_export(browser, full_version):
    v, _ = full_version
    browser.login_as("records")
    r = browser.api("GET", f"/api/v1/assessments/{v.assessment_id}/export?edition=draft")
    assert r.status_code == 200 and "案" in unquote(r.headers["content-disposition"])
    assert browser.api("GET", f"/api/v1/assessments/{v.assessment_id}/export?edition=bogus").status_code == 422


def test_cli_export_and_import_docx(tmp_path, demo_engine, db, system, full_version, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings

    v, _ = full_version
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        out = tmp_path / "full.docx"
        r = CliRunner().invoke(app, ["export", str(v.assessment_id), "--edition", "full", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert open_docx(out.read_bytes()).paragraphs
        r = CliRunner().invoke(app, ["--user", "zeimu", "export", str(v.assessment_id), "--out", str(out)])
        assert r.exit_code == 3
        r = CliRunner().invoke(app, ["import-docx", str(out), "--into", str(v.assessment_id)])
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _require_tools(*tools: str) -> None:
    """LibreOffice and the poppler tools: skipped locally when missing, failed under SPIA_CI_REQUIRE_ALL=1."""
    missing = [t for t in tools if not (_soffice() if t == "soffice" else shutil.which(t))]
    if missing:
        if dbutil.REQUIRE_ALL:
            pytest.fail(f"required in CI: {', '.join(missing)} (LibreOffice / poppler-utils)")
        pytest.skip(f"not installed: {', '.join(missing)}")


def pdf_fonts(data: bytes) -> dict[str, str]:
    """pdffonts: font name without the subset prefix -> its 'emb' column."""
    listing = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    out = {}
    for line in listing.splitlines()[2:]:
        if line.strip():
            cols = line.split()
            out[cols[0].split("+")[-1]] = cols[-5]  # name type encoding emb sub uni object ID: emb is 5th from the end
    return out


def text_fonts(data: bytes) -> list[tuple[str, float, str]]:
    """(text, size, font family without the subset prefix) of every text piece, from pdftohtml -xml."""
    import xml.etree.ElementTree as ET

    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", "-"], input=data, capture_output=True,
                         check=False).stdout
    if not xml.strip():  # older poppler cannot read stdin
        import tempfile
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(data)
            f.flush()
            xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", f.name], capture_output=True,
                                 check=True).stdout
    root = ET.fromstring(xml)
    specs = {f.get("id"): (float(f.get("size")), f.get("family").split("+")[-1]) for f in root.iter("fontspec")}
    return [("".join(t.itertext()).replace(" ", ""), *specs[t.get("font")]) for t in root.iter("text")]


@pytest.mark.slow
def test_pdf_has_the_japanese_text(db, system, full_version):
    _require_tools("soffice", "pdftotext", "pdffonts")
    v, _ = full_version
    out = exports.export(db, actor=system, version_id=v.id, edition="public", fmt="pdf", today=TODAY)
    assert out.filename.endswith(".pdf") and out.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=out.content, capture_output=True, check=True).stdout.decode()
    assert "特定個人情報保護評価書" in text.replace(" ", "")
    assert "住民基本台帳" in text.replace(" ", "")
    # issue 13 item 3: 明朝 → IPAex明朝, ゴシック → IPAexゴシック for every script (no DejaVu digits, no OpenSymbol bullets)
    assert set(pdf_fonts(out.content)) == {"IPAexMincho", "IPAexGothic"}


DEMO_FORMS = {"full": "住民基本台帳に関する事務", "focused": "個人住民税の賦課徴収に関する事務", "basic": "児童手当の支給に関する事務"}


@pytest.mark.slow
@pytest.mark.parametrize("form", list(DEMO_FORMS))
def test_demo_pdf_prints_mincho_body_and_gothic_headings(db, system, form):
    """Issue 13 item 3 on the public edition of the demo 全項目 / 重点 / 基礎: only IPAex明朝 and IPAexゴシック,
    both embedded; headings (ＭＳ ゴシック in the Word file) are set in IPAexGothic, body text (ＭＳ 明朝) in
    IPAexMincho."""
    from sqlmodel import select

    from app.models import Assessment, Jimu
    from app.services import assessments

    _require_tools("soffice", "pdffonts", "pdftohtml")
    jimu = db.exec(select(Jimu).where(Jimu.name == DEMO_FORMS[form])).one()
    a = db.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).one()
    v = assessments.current_version(db, a.id)
    data = exports.export(db, actor=system, version_id=v.id, edition="public", fmt="pdf", today=TODAY).content
    assert data.startswith(b"%PDF")
    fonts = pdf_fonts(data)
    assert set(fonts) == {"IPAexMincho", "IPAexGothic"}, fonts
    assert set(fonts.values()) == {"yes"}, fonts  # embedded, so the printed page does not depend on the reader
    pieces = text_fonts(data)
    body = statistics.mode(size for _, size, _ in pieces)  # the body size is the commonest
    title = [f for t, _, f in pieces if t.startswith("特定個人情報保護評価書")]
    assert title and set(title) == {"IPAexGothic"}, title  # the cover title (ゴシック)
    headings = [(t, f) for t, size, f in pieces if size > body]
    assert any(t.startswith("Ⅰ") for t, _ in headings), headings  # the section headings are larger than the body
    assert {f for _, f in headings} == {"IPAexGothic"}, [h for h in headings if h[1] != "IPAexGothic"]
    body_fonts = [f for _, size, f in pieces if size == body]
    assert body_fonts.count("IPAexMincho") > 0.8 * len(body_fonts)  # 明朝 body (ゴシック only in table headings)
    assert {f for t, _, f in pieces if t == "しののめ市長"} == {"IPAexMincho"}  # an answer: 評価実施機関名


def test_pdf_without_libreoffice_says_so_in_japanese(db, system, full_version, monkeypatch):
    v, _ = full_version
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(exports.ConversionUnavailable) as exc:
        exports.export(db, actor=system, version_id=v.id, edition="full", fmt="pdf", today=TODAY)
    assert "LibreOffice" in exc.value.message and "docx" in exc.value.message
