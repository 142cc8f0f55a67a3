"""Issue 18: the long lists (評価書一覧, 手続状況, 計画管理書, 事務一覧, 改善策; also 期限管理 and the home page's
register) show 50 rows a page, read with SQL LIMIT/OFFSET, with 「前へ」「次へ」 links that keep the filters and a count 「1–50件 / N件」; the JSON lists take
limit/offset and give the total in X-Total-Count; the CSV of the 計画管理書 stays complete."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from app.models import Assessment, ImprovementAction, Jimu
from app.querycount import count_queries
from tests.html import parse
from tests.perf import bulk

TOTAL = 120  # 評価書: three pages of 評価書, two of 事務
LISTS = {  # url: (the rows of the table, the attribute or cell that names a row)
    "/assessments": ("#assessment-table tbody tr[data-assessment]", "data-assessment"),
    "/queue": ("#queue-table tbody tr[data-stage]", "a"),
    "/plan": ("#plan-table tbody tr", "th"),
    "/jimu": ("#jimu-table tbody tr", "a"),
    "/actions?status=all": ("#action-table tbody tr[data-action]", "data-action"),
    "/dashboard": ("#due-table tbody tr[data-assessment]", "data-assessment"),  # 期限管理
    "/": ("#jimu-table tbody tr[data-jimu]", "data-jimu"),  # ホームの事務としきい値判断
}


@pytest.fixture
def big(demo_engine, browser):
    bulk.grow(demo_engine, TOTAL)
    browser.login_as("records")
    return demo_engine


def _total(engine, what: str) -> int:
    stmt = {"assessment": select(func.count()).select_from(Assessment),
            "jimu": select(func.count()).select_from(Jimu),
            "action": select(func.count()).select_from(ImprovementAction)}[what]
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _key(tr, how: str) -> str:
    if how.startswith("data-"):
        return tr[how]
    el = tr.find(how)
    return el.get("href") or el.get_text(strip=True) if el else tr.get_text("|", strip=True)


def _walk(browser, url: str):
    """Every page of a list by its 「次へ」 links: [(page, keys of its rows)]."""
    selector, how = LISTS[url]
    pages = []
    while url:
        r = browser.get(url)
        assert r.status_code == 200, f"GET {url}: {r.status_code}"
        page = parse(r.text)
        pages.append((page, [_key(tr, how) for tr in page.select(selector)]))
        nxt = page.select_one("#pager a[rel=next]")
        url = nxt["href"] if nxt else ""
        assert len(pages) < 20, "the 次へ links do not end"
    return pages


@pytest.mark.parametrize("url", list(LISTS))
def test_every_row_on_exactly_one_page_of_fifty(big, browser, url):
    total = _total(big, {"/jimu": "jimu", "/": "jimu", "/actions?status=all": "action"}.get(url, "assessment"))
    assert total > 50
    pages = _walk(browser, url)
    keys = [k for _, rows in pages for k in rows]
    if url != "/plan":  # the 計画管理書's 評価書番号 is shared by a 事務's 評価書
        assert len(set(keys)) == len(keys), "a row is on two pages"
    assert len(keys) == total
    assert len(pages) == -(-total // 50)
    assert all(len(rows) == 50 for _, rows in pages[:-1])
    first, last = pages[0][0], pages[-1][0]
    assert first.select_one("#pager .pager-count").get_text() == f"1–50件 / {total:,}件"
    assert last.select_one("#pager-bottom .pager-count").get_text() == \
        f"{(len(pages) - 1) * 50 + 1:,}–{total:,}件 / {total:,}件"
    assert first.select_one("#pager a[rel=next]").get_text() == "次へ"
    assert not first.select_one("#pager a[rel=prev]")
    assert last.select_one("#pager a[rel=prev]").get_text() == "前へ"
    assert not last.select_one("#pager a[rel=next]")
    assert last.select_one("#pager-bottom a[rel=prev]")["href"] == last.select_one("#pager a[rel=prev]")["href"]


def test_a_list_is_read_with_limit_and_offset(big, browser):
    for url in ("/assessments?page=2", "/queue?page=2", "/plan?page=2", "/jimu?page=2", "/actions?status=&page=2"):
        with count_queries(big) as counter:
            assert browser.get(url).status_code == 200
        assert any(re.search(r"\bLIMIT\b.*\bOFFSET\b", s, re.S) for s in counter.statements), url


def test_links_keep_the_filters(big, browser):
    page = parse(browser.get("/assessments?form=basic").text)
    total = _total(big, "assessment")
    basic = int(page.select_one("#pager .pager-count").get_text().split("/ ")[1].rstrip("件").replace(",", ""))
    assert 50 < basic < total
    nxt = page.select_one("#pager a[rel=next]")["href"]
    assert nxt == "/assessments?form=basic&page=2"
    page2 = parse(browser.get(nxt).text)
    assert page2.select_one("#pager a[rel=prev]")["href"] == "/assessments?form=basic"
    dept = big.connect().execute(select(Jimu.department_id).where(Jimu.name.like("負荷試験用%")).limit(1)).scalar_one()
    page = parse(browser.get(f"/actions?status=all&department={dept}").text)
    if page.select_one("#pager a[rel=next]"):
        assert page.select_one("#pager a[rel=next]")["href"] == f"/actions?status=all&department={dept}&page=2"
    queue = parse(browser.get("/queue?stage=published").text)
    assert {tr["data-stage"] for tr in queue.select("#queue-table tbody tr[data-stage]")} == {"published"}
    if queue.select_one("#pager a[rel=next]"):
        assert queue.select_one("#pager a[rel=next]")["href"] == "/queue?stage=published&page=2"


@pytest.mark.parametrize(("raw", "shown"), [("abc", 1), ("0", 1), ("-2", 1), ("1.5", 1), ("", 1), ("%EF%BC%92", 1),
                                            ("99999999999", 1), ("3", 3), ("4", 3), ("999", 3)])
def test_a_bad_page_number_shows_the_first_or_last_page(big, browser, raw, shown):
    r = browser.get(f"/assessments?page={raw}")
    assert r.status_code == 200
    page = parse(r.text)
    assert page.select_one("#pager .pager-pages").get_text() == f"{shown} / 3ページ"


def test_a_short_list_has_a_count_and_no_links(browser):
    browser.login_as("hoken")
    page = parse(browser.get("/assessments").text)
    assert re.fullmatch(r"1–\d+件 / \d+件", page.select_one("#pager .pager-count").get_text())
    assert not page.select("#pager a")


def test_the_json_lists_take_limit_and_offset(big, browser):
    for url, total in (("/api/v1/assessments", _total(big, "assessment")), ("/api/v1/jimu", _total(big, "jimu"))):
        everything = browser.get(url)
        assert everything.headers["X-Total-Count"] == str(total) and len(everything.json()) == total
        part = browser.get(f"{url}?limit=10&offset=45")
        assert part.status_code == 200 and part.headers["X-Total-Count"] == str(total)
        assert [x["id"] for x in part.json()] == [x["id"] for x in everything.json()][45:55]
        assert browser.get(f"{url}?offset={total}").json() == []
        for bad in ("limit=0", "limit=abc", "offset=-1", "limit=100000"):
            assert browser.get(f"{url}?{bad}").status_code == 422, bad
    filtered = browser.get("/api/v1/assessments?form=full&limit=5")
    assert all(x["form"] == "full" for x in filtered.json()) and len(filtered.json()) == 5
    assert int(filtered.headers["X-Total-Count"]) < _total(big, "assessment")


def test_the_plan_downloads_stay_complete(big, browser):
    r = browser.get("/plan/export?format=csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) - 1 == _total(big, "assessment")


def test_the_dashboard_counts_everything_and_pages_what_needs_attention(big, browser):
    page = parse(browser.get("/dashboard?only=attention").text)
    overdue = int(page.select_one("[data-testid=count-overdue]").get_text())
    assert overdue > 50  # the whole list's figure, not the page's
    total = int(page.select_one("#pager .pager-count").get_text().split("/ ")[1].rstrip("件").replace(",", ""))
    assert 50 < total <= _total(big, "assessment")
    assert len(page.select("#due-table tbody tr[data-assessment]")) == 50
    assert page.select_one("#pager a[rel=next]")["href"] == "/dashboard?only=attention&page=2"
    page2 = parse(browser.get("/dashboard?only=attention&page=2").text)
    assert page2.select_one("[data-testid=count-overdue]").get_text() == str(overdue)
    first = {tr["data-assessment"] for tr in page.select("#due-table tbody tr[data-assessment]")}
    assert first.isdisjoint(tr["data-assessment"] for tr in page2.select("#due-table tbody tr[data-assessment]"))
