"""Fixtures for the concurrency and crash-safety tests: the app over real HTTP on the run's database."""
from __future__ import annotations

import pytest

from app.deps import today
from app.main import build_asgi
from tests import dbutil
from tests.robustness.helpers import LiveServer


@pytest.fixture
def live(settings, demo_engine):
    """uvicorn in a thread serving the app on this test's database (SQLite file or PostgreSQL)."""
    app = build_asgi(settings, engine=demo_engine)
    app.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    with LiveServer(app) as server:
        yield server
