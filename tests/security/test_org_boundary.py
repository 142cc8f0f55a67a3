"""The organisation dimension of the authorization matrix (issue 16 §3): the 評価実施機関 is a hard boundary.

The world (world.py) holds two bodies on one server: the demo city (しののめ市長) and its board of education
(しののめ市教育委員会, with its own department, users and one 評価書), plus the server's system administrator.

- every route with a path parameter, called with the city's ids (every entry of the matrix, with its data)
  by every user of the board and by the system administrator → 403 or 404, and nothing written;
- the routes whose parameters the board's records can fill, called with the board's ids by every role of the
  city → 403 or 404, and nothing written;
- lists (pages, API, calendar feed) never show the other body's 事務;
- user administration: an administrator of one body neither lists nor edits the other's users.
Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""
from __future__ import annotations

import json
import re

import pytest

from tests.security.helpers import STATE_CHANGING, fill_path, fingerprint, path_params, send
from tests.security.test_authz_matrix import EXPECTED, Ctx, _resolve, cases
from tests.security.world import SECOND_ACCOUNTS, SECOND_JIMU, SYSADMIN_LOGIN

BOARD = [*SECOND_ACCOUNTS, SYSADMIN_LOGIN]  # actors of the second body, and the system administrator
CITY = ("admin", "records", "shimin", "hoken", "zeimu", "kodomo", "council")
CITY_JIMU = ("住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務", "児童手当の支給に関する事務",
             "国民健康保険に関する事務")
# routes with path parameters that do not name a record of a body
NOT_BODY_RECORDS = {
    ("GET", "/calendar/{token}.ics"): "the secret token is the credential (test_calendar_feed)",
    ("GET", "/forms/{form}/{version}/unverified"): "a 様式 definition of the server, not a body's record",
}
REFUSED = (403, 404)


def _with_params(key) -> bool:
    return "{" in key[1] and key not in NOT_BODY_RECORDS


def _keys():
    return sorted((k for k in EXPECTED if _with_params(k)), key=lambda k: (k[1], k[0]))


def _check(browser, engine, method, url, data, login, problems):
    browser.client.cookies.clear()
    browser.login_as(login)
    before = fingerprint(engine) if method in STATE_CHANGING else None
    r = send(browser, method, url, data)
    if r.status not in REFUSED:
        problems.append(f"{method} {url} as {login}: {r.status} {r.text[:160]!r}")
    elif before is not None and fingerprint(engine) != before:
        problems.append(f"{method} {url} as {login}: refused ({r.status}) but the database changed")


@pytest.mark.parametrize("key", _keys(), ids=lambda k: f"{k[0]} {k[1]}")
def test_the_other_body_cannot_reach_the_citys_records(key, browser, ids, demo_engine):
    method, template = key
    problems: list[str] = []
    for case in cases(key):
        params = path_params(ids, case.subject)
        params.update({k: ids[v] if isinstance(v, str) and v in ids.values else v for k, v in case.params.items()})
        url = fill_path(template, params) + fill_path(case.query, params)
        for login in BOARD:
            data = _resolve(case.data, Ctx(ids, "admin", demo_engine))
            _check(browser, demo_engine, method, url, data, login, problems)
    assert not problems, "\n".join(problems)


def _board_params(ids) -> dict:
    return {"jimu_id": ids["b_jimu"], "det_id": ids["b_det"], "aid": ids["b_basic"], "assessment_id": ids["b_basic"],
            "vid": ids["b_basic_v"], "version_id": ids["b_basic_v"], "user_id": ids["b_user"],
            "department_id": ids["b_department"], "page_id": "I"}


def _board_keys():
    names = {"jimu_id", "det_id", "aid", "assessment_id", "vid", "version_id", "user_id", "department_id", "page_id"}
    return [k for k in _keys() if set(re.findall(r"\{(\w+)\}", k[1])) <= names]


@pytest.mark.parametrize("key", _board_keys(), ids=lambda k: f"{k[0]} {k[1]}")
def test_the_city_cannot_reach_the_boards_records(key, browser, ids, demo_engine):
    method, template = key
    problems: list[str] = []
    url = fill_path(template, _board_params(ids))
    for case in cases(key)[:1]:
        url += fill_path(case.query, {"aid": ids["b_basic"]})
        for login in CITY:
            data = _resolve(case.data, Ctx(ids, "admin", demo_engine))
            _check(browser, demo_engine, method, url, data, login, problems)
    assert not problems, "\n".join(problems)


def test_every_route_with_parameters_is_covered():
    """A new route with a path parameter is checked above unless it is named in NOT_BODY_RECORDS with a reason."""
    assert len(_keys()) >= 70 and set(NOT_BODY_RECORDS) <= set(EXPECTED)
    assert ("GET", "/versions/{vid}/edit/{page_id}") in _board_keys()


LISTS = ["/", "/jimu", "/assessments", "/queue", "/plan", "/plan/export?format=csv", "/actions?status=",
         "/dashboard", "/council", "/audit", "/admin", "/api/v1/jimu", "/api/v1/assessments", "/api/v1/due?within=90"]


def _body(r) -> str:
    if r.headers.get("content-type", "").startswith("application/json"):
        return json.dumps(r.json(), ensure_ascii=False)
    return r.content.decode("utf-8-sig")


@pytest.mark.parametrize("login", [*CITY, *BOARD])
def test_lists_show_only_the_own_bodys_records(browser, login):
    browser.login_as(login)
    foreign = CITY_JIMU if login in BOARD else (SECOND_JIMU,)
    seen_own = False
    for url in LISTS:
        r = browser.get(url)
        if r.status_code == 403:  # /audit, /admin, … are not for every role
            continue
        assert r.status_code == 200, f"{url} as {login}: {r.status_code}"
        body = _body(r)
        shown = [name for name in foreign if name in body]
        assert not shown, f"{url} shows {login} the other body's {shown}"
        seen_own = seen_own or (SECOND_JIMU in body if login in BOARD else any(n in body for n in CITY_JIMU))
    if login in ("admin", "records", "kyoi_admin", "kyoi_records", "kyoi_staff"):
        assert seen_own, f"{login} never sees its own body's 事務"


def test_each_body_numbers_its_own_assessments(read, ids):
    from sqlmodel import select

    from app.models import Assessment

    city_numbers = {a.number for a in read(select(Assessment).where(Assessment.organisation_id == ids["org"]))}
    (board,) = read(select(Assessment).where(Assessment.organisation_id == ids["b_org"]))
    assert board.number == 1 and 1 in city_numbers, "評価書番号 is allocated per body"


def test_an_administrator_manages_only_the_own_bodys_users(browser, ids):
    browser.login_as("admin")
    page = browser.get("/admin").text
    assert "kyoi_staff" not in page and "kyoi_admin" not in page and SYSADMIN_LOGIN not in page
    assert browser.get(f"/admin/users/{ids['b_user']}").status_code == 404
    assert browser.get(f"/admin/users/{ids['sysadmin_user']}").status_code == 404  # managed from the CLI only
    browser.login_as("kyoi_admin")
    page = browser.get("/admin").text
    assert "kyoi_staff" in page and "hoken" not in page
    assert browser.get(f"/admin/users/{ids['hoken_user']}").status_code == 404
    assert browser.get(f"/admin/users/{ids['b_user']}").status_code == 200


def test_the_calendar_feed_shows_only_the_own_body(browser, ids):
    browser.client.cookies.clear()
    text = browser.get(f"/calendar/{ids['hoken_calendar']}.ics").content.decode()
    assert "BEGIN:VCALENDAR" in text and SECOND_JIMU not in text


@pytest.fixture
def cli_db(demo_engine, monkeypatch):
    from app.config import get_settings

    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _cli(*args):
    from typer.testing import CliRunner

    from app.cli import app

    r = CliRunner().invoke(app, list(args))
    return r


@pytest.mark.parametrize("who", [("--user", "admin"), ("--user", "kyoi_records"), ("--user", "sysadmin"), (),
                                 ("--org", "しののめ市教育委員会")])
def test_the_cli_lists_one_body(cli_db, who):
    board = who in (("--user", "kyoi_records"), ("--org", "しののめ市教育委員会"))
    for command in (["list", "--json"], ["due", "--json", "--as-of", "2031-01-01"], ["jimu", "list", "--json"]):
        r = _cli(*who, *command)
        assert r.exit_code == 0, (who, command, r.output)
        foreign = CITY_JIMU if board else (SECOND_JIMU,)
        assert not [n for n in foreign if n in r.stdout], (who, command, r.stdout[:300])
    listed = _cli(*who, "list", "--json").stdout
    if board:
        assert SECOND_JIMU in listed
    elif who == ("--user", "sysadmin"):
        assert json.loads(listed) == []  # the system administrator sees no 評価書
    else:
        assert CITY_JIMU[0] in listed


def test_a_body_is_created_with_its_first_administrator(cli_db, browser):
    r = _cli("org", "create", "みなと県後期高齢者医療広域連合", "--admin", "kouiki_admin", "--password",
             "Kouiki-Kanri-2026", "--municipality", "みなと県")
    assert r.exit_code == 0, r.output
    again = _cli("org", "create", "みなと県後期高齢者医療広域連合", "--admin", "other_admin", "--password",
                 "Kouiki-Kanri-2026")
    assert again.exit_code == 2 and "既に登録" in again.output
    rows = json.loads(_cli("org", "list", "--json").stdout)
    assert [r["name"] for r in rows][-1] == "みなと県後期高齢者医療広域連合" and rows[-1]["admins"] == ["kouiki_admin"]
    assert _cli("--org", "みなと県後期高齢者医療広域連合", "list", "--json").stdout.strip() == "[]"
    # the screen: the system administrator only; a body's administrator gets 403
    browser.login_as("admin")
    assert browser.get("/system/organisations").status_code == 403
    browser.login_as("sysadmin")
    page = browser.get("/system/organisations")
    assert page.status_code == 200 and "みなと県後期高齢者医療広域連合" in page.text and "kouiki_admin" in page.text
    assert not [n for n in (*CITY_JIMU, SECOND_JIMU) if n in page.text], "counts only, no 事務 names"
    r = browser.post("/system/organisations", {"name": "しののめ市選挙管理委員会", "kind": "local",
                                               "admin_login": "senkan_admin", "admin_password": "Senkan-Kanri-2026",
                                               "admin_password_confirm": "Senkan-Kanri-2026"})
    assert r.status_code == 303, r.text[:300]
    bad = browser.post("/system/organisations", {"name": "", "kind": "local", "admin_login": "senkan_admin",
                                                 "admin_password": "x", "admin_password_confirm": "x"})
    assert bad.status_code == 422 and "評価実施機関名" in bad.text
