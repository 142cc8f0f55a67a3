"""The editor shows a published version read-only with the reason the save path would give (one rule)."""
from __future__ import annotations

from sqlmodel import select

from app.models import AssessmentVersion


def test_published_version_is_read_only_with_its_reason_and_a_save_is_refused(browser, read):
    v = read(select(AssessmentVersion).where(AssessmentVersion.stage == "published")
             .order_by(AssessmentVersion.id))[0]
    b = browser.login_as("records")
    page = b.page(f"/versions/{v.id}/edit/I")
    reason = page.select_one("[data-testid=readonly-reason]")
    assert reason is not None and "「公表済」のため編集できません" in reason.get_text()
    assert page.select_one("fieldset.page-fields").has_attr("disabled")
    assert "閲覧のみ" in page.select_one("#save-status").get_text()
    refused = b.post(f"/versions/{v.id}/edit/I", {"op": ""})
    assert refused.status_code == 409 and "「公表済」のため編集できません" in refused.text


def test_working_version_has_no_reason(browser, read):
    v = read(select(AssessmentVersion).where(AssessmentVersion.stage == "draft").order_by(AssessmentVersion.id))[0]
    page = browser.login_as("records").page(f"/versions/{v.id}/edit/I")
    assert page.select_one("[data-testid=readonly-reason]") is None
    assert not page.select_one("fieldset.page-fields").has_attr("disabled")
