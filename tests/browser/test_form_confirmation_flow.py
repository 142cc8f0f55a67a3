"""Issue 12 §4 in a real browser: a records officer verifies a 様式 version against the official file, records the
confirmation, the editor's 「照合が済んでいません」 notice disappears for the organisation, and a later change of
the definition brings it back."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.config import ROOT, get_settings
from app.models import Assessment, AssessmentVersion, Jimu
from app.services import catalogue as cat
from tests import formfiles
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
NOTICE = "[data-testid=form-notice]"


@pytest.fixture
def forms_dir(tmp_path, monkeypatch):
    base = tmp_path / "assessments"
    shutil.copytree(ROOT / "assessments", base)
    monkeypatch.setenv("SPIA_FORMS_DIR", str(base))
    get_settings.cache_clear()
    cat._load.cache_clear()
    yield base
    get_settings.cache_clear()
    cat._load.cache_clear()


def _basic_draft(engine) -> AssessmentVersion:
    with Session(engine) as s:
        jid = s.exec(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務")).one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "basic")).one()
        return s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).first()


def test_verify_confirm_hides_the_notice_until_the_definition_changes(forms_dir, demo_engine, page, tmp_path):
    v = _basic_draft(demo_engine)
    d = cat.catalogue().get("basic", v.form_version)
    official = tmp_path / "様式2_基礎項目評価書.docx"
    official.write_bytes(formfiles.build_docx(d))

    sign_in(page, "records", "Bunsho-Demo-2025")
    page.goto(f"/versions/{v.id}/edit/I")
    expect(page.locator(NOTICE)).to_have_count(1)
    expect(page.locator(NOTICE)).to_contain_text("項目は公式様式との照合が済んでいません")

    page.goto("/admin/forms")
    expect(page.locator(f"#form-version-table tr[data-form='{d.key}'] td.confirmation")).to_have_text("未照合")
    page.select_option("#f-form_version", value=d.key)
    page.set_input_files("#f-file", str(official))
    page.click("form[action='/admin/forms/verify'] button[type=submit]")
    expect(page.locator("#verify-summary")).to_contain_text("(差異 0 件)")
    page.fill("#confirm-form #f-checked_by", "総務課 佐藤")
    page.click("#confirm-form button[type=submit]")
    expect(page.locator(f"#form-version-table tr[data-form='{d.key}'] td.confirmation")).to_contain_text(
        "照合済み")

    page.goto(f"/versions/{v.id}/edit/I")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(NOTICE)).to_have_count(0)

    # the definition changes (a label is reworded): the record no longer counts and the notice is back
    section = forms_dir / "basic" / v.form_version / "sections" / "10_I.yaml"
    label = d.sections[1].items[0].label
    text = section.read_text(encoding="utf-8")
    assert f"label: {label}\n" in text
    section.write_text(text.replace(f"label: {label}\n", f"label: {label}等\n", 1), encoding="utf-8")
    cat._load.cache_clear()
    page.goto(f"/versions/{v.id}/edit/I")
    expect(page.locator(NOTICE)).to_have_count(1)
    page.goto("/admin/forms")
    expect(page.locator(f"#form-version-table tr[data-form='{d.key}'] td.confirmation")).to_contain_text(
        "定義が変更されたため再照合が必要です")
