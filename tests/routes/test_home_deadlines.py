"""Issue 14 item 10: ホーム shows each user the deadlines of what they may see, most urgent first, overdue marked."""
from __future__ import annotations

from datetime import date

from app.domain.wareki import parse_date
from tests.html import text_of


def _rows(page):
    table = page.select_one("[data-testid=home-deadlines]")
    assert table is not None, "no deadlines on ホーム"
    out = []
    for tr in table.select("tbody tr"):
        cells = [td.get_text(" ", strip=True) for td in tr.select("td")]
        out.append({"on": parse_date(cells[0]), "status": tr["data-status"], "kind": tr["data-kind"], "what": cells[2],
                    "title": cells[3], "overdue_marked": "row-overdue" in (tr.get("class") or []), "state": cells[1]})
    return out


def _sorted(rows):
    return [r["on"] for r in rows] == sorted(r["on"] for r in rows)


def test_staff_home_shows_the_overdue_review_of_their_juki(browser):
    browser.login_as("shimin")
    page = browser.page("/")
    rows = _rows(page)
    assert "所属部署" in text_of(page, "#deadlines-h")
    assert rows[0] == {**rows[0], "on": date(2022, 3, 15), "kind": "review", "status": "overdue"}
    assert rows[0]["overdue_marked"] and "期限超過" in rows[0]["state"] and "日超過" in rows[0]["state"]
    assert {r["kind"] for r in rows} >= {"review", "reassessment"}
    assert all(r["title"].startswith("住民基本台帳に関する事務") for r in rows), "only their department's 評価書"
    assert _sorted(rows)
    assert all(r["overdue_marked"] == (r["status"] == "overdue") for r in rows)
    assert page.select_one("#deadlines a[href='/dashboard']")


def test_improvement_action_due_dates_are_listed(browser):
    browser.login_as("hoken")
    rows = _rows(browser.page("/"))
    actions = [r for r in rows if r["kind"] == "action"]
    assert actions and all(r["what"].startswith("改善策の期限「") for r in actions)
    assert all(r["title"].startswith("国民健康保険に関する事務") for r in rows)
    assert _sorted(rows)


def test_records_see_every_department_most_urgent_first(browser):
    browser.login_as("records")
    page = browser.page("/")
    rows = _rows(page)
    assert len({r["title"].split(" ")[0] for r in rows}) >= 3, "several departments' 評価書"
    assert _sorted(rows) and rows[0]["status"] == "overdue"
    assert len(rows) <= 12


def test_department_filter_narrows_the_deadlines(browser, read):
    from sqlmodel import select

    from app.models import Department

    browser.login_as("records")
    dept = read(select(Department.id).where(Department.name == "保険年金課"))[0]
    rows = _rows(browser.page(f"/?department={dept}"))
    assert rows and all(r["title"].startswith("国民健康保険に関する事務") for r in rows)


def test_council_home_has_no_deadlines(browser):
    browser.login_as("council")
    page = browser.page("/")
    assert page.select_one("#deadlines") is None
