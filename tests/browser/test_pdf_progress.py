"""Issue 14 item 14: the PDF export says it is working while LibreOffice converts, then hands the file over."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Assessment, Jimu
from tests import dbutil
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def test_pdf_export_shows_its_progress_and_downloads(page, demo_engine):
    if not shutil.which("soffice"):
        if dbutil.REQUIRE_ALL:
            pytest.fail("LibreOffice is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    with Session(demo_engine) as s:
        jimu = s.exec(select(Jimu).where(Jimu.name == "児童手当の支給に関する事務")).one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jimu.id)).first()
    sign_in(page, "records", PASSWORDS["records"])
    page.goto(f"/assessments/{aid}")
    status = page.locator("#export-form [data-export-status]")
    expect(status).to_be_hidden()
    page.select_option("#f-format", "pdf")
    with page.expect_download(timeout=60_000) as download:
        page.click("#export-form button[type=submit]")
        expect(status).to_contain_text("PDF を作成しています")
        expect(page.locator("#export-form button[type=submit]")).to_be_disabled()
    assert download.value.suggested_filename.endswith(".pdf")
    expect(status).to_contain_text("PDF を作成しました")
    expect(page.locator("#export-form button[type=submit]")).to_be_enabled()
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
