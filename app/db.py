"""Engine and session handling. SQLite (WAL) by default, PostgreSQL in production.

SQLite: pysqlite's own transaction handling is switched off and we emit BEGIN ourselves
(the SQLAlchemy-documented recipe), so that write requests start with BEGIN IMMEDIATE and
concurrent writers queue on the busy timeout instead of failing on a lock upgrade.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine
from starlette.requests import Request

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=False)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Called before the first statement of a request or command that will write, so that
    SQLite serialises writers up front instead of failing later on a lock upgrade.
    """
    if session.in_transaction():
        return
    token = _immediate.set(True)
    try:
        session.connection()
    finally:
        _immediate.reset(token)


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        if write:
            begin_write(session)
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """A reading session (deferred BEGIN)."""
    with session_scope(request.app.state.engine) as s:
        yield s


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for a request that writes: on SQLite its transaction starts as BEGIN IMMEDIATE."""
    with session_scope(request.app.state.engine, write=True) as s:
        yield s
