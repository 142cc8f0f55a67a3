"""Exports never fail on any text, PDF through LibreOffice, downloads from the page, the API and the CLI."""
from __future__ import annotations

import json
import shutil
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
            if isinstance(value, str) and "[" in value and not skip_reason(d, item_id, vals):
                if value.split("\n")[0] not in texts:
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


@pytest.mark.slow
def test_pdf_has_the_japanese_text(db, system, full_version):
    if not _soffice() or not shutil.which("pdftotext"):
        if dbutil.REQUIRE_ALL:
            pytest.fail("LibreOffice / pdftotext are required in CI")
        pytest.skip("LibreOffice (soffice) or pdftotext is not installed")
    v, _ = full_version
    out = exports.export(db, actor=system, version_id=v.id, edition="public", fmt="pdf", today=TODAY)
    assert out.filename.endswith(".pdf") and out.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=out.content, capture_output=True, check=True).stdout.decode()
    assert "特定個人情報保護評価書" in text.replace(" ", "")
    assert "住民基本台帳" in text.replace(" ", "")
    # issue 13 item 3: 明朝 → IPAex明朝, ゴシック → IPAexゴシック for every script (no DejaVu digits, no OpenSymbol bullets)
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", "-"], input=out.content, capture_output=True, check=True).stdout.decode()
        fonts = {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}
        assert fonts == {"IPAexMincho", "IPAexGothic"}, listing


def test_pdf_without_libreoffice_says_so_in_japanese(db, system, full_version, monkeypatch):
    v, _ = full_version
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(exports.ConversionUnavailable) as exc:
        exports.export(db, actor=system, version_id=v.id, edition="full", fmt="pdf", today=TODAY)
    assert "LibreOffice" in exc.value.message and "docx" in exc.value.message
