"""Lists that everyone may open (the matrix says 200) show each role only its own: staff see their
departments' 事務, council members see none (except what was sent to their council, on /council)."""
from __future__ import annotations

import pytest

JIMU = {
    "juki": "住民基本台帳に関する事務", "zeimu": "個人住民税の賦課徴収に関する事務",
    "kodomo": "児童手当の支給に関する事務", "kokuho": "国民健康保険に関する事務",
}
SEES = {  # login → the 事務 it may see
    "shimin": {"juki"}, "zeimu": {"zeimu"}, "kodomo": {"kodomo"}, "hoken": {"kokuho"},
    "council": set(), "records": set(JIMU), "admin": set(JIMU),
}
LISTS = ["/", "/jimu", "/assessments", "/queue", "/plan", "/plan/export?format=csv", "/actions?status=",
         "/dashboard", "/council", "/api/v1/jimu", "/api/v1/assessments", "/api/v1/due?within=90"]


def _body(r) -> str:
    if r.headers.get("content-type", "").startswith("application/json"):
        import json

        return json.dumps(r.json(), ensure_ascii=False)
    return r.content.decode("utf-8-sig")


@pytest.mark.parametrize("login", sorted(SEES))
def test_lists_show_only_what_the_role_may_see(browser, login):
    browser.login_as(login)
    seen_anywhere = set()
    for url in LISTS:
        r = browser.get(url)
        assert r.status_code == 200, f"{url} as {login}: {r.status_code}"
        body = _body(r)
        shown = {key for key, name in JIMU.items() if name in body}
        allowed = SEES[login] | ({"kokuho"} if url == "/council" and login in ("council", "records", "admin") else set())
        assert shown <= allowed, f"{url} shows {login} {sorted(shown - allowed)}"
        seen_anywhere |= shown
    assert seen_anywhere >= SEES[login], f"{login} never sees {sorted(SEES[login] - seen_anywhere)}"


def test_the_council_sees_only_what_was_sent_to_it(browser, ids):
    browser.login_as("council")
    page = browser.page("/council")
    links = {a["href"] for a in page.select("a[href^='/snapshots/']")}
    assert f"/snapshots/{ids['council_snapshot']}" in links
    assert f"/snapshots/{ids['juki_submission_snapshot']}" not in links
    for other in ("shimin", "hoken", "records"):
        browser.login_as(other)
        if other != "records":
            assert not browser.page("/council").select("a[href^='/snapshots/']"), f"{other} sees council papers"


def test_the_calendar_feed_is_scoped_to_its_owner(browser, ids):
    browser.client.cookies.clear()
    r = browser.get(f"/calendar/{ids['hoken_calendar']}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    text = r.content.decode()
    assert "BEGIN:VCALENDAR" in text and "BEGIN:VEVENT" in text and JIMU["kokuho"] in text
    for key in ("juki", "zeimu", "kodomo"):
        assert JIMU[key] not in text
    assert browser.get("/calendar/not-a-token.ics").status_code == 404
    # revoked: the URL stops working at once
    browser.login_as("hoken")
    from sqlmodel import Session, select

    from app.models import ApiToken

    with Session(browser.client.app.fastapi.state.engine) as s:
        cal = s.exec(select(ApiToken.id).where(ApiToken.purpose == "calendar")).one()
    assert browser.post(f"/account/tokens/{cal}/revoke").status_code == 303
    browser.client.cookies.clear()
    assert browser.get(f"/calendar/{ids['hoken_calendar']}.ics").status_code == 404
    # an API token is not a calendar token (and the other way round)
    assert browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {ids['hoken_calendar']}"}).status_code == 401
