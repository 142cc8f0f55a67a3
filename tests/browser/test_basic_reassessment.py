"""Issue 14 item 16 in a real browser: a published 基礎項目評価書 shows its 5-year 再実施 deadline on the
期限管理 dashboard and on its 評価書 page (the clock applies to every level)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser

WAREKI = re.compile(r"(令和|平成)(\d+|元)年\d+月\d+日")


def _published_basic(engine) -> int:
    with Session(engine) as s:
        row = s.exec(select(Assessment.id).join(AssessmentVersion, AssessmentVersion.assessment_id == Assessment.id)
                     .where(Assessment.form == "basic", AssessmentVersion.published_on.is_not(None))
                     .order_by(Assessment.id)).first()
    assert row is not None, "the demo has no published 基礎項目評価書"
    return row


def test_basic_shows_its_reassessment_deadline_on_dashboard_and_assessment_page(page, demo_engine):
    aid = _published_basic(demo_engine)
    sign_in(page, "records", PASSWORDS["records"])
    page.goto("/dashboard")
    cell = page.locator(f"#due-table tr[data-assessment='{aid}'] [data-testid=reassessment-due]")
    expect(page.locator("main .hint").first).to_contain_text("基礎・重点・全項目")
    expect(cell).to_have_text(WAREKI)
    on_dashboard = WAREKI.search(cell.inner_text()).group(0)
    page.locator(f"#due-table tr[data-assessment='{aid}'] a").first.click()
    expect(page).to_have_url(re.compile(rf"/assessments/{aid}"))
    on_page = page.locator("#lifecycle [data-testid=reassessment-due]")
    expect(on_page).to_contain_text(on_dashboard)
