"""Two `spia serve` processes on one PostgreSQL, no memory shared between them (issue 16 §3; README
複数の評価実施機関・複数サーバーでの運用). Requests alternate between the servers, as behind a reverse proxy:

- a session signed in on A works on B, and signing out on B ends it on A;
- optimistic locking: a save on A, then the stale form saved on B → 409 with both values, nothing overwritten;
- lockout: wrong passwords alternating A/B lock the account after the limit, on both servers;
- exports (Word, 計画管理書 CSV) are produced by either server, and each is audited once;
- two bodies: each server shows each body only its own 評価書.
Reminders sent once across processes: tests/services/test_reminders_smtp.py (two `spia remind` at once).

PostgreSQL only (the production database for several processes); skipped with the reason on SQLite.
"""
from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.models import AuditLog, User
from tests import dbutil
from tests.robustness.helpers import (
    ServeProcess,
    WebClient,
    add_session,
    form_pairs,
    kokuho,
    replace,
    scratch_database,
    spia,
)

pytestmark = pytest.mark.slow
MAX_FAILURES = 4
PAGE = "II~II.3"  # a page per file with text items (as in test_concurrent_saves)
PASSWORD = "Juki-Demo-2025"  # shimin's demo password


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not dbutil.is_postgres():
        pytest.skip("two server processes are tested on PostgreSQL (set TEST_DATABASE_URL); "
                    "on SQLite see test_login_race / test_pdf_load")
    tmp = tmp_path_factory.mktemp("two-servers")
    with scratch_database(tmp, "twoservers") as url:
        procs = [ServeProcess(url, log=tmp / f"serve-{n}.log",
                              extra_env={"SPIA_LOGIN_MAX_FAILURES": str(MAX_FAILURES)}) for n in range(2)]
        try:
            for p in procs:
                p.start()
            engine = make_engine(url)
            yield procs, engine, url
            engine.dispose()
        finally:
            for p in procs:
                p.stop()


def _sign_in(base: str, login: str, password: str) -> tuple[httpx.Client, httpx.Response]:
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    c.get("/login")
    r = c.post("/login", data={"csrftoken": c.cookies.get("csrftoken"), "login_id": login, "password": password,
                               "next": "/"})
    return c, r


def test_a_session_from_one_server_works_on_the_other(servers):
    (a, b), _, _ = servers
    client, r = _sign_in(a.url, "shimin", PASSWORD)
    assert r.status_code == 303, r.text[:300]
    cookies = dict(client.cookies)
    with httpx.Client(base_url=b.url, follow_redirects=False, timeout=60, cookies=cookies) as on_b:
        page = on_b.get("/assessments")
        assert page.status_code == 200 and "住民基本台帳に関する事務" in page.text
        out = on_b.post("/logout", data={"csrftoken": cookies["csrftoken"]})
        assert out.status_code == 303
    again = client.get("/assessments")  # signed out on B: A asks for a sign-in
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
    client.close()


def _text_items(engine, vid: int, pairs) -> list[str]:
    from app.models import AssessmentVersion
    from app.services import catalogue

    with Session(engine) as s:
        d = catalogue.definition("full", s.get(AssessmentVersion, vid).form_version)
    names = {k for k, _ in pairs}
    return [i.id for i in d.page(PAGE).walk() if i.type in ("text", "longtext") and f"a|{i.id}" in names]


def test_a_stale_save_on_the_other_server_is_a_conflict(servers):
    (a, b), engine, _ = servers
    _, vid, uids = kokuho(engine)
    url = f"/versions/{vid}/edit/{PAGE}?file={uids[0]}"
    on_a, on_b = WebClient(a.url, add_session(engine, "hoken")), WebClient(b.url, add_session(engine, "records"))
    try:
        pairs_a, _ = form_pairs(on_a.get(url).text)
        pairs_b, _ = form_pairs(on_b.get(url).text)  # the same page, the same lock
        item = "a|" + _text_items(engine, vid, pairs_a)[0]
        first = on_a.post_form(url, replace(pairs_a, item, "A で保存した記載"))
        assert first.status_code == 303, first.text[:300]
        stale = on_b.post_form(url, replace(pairs_b, item, "B で保存しようとした記載"))
        assert stale.status_code == 409, stale.text[:300]
        assert "A で保存した記載" in stale.text  # both values shown
        assert "A で保存した記載" in on_b.get(url).text, "the first save stays"
    finally:
        on_a.close()
        on_b.close()


def test_wrong_passwords_alternating_between_servers_lock_the_account(servers):
    (a, b), engine, _ = servers
    codes = []
    for n in range(MAX_FAILURES + 2):
        _, r = _sign_in((a, b)[n % 2].url, "kodomo", "wrong-guess-123")
        codes.append(r.status_code)
    assert codes[:MAX_FAILURES - 1] == [401] * (MAX_FAILURES - 1), codes
    assert codes[MAX_FAILURES:] == [423, 423], codes  # locked on both servers
    for server in (a, b):  # the right password does not open a locked account on either
        _, r = _sign_in(server.url, "kodomo", "Teate-Demo-2025")
        assert r.status_code == 423
    with Session(engine) as s:
        assert s.exec(select(User.locked_until).where(User.login_id == "kodomo")).one() is not None


def test_exports_work_from_both_servers(servers):
    (a, b), engine, _ = servers
    _, vid, _ = kokuho(engine)
    with Session(engine) as s:
        before = len(s.exec(select(AuditLog.id).where(AuditLog.action == "output")).all())
    for server in (a, b):
        c = WebClient(server.url, add_session(engine, "records"))
        try:
            doc = c.get(f"/versions/{vid}/export?edition=full&format=docx")
            assert doc.status_code == 200 and doc.content[:2] == b"PK", doc.text[:300]
            plan = c.get("/plan/export?format=csv")
            assert plan.status_code == 200 and "国民健康保険に関する事務" in plan.content.decode("utf-8-sig")
        finally:
            c.close()
    with Session(engine) as s:
        after = len(s.exec(select(AuditLog.id).where(AuditLog.action == "output")).all())
    assert after - before == 4, "each export is audited once, whichever server made it"


def test_two_bodies_each_see_their_own_on_either_server(servers):
    (a, b), engine, url = servers
    r = spia("org", "create", "しののめ市教育委員会", "--admin", "kyoi_admin", "--password", "Kyoiku-Kanri-2026",
             database_url=url)
    assert r.returncode == 0, r.stderr
    for server in (a, b):
        board, signed = _sign_in(server.url, "kyoi_admin", "Kyoiku-Kanri-2026")
        assert signed.status_code == 303
        page = board.get("/assessments")
        assert page.status_code == 200 and "国民健康保険に関する事務" not in page.text
        board.close()
    with Session(engine) as s:
        assert s.exec(select(User.organisation_id).where(User.login_id == "kyoi_admin")).one() != 1
