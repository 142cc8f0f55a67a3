"""Helpers for the concurrency and crash-safety tests: real HTTP clients, servers, scratch databases, row dumps."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401 - registers every table
from app.db import make_engine
from app.deps import SESSION_COOKIE, session_signer
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    AuditLog,
    Jimu,
    LoginSession,
    PageLock,
    User,
    UserDepartment,
    VersionFile,
)
from app.security import new_token, token_hash
from tests import dbutil
from tests.conftest import TEST_SECRET
from tests.factories import form_fields

ROOT = Path(__file__).resolve().parents[2]
KOKUHO = "国民健康保険に関する事務"


def spia_command() -> str:
    """The `spia` console script of the running interpreter's environment (the .venv of `make test`)."""
    here = Path(sys.executable).with_name("spia")
    found = str(here) if here.exists() else shutil.which("spia")
    if not found:
        skip_or_fail("the spia command is not installed (pip install -e .)")
    return found


def skip_or_fail(reason: str):
    if dbutil.REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def backend() -> str:
    return "postgresql" if dbutil.is_postgres() else "sqlite"


# ------------------------------------------------------------------ the demo's editable draft

def kokuho(engine) -> tuple[int, int, list[str]]:
    """(assessment id, version id, file uids) of the 国民健康保険 全項目評価書 (the demo's editable draft)."""
    with Session(engine) as s:
        jid = s.exec(select(Jimu.id).where(Jimu.name == KOKUHO)).scalar_one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).scalar_one()
        vid = s.exec(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == aid)
                     .order_by(AssessmentVersion.seq.desc())).scalars().first()
        uids = list(s.exec(select(VersionFile.uid).where(VersionFile.version_id == vid)
                           .order_by(VersionFile.position)).scalars())
    return aid, vid, uids


def add_session(engine, login: str, *, clone_as: str | None = None) -> str:
    """A new signed-in session token for `login` (or for a new user `clone_as` with the same role and departments)."""
    with Session(engine) as s:
        user = s.exec(select(User).where(User.login_id == login)).scalar_one()
        if clone_as:
            links = s.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).scalars().all()
            data = user.model_dump(exclude={"id"})
            data.update(login_id=clone_as, display_name=f"{user.display_name}(2人目)")
            user = User(**data)
            s.add(user)
            s.flush()
            for dept in links:
                s.add(UserDepartment(user_id=user.id, department_id=dept))
        token = new_token()
        from datetime import timedelta

        from app.models.base import utcnow

        s.add(LoginSession(id=token_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(days=3650)))
        s.commit()
    return token


# ------------------------------------------------------------------ HTTP clients

class WebClient:
    """A browser-like client over real HTTP: signed session cookie, CSRF double-submit token."""

    def __init__(self, base_url: str, token: str, *, secret: str = TEST_SECRET, timeout: float = 120):
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=timeout)
        self.http.cookies.set(SESSION_COOKIE, session_signer(_Secret(secret)).sign(token))
        r = self.http.get("/login")
        assert r.status_code in (200, 303), r.status_code
        self.token = self.http.cookies.get("csrftoken")
        assert self.token, "no csrftoken cookie"

    def close(self) -> None:
        self.http.close()

    def get(self, url: str, **kw) -> httpx.Response:
        return self.http.get(url, **kw)

    def post_form(self, url: str, pairs: list[tuple[str, str]], **kw) -> httpx.Response:
        body = [("csrftoken", self.token)] + list(pairs)
        return self.http.post(url, data=_multi(body), **kw)

    def api(self, method: str, url: str, **kw) -> httpx.Response:
        headers = {"X-CSRFToken": self.token, **kw.pop("headers", {})}
        return self.http.request(method, url, headers=headers, **kw)


class _Secret:
    def __init__(self, secret: str):
        self.secret_key = secret


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def form_pairs(html: str) -> tuple[list[tuple[str, str]], str]:
    """The fields a browser would post for the editor page (#page-form) and the form's action."""
    return form_fields(BeautifulSoup(html, "html.parser"))


def replace(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in pairs if k != name] + [(name, value)]


def field(pairs: list[tuple[str, str]], name: str) -> str:
    return next(v for k, v in pairs if k == name)


# ------------------------------------------------------------------ servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served by uvicorn in a thread of the test process (as in tests/browser)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return self
            time.sleep(0.025)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


