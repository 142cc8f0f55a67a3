"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.deps import SESSION_COOKIE, session_signer, today
from app.main import build_asgi
from tests import dbutil
from tests.html import check_page, parse

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_configure(config):
    import os

    # An application started by a test renders in the test's process (a rendering process per test app would
    # cost a second each); tests/export/test_render_pool.py starts the pool itself.
    os.environ.setdefault("SPIA_RENDER_PROCESSES", "0")
    dbutil.use_private_postgres()


def pytest_unconfigure(config):
    dbutil.drop_private_postgres()


def pytest_report_header(config):
    backend = "PostgreSQL (" + dbutil.TEST_DATABASE_URL.split("@")[-1] + ")" if dbutil.is_postgres() else "SQLite (in-memory)"
    return f"spia test database: {backend}"


@pytest.fixture(autouse=True)
def _own_export_cache(tmp_path_factory, monkeypatch):
    """Each test renders into an export cache of its own (app/services/export_cache.py): a document cached by one
    test is never served to another (a test that makes rendering fail, or reads the file's creation time)."""
    from uuid import uuid4

    from app.config import get_settings

    monkeypatch.setenv("SPIA_EXPORT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "export-cache" / uuid4().hex))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=dbutil.TEST_DATABASE_URL or "sqlite://", secret_key=TEST_SECRET,
                    environment="test", max_upload_bytes=2 * 1024 * 1024)


@pytest.fixture
def engine():
    engine = dbutil.fresh_engine()
    yield engine
    if not dbutil.is_postgres():
        dbutil.dispose(engine)


@pytest.fixture
def demo_engine(engine):
    rows, _ = dbutil.demo_snapshot()
    dbutil.load_rows(engine, rows)
    return engine


@pytest.fixture
def db(demo_engine):
    from sqlmodel import Session

    with Session(demo_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def read(demo_engine):
    """Run a query in a new session (sees everything committed so far) and return all rows."""
    from sqlmodel import Session

    def run(stmt):
        with Session(demo_engine) as s:
            return list(s.exec(stmt).all())

    return run


class Browser:
    """A TestClient with helpers: sign in as a demo account, GET/POST with the CSRF token, parse pages."""

    def __init__(self, client: TestClient, settings: Settings, tokens: dict[str, str]):
        self.client, self.settings, self.tokens = client, settings, tokens

    def login_as(self, login_id: str) -> Browser:
        self.client.cookies.set(SESSION_COOKIE, session_signer(self.settings).sign(self.tokens[login_id]))
        return self

    def logout(self) -> None:
        self.client.cookies.delete(SESSION_COOKIE)

    def csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            self.client.get("/login")
        return self.client.cookies["csrftoken"]

    def get(self, url: str, **kw):
        return self.client.get(url, follow_redirects=False, **kw)

    def page(self, url: str, status: int = 200):
        r = self.get(url)
        assert r.status_code == status, f"GET {url}: {r.status_code} {r.text[:500]}"
        return check_page(parse(r.text))

    def post(self, url: str, data=None, *, csrf: bool = True, **kw):
        """POST a form; `data` is a dict or a list of (name, value) pairs (repeated names allowed)."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            pairs.insert(0, ("csrftoken", self.csrf()))
        form: dict[str, list[str]] = {}
        for key, value in pairs:
            form.setdefault(key, []).append(value)
        return self.client.post(url, data=form, follow_redirects=False, **kw)

    def api(self, method: str, url: str, **kw):
        headers = {"X-CSRFToken": self.csrf(), **kw.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kw)


@pytest.fixture
def app(settings, demo_engine):
    asgi = build_asgi(settings, engine=demo_engine)
    asgi.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    return asgi


@pytest.fixture
def life_browser(settings, engine):
    """A browser on the whole demo as `spia demo` loads it, with the procedures in flight (意見公募, 第三者点検,
    修正 with 変更箇所: assessments/demo/life.yaml); the shared `demo_engine` leaves them out."""
    rows, tokens = dbutil.demo_snapshot(in_flight=True)
    dbutil.load_rows(engine, rows)
    asgi = build_asgi(settings, engine=engine)
    asgi.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    with TestClient(asgi, base_url="http://testserver") as client:
        yield Browser(client, settings, tokens)


@pytest.fixture
def browser(app, settings):
    _, tokens = dbutil.demo_snapshot()
    with TestClient(app, base_url="http://testserver") as client:
        yield Browser(client, settings, tokens)
