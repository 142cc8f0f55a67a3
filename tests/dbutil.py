"""Test databases: a fresh SQLite per test, or the PostgreSQL of TEST_DATABASE_URL reset per test.

The demo organisation is built once per session and copied into each test's database as rows
(fast on both backends), together with one signed-in browser session per demo account.
"""
from __future__ import annotations

import contextlib
import os
from datetime import date

from sqlalchemy import insert, inspect, select, text
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app.db import make_engine

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
SHARED_DATABASE_URL = TEST_DATABASE_URL  # the database named by TEST_DATABASE_URL (its server is the one we use)
REQUIRE_ALL = os.environ.get("SPIA_CI_REQUIRE_ALL") == "1"
DEMO_TODAY = date(2026, 11, 23)


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def sqlite_file_engine(path=None):
    """A fresh SQLite file (WAL) per test: separate connections behave as in production."""
    import tempfile

    if path is None:
        fd, path = tempfile.mkstemp(prefix="spia-test-", suffix=".db")
        os.close(fd)
        os.unlink(path)
    engine = make_engine(f"sqlite:///{path}")
    engine.test_path = path  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(engine)
    return engine


def dispose(engine) -> None:
    path = getattr(engine, "test_path", None)
    engine.dispose()
    if path:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)


_pg_engine = None


def _pg_admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    admin = make_url(url).set(database="postgres")
    eng = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with eng.connect() as conn:
            conn.execute(text(sql))
    finally:
        eng.dispose()


def use_private_postgres() -> None:
    """Run this session in a database of its own on TEST_DATABASE_URL's server (`<name>_run<pid>`).

    Two runs on one server (a developer's and CI's, or two worktrees) would otherwise drop each other's schema
    mid-run. Dropped again when the session ends (`drop_private_postgres`).
    """
    global TEST_DATABASE_URL
    if not is_postgres() or TEST_DATABASE_URL != SHARED_DATABASE_URL:
        return
    from sqlalchemy.engine import make_url

    url = make_url(SHARED_DATABASE_URL)
    name = f"{url.database or 'test'}_run{os.getpid()}"
    _pg_admin(SHARED_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(SHARED_DATABASE_URL, f'CREATE DATABASE "{name}"')
    TEST_DATABASE_URL = url.set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL


def drop_private_postgres() -> None:
    global TEST_DATABASE_URL, _pg_engine
    if TEST_DATABASE_URL == SHARED_DATABASE_URL:
        return
    if _pg_engine is not None:
        _pg_engine.dispose()
        _pg_engine = None
    from sqlalchemy.engine import make_url

    name = make_url(TEST_DATABASE_URL).database
    _pg_admin(SHARED_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    TEST_DATABASE_URL = SHARED_DATABASE_URL
    os.environ["TEST_DATABASE_URL"] = SHARED_DATABASE_URL


def postgres_engine():
    """One engine for the session; the schema is built by the migrations (so they are tested too)."""
    global _pg_engine
    if _pg_engine is None:
        from app.migrate import upgrade

        engine = make_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(TEST_DATABASE_URL)
        _pg_engine = engine
    return _pg_engine


def tables():
    return [t for t in SQLModel.metadata.sorted_tables]


def reset_postgres(engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in tables())
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def dump_rows(engine) -> dict[str, list[dict]]:
    out = {}
    with engine.connect() as conn:
        for t in tables():
            out[t.name] = [dict(r._mapping) for r in conn.execute(select(t))]
    return out


def load_rows(engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for t in tables():
            if rows.get(t.name):
                conn.execute(insert(t), rows[t.name])
        if engine.dialect.name == "postgresql":
            for t in tables():
                pk = [c for c in t.primary_key.columns]
                if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', '{pk[0].name}'), "
                        f"COALESCE((SELECT MAX(\"{pk[0].name}\") FROM \"{t.name}\"), 0) + 1, false)"))


def fresh_engine():
    if is_postgres():
        engine = postgres_engine()
        reset_postgres(engine)
        return engine
    return sqlite_file_engine()


_demo_snapshots: dict[bool, tuple[dict, dict]] = {}


def demo_snapshot(in_flight: bool = False) -> tuple[dict, dict]:
    """(rows, {login_id: session token}) of the demo, built once.

    The shared fixture is the demo WITHOUT the procedures in flight (assessments/demo/life.yaml): many tests revise the
    published 住民基本台帳 全項目 or start its procedure, which the in-flight 再実施 would refuse (one working version).
    tests/cli/test_demo_life.py checks the whole demo (`in_flight=True`), as `spia demo` / `make run` load it."""
    if in_flight not in _demo_snapshots:
        from app.demo import load_demo
        from app.services import auth

        engine = sqlite_file_engine()
        with Session(engine, expire_on_commit=False) as session:
            _, accounts = load_demo(session, today=DEMO_TODAY, in_flight=in_flight)
            tokens = {}
            for login, password, _ in accounts:
                token, _ = auth.login(session, login_id=login, password=password, session_hours=24 * 365 * 20)
                tokens[login] = token
        _demo_snapshots[in_flight] = (dump_rows(engine), tokens)
        dispose(engine)
    return _demo_snapshots[in_flight]


def inspect_tables(engine) -> list[str]:
    return inspect(engine).get_table_names()
