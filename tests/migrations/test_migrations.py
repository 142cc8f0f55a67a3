"""Migrations: one head, upgrade/downgrade on an empty database, no drift from the models."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import check, downgrade, heads, upgrade
from app.models.base import metadata
from tests import dbutil


def test_single_head():
    assert len(heads()) == 1


def test_sqlite_upgrade_check_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert check(url) == [], "models and migrations drift (run alembic revision --autogenerate)"
    engine = make_engine(url)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


@pytest.mark.skipif(not dbutil.is_postgres(), reason="TEST_DATABASE_URL is not PostgreSQL")
def test_postgres_no_drift():
    dbutil.postgres_engine()  # built with `alembic upgrade head`
    assert check(dbutil.TEST_DATABASE_URL) == []
