"""Alembic from Python: upgrade, drift check, heads (used by the CLI and the tests)."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import make_engine
from app.models.base import metadata
from app.web import ROOT


def config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(config(url), revision)


def heads(url: str = "sqlite://") -> list[str]:
    return list(ScriptDirectory.from_config(config(url)).get_heads())


def check(url: str) -> list:
    """Differences between the models and the migrated database (empty when they match)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diffs = compare_metadata(ctx, metadata)
    engine.dispose()
    return diffs