class ServeProcess:
    """`spia serve` in a subprocess of its own (process group), to be SIGKILLed."""

    def __init__(self, database_url: str, *, log: Path, extra_env: dict[str, str] | None = None, workers: int = 1):
        self.database_url, self.log = database_url, log
        self.env = {**os.environ, "DATABASE_URL": database_url, "SPIA_SECRET_KEY": TEST_SECRET,
                    "SPIA_ENVIRONMENT": "test", "SPIA_MAX_UPLOAD_BYTES": str(256 * 1024 * 1024), **(extra_env or {})}
        self.env.pop("SPIA_USER", None)
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.workers = workers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServeProcess:
        self.port = free_port()
        out = open(self.log, "ab")  # noqa: SIM115 - the server writes to it until stop()
        self.proc = subprocess.Popen([spia_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", str(self.workers)],
                                     env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                     start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spia serve exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("spia serve did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


def spia(*args: str, database_url: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SPIA_USER", None)
    return subprocess.run([spia_command(), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


# ------------------------------------------------------------------ scratch databases

def pg_admin_url() -> str:
    return make_url(dbutil.TEST_DATABASE_URL).set(database="postgres").render_as_string(hide_password=False)


def pg_url(name: str) -> str:
    return make_url(dbutil.TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def _pg_admin(sql: str) -> None:
    eng = make_engine(pg_admin_url(), isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        with eng.connect() as conn:
            conn.execute(text(sql))
    finally:
        eng.dispose()


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


def pg_create(name: str, template: str | None = None) -> str:
    _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return pg_url(name)


def pg_drop(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scratch_name(tag: str) -> str:
    base = make_url(dbutil.TEST_DATABASE_URL).database or "test"
    return f"{base}_{tag}_{uuid.uuid4().hex[:8]}"


@contextmanager
def scratch_database(tmp_path: Path, tag: str, *, with_demo: bool = True):
    """A database of the run's backend that no other test uses: a SQLite file or a new PostgreSQL database.

    Yields its URL. The schema is created from the models (with the audit triggers) and the demo is copied in.
    """
    if dbutil.is_postgres():
        name = scratch_name(tag)
        url = pg_create(name)
        try:
            if with_demo:
                populate(url)
            yield url
        finally:
            pg_drop(name)
    else:
        path = tmp_path / f"{tag}-{secrets.token_hex(4)}.db"
        url = f"sqlite:///{path}"
        if with_demo:
            populate(url)
        yield url


def populate(url: str) -> None:
    eng = make_engine(url, **({} if url.startswith("sqlite") else {"poolclass": _null_pool()}))
    try:
        SQLModel.metadata.create_all(eng)
        rows, _ = dbutil.demo_snapshot()
        dbutil.load_rows(eng, rows)
    finally:
        eng.dispose()


# ------------------------------------------------------------------ rows and consistency

def tables():
    return list(SQLModel.metadata.sorted_tables)


def dump(url_or_engine, *, only: list[str] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table, as sorted tuples of plain values (comparable across databases)."""
    eng, own = _engine(url_or_engine)
    out: dict[str, list[tuple]] = {}
    try:
        with eng.connect() as conn:
            for t in tables():
                if only and t.name not in only:
                    continue
                cols = list(t.columns)
                rows = conn.execute(select(*cols)).all()
                out[t.name] = sorted((tuple(_plain(v) for v in r) for r in rows), key=repr)
    finally:
        if own:
            eng.dispose()
    return out


def counts(url_or_engine) -> dict[str, int]:
    eng, own = _engine(url_or_engine)
    try:
        with eng.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables()}
    finally:
        if own:
            eng.dispose()


def _plain(v: Any) -> Any:
    from datetime import datetime

    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, dict | list):
        import json

        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return v


def _engine(url_or_engine):
    if isinstance(url_or_engine, str):
        kw = {} if url_or_engine.startswith("sqlite") else {"poolclass": _null_pool()}
        return make_engine(url_or_engine, **kw), True
    return url_or_engine, False


def orphans(url_or_engine) -> list[str]:
    """Foreign keys whose parent row is missing (a torn write), on either backend."""
    eng, own = _engine(url_or_engine)
    problems = []
    try:
        with eng.connect() as conn:
            for t in tables():
                for fk in t.foreign_keys:
                    col, target = fk.parent, fk.column
                    alias = target.table.alias("parent_row")
                    parent = alias.c[target.name]
                    q = (select(func.count()).select_from(t.outerjoin(alias, col == parent))
                         .where(col.is_not(None), parent.is_(None)))
                    n = conn.execute(q).scalar_one()
                    if n:
                        problems.append(f"{t.name}.{col.name} -> {target.table.name}: {n} orphan rows")
    finally:
        if own:
            eng.dispose()
    return problems


def sqlite_integrity(path: str | Path) -> str:
    import sqlite3

    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def version_state(url_or_engine, vid: int) -> dict[str, Any]:
    """What a version consists of: its files, page locks and answers (for 'fully before or fully after')."""
    eng, own = _engine(url_or_engine)
    try:
        with eng.connect() as conn:
            files = sorted(tuple(r) for r in conn.execute(
                select(VersionFile.uid, VersionFile.name, VersionFile.position).where(VersionFile.version_id == vid)))
            locks = sorted(tuple(r) for r in conn.execute(
                select(PageLock.page_id, PageLock.file_uid, PageLock.lock).where(PageLock.version_id == vid)))
            answers = {(r.file_uid, r.item_id): (_plain(r.value), r.withheld, r.withheld_reason) for r in conn.execute(
                select(Answer.file_uid, Answer.item_id, Answer.value, Answer.withheld, Answer.withheld_reason)
                .where(Answer.version_id == vid))}
            audits = conn.execute(select(func.count()).select_from(AuditLog)
                                  .where(AuditLog.entity == "assessment_version",
                                         AuditLog.entity_id == str(vid))).scalar_one()
    finally:
        if own:
            eng.dispose()
    return {"files": files, "locks": locks, "answers": answers, "audit_rows": audits}


def which(cmd: str) -> str | None:
    return shutil.which(cmd)
