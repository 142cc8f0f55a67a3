"""Security tests run on the demo city plus a few extra records (see world.py), one fresh database per test."""
from __future__ import annotations

import pytest

from tests import dbutil
from tests.security.world import world_snapshot


@pytest.fixture
def demo_engine(engine):
    """Overrides the shared fixture: the demo rows plus the extra records every matrix entry needs an id for."""
    rows, _, _ = world_snapshot()
    dbutil.load_rows(engine, rows)
    return engine


@pytest.fixture
def ids():
    return world_snapshot()[2]


@pytest.fixture
def browser(app, settings):
    """The shared browser, with the session tokens of the second body's users and the system administrator."""
    from fastapi.testclient import TestClient

    from tests.conftest import Browser

    _, tokens, _ = world_snapshot()
    with TestClient(app, base_url="http://testserver") as client:
        yield Browser(client, settings, tokens)
