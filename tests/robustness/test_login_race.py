"""30 wrong passwords for one account at the same moment, spread over two real server processes.

Each attempt must use up one of the allowed attempts before its password is checked, so that no more than
`login_max_failures` passwords are ever checked and the account ends locked, whatever the interleaving and
across processes (the counter lives in the database, updated atomically). Counted from the audit trail:
`login_failed`/`login_locked` are attempts whose password was checked, `login_refused_locked` were refused
without a check.
"""
from __future__ import annotations

import threading
from collections import Counter

import httpx
from sqlalchemy import func, select

from app.db import make_engine
from app.models import AuditLog, User
from app.models.base import utcnow
from tests.robustness.helpers import ServeProcess, backend, scratch_database

CLIENTS = 30
MAX_FAILURES = 5
REPORT: dict[str, object] = {}


def _attempt(base_url: str, barrier: threading.Barrier, out: list[int], errors: list[BaseException]) -> None:
    try:
        with httpx.Client(base_url=base_url, timeout=120, follow_redirects=False) as c:
            c.get("/login")
            csrf = c.cookies.get("csrftoken")
            barrier.wait(timeout=60)
            r = c.post("/login", data={"csrftoken": csrf, "login_id": "zeimu", "password": "wrong-guess-123",
                                       "next": "/"})
            out.append(r.status_code)
    except BaseException as exc:
        errors.append(exc)


def test_parallel_wrong_passwords_over_two_processes_check_at_most_the_allowance(tmp_path):
    with scratch_database(tmp_path, "loginrace") as url:
        servers = [ServeProcess(url, log=tmp_path / f"serve{n}.log",
                                extra_env={"SPIA_LOGIN_MAX_FAILURES": str(MAX_FAILURES)}).start() for n in range(2)]
        try:
            barrier = threading.Barrier(CLIENTS)
            codes: list[int] = []
            errors: list[BaseException] = []
            threads = [threading.Thread(target=_attempt, args=(servers[k % 2].url, barrier, codes, errors))
                       for k in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
        finally:
            for s in servers:
                s.stop()
        assert not errors, errors
        eng = make_engine(url)
        try:
            with eng.connect() as conn:
                actions = Counter(dict(conn.execute(
                    select(AuditLog.action, func.count()).where(AuditLog.entity == "login",
                                                                AuditLog.entity_id == "zeimu")
                    .group_by(AuditLog.action)).all()))
                locked_until = conn.execute(select(User.locked_until).where(User.login_id == "zeimu")).scalar_one()
        finally:
            eng.dispose()
    checked = actions["login_failed"] + actions["login_locked"]
    REPORT.update(backend=backend(), codes=Counter(codes), actions=dict(actions), checked=checked)
    print(REPORT)
    assert sorted(Counter(codes)) in ([401, 423], [423]), Counter(codes)
    assert checked + actions["login_refused_locked"] == CLIENTS, actions
    assert checked <= MAX_FAILURES, f"{checked} of {CLIENTS} parallel guesses were checked (allowed {MAX_FAILURES})"
    assert actions["login_locked"] == 1 and actions["login_refused_locked"] == CLIENTS - checked
    assert locked_until is not None
    if locked_until.tzinfo is None:
        from datetime import UTC

        locked_until = locked_until.replace(tzinfo=UTC)
    assert locked_until > utcnow(), "the account ends locked"
