"""Issue 14 items 9 and 14 in a real browser at 1280 px: the 計画管理書 fits, the menu is one line, the
administrator renames and retires a 部署, and user creation asks for the password twice."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def _one_line(page) -> bool:
    return page.evaluate("""() => {
        const items = [...document.querySelectorAll('nav.global li')].map(li => li.getBoundingClientRect().top);
        return new Set(items.map(Math.round)).size === 1;
    }""")


def test_plan_fits_1280_and_shows_every_column_on_request(page):
    sign_in(page, "records", PASSWORDS["records"])
    assert _one_line(page), "the records menu wraps at 1280 px"
    page.goto("/plan")
    width = "document.querySelector('#plan-table').getBoundingClientRect().right"
    assert page.evaluate(width) <= 1280 - 24
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for column in ("公表日", "次回の見直し期限", "再実施の期限", "備考"):
        expect(page.locator(f"#plan-table thead th[data-column='{column}']")).to_be_visible()
    expect(page.locator("#plan-table thead th[data-column='対象人数']")).to_be_hidden()
    remark = page.locator("#plan-table tbody td[data-column='備考']", has_text="見直しの期限を過ぎています").first
    expect(remark).to_be_visible()
    page.check("#f-plan-all-columns")
    expect(page.locator("#plan-table thead th[data-column='対象人数']")).to_be_visible()
    # the wider table scrolls inside its box, the 評価書番号 column stays in view
    page.evaluate("document.querySelector('.plan-view .table-scroll').scrollLeft = 400")
    first = page.locator("#plan-table tbody th").first.bounding_box()
    assert first["x"] >= 0 and first["x"] < 40


def test_admin_renames_and_retires_a_department_and_confirms_a_password(page):
    sign_in(page, "admin", PASSWORDS["admin"])
    assert _one_line(page), "the administrator's menu wraps at 1280 px"
    page.goto("/admin")
    row = page.locator("tr[data-department]", has_text="保険年金課")
    row.locator("form.dept-rename input[name=name]").fill("保険年金課(国保)")
    row.locator("form.dept-rename button").click()
    expect(page.locator(".flash")).to_contain_text("部署「保険年金課(国保)」を更新しました。")
    row = page.locator("tr[data-department]", has_text="保険年金課(国保)")
    row.locator("form.dept-retire button").click()
    expect(page.locator("tr[data-department]", has_text="保険年金課(国保)")).to_contain_text("廃止")
    page.goto("/admin/users/new")
    expect(page.locator("label", has_text="保険年金課(国保)")).to_have_count(0)
    page.fill("#f-login_id", "yamada")
    page.fill("#f-display_name", "山田 花子")
    page.select_option("#f-role", "council")
    page.fill("#f-password", "Sakura-pass-2026")
    page.fill("#f-password_confirm", "Sakura-pass-2025")
    # the refused form comes back as a 422 page on purpose; Chromium logs the 422 document load
    page.expected_console_errors.append(
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.click("form[action='/admin/users/new'] button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("確認用のパスワードが一致しません。")
    page.fill("#f-password", "Sakura-pass-2026")
    page.fill("#f-password_confirm", "Sakura-pass-2026")
    page.click("form[action='/admin/users/new'] button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("利用者「山田 花子」を登録しました。")


def test_review_conditions_keep_a_readable_column(page, demo_engine):
    """答申の条件: with the 対応済 form beside it, the condition text kept one character per line at 1280 px."""
    from sqlmodel import Session, select

    from app.models import Review, ReviewCondition

    with Session(demo_engine) as s:
        review = s.exec(select(Review)).first()
        s.add(ReviewCondition(review_id=review.id, text="委託先への立入検査の結果を、次回の審議会に報告すること。"))
        s.commit()
        vid = review.version_id
    sign_in(page, "records", PASSWORDS["records"])
    page.set_viewport_size({"width": 1024, "height": 800})  # a smaller laptop: the 対応済 form needs its room
    page.goto(f"/versions/{vid}/review")
    row = page.locator("#conditions tbody tr[data-status=open]").first
    cell = row.locator("td").first.bounding_box()
    assert cell["width"] >= 16 * 14, cell  # at least 16em of text
    assert cell["height"] < 120, cell  # a couple of lines, not one character per line
    form = row.locator("form.inline-form")
    expect(form.locator("input[name=note]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
