"""Issue 14 item 9: the 計画管理書 screen — 備考 from the due flags, and the columns shown on request."""
from __future__ import annotations

from app.services.plan import COLUMNS, SCREEN_OPTIONAL


def _rows(page):
    out = []
    for tr in page.select("#plan-table tbody tr"):
        out.append({cell["data-column"]: cell.get_text(strip=True) for cell in tr.select("[data-column]")})
    return out


def test_remarks_name_overdue_reviews_and_reassessments(browser):
    browser.login_as("records")
    rows = _rows(browser.page("/plan"))
    juki_full = next(r for r in rows if r["評価書名"].startswith("住民基本台帳") and r["実施する評価"] == "全項目評価書")
    # demo 基準日 2026-11-23: the 住基 見直し has been due since 令和4年, the 5-year 再実施 since 令和8年3月
    assert "見直しの期限を過ぎています(令和4年3月15日)" in juki_full["備考"]
    assert "再実施の期限を過ぎています(令和8年3月15日)" in juki_full["備考"]
    soon = next(r for r in rows if r["実施する評価"] == "重点項目評価書")
    assert soon["備考"] == "見直しの期限が30日以内です(令和8年12月10日)"
    # an 評価書 with nothing due says nothing
    assert any(r["備考"] == "" for r in rows)


def test_every_column_is_on_the_page_and_the_optional_ones_are_marked(browser):
    browser.login_as("records")
    page = browser.page("/plan")
    assert [th["data-column"] for th in page.select("#plan-table thead th")] == list(COLUMNS)
    assert [th["data-column"] for th in page.select("#plan-table thead th.optional")] == list(SCREEN_OPTIONAL)
    assert page.select_one("#f-plan-all-columns[type=checkbox]")
    assert page.select_one("label[for=f-plan-all-columns]")
    first = page.select_one("#plan-table tbody tr > *")
    assert first.name == "th" and first["scope"] == "row"
