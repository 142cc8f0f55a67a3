"""Shared column helpers and the metadata naming convention."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import JSON, DateTime, MetaData
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
# Pydantic builds a model's validator on first use instead of at import: about 50 models, most never validated in
# a CLI command or a request (table models are constructed without validation).
SQLModel.model_config["defer_build"] = True

# Ids are INTEGER columns: anything outside 1..MAX_ID names no row (and SQLite cannot even bind > 2**63-1).
MAX_ID = 2_147_483_647


class _Row(Protocol):
    id: int | None


def pk(row: _Row) -> int:
    """The primary key of a row that is in the database (added and flushed, or read): its `id` as a plain int.

    Model ids are `int | None` because a new row has none until it is flushed; code that needs the id of a stored
    row says so with pk(row) instead of asserting at every use (the type checker then knows it is an int)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add and flush it first")
    return row.id


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts(**kw):
    """A timezone-aware timestamp column."""
    return Field(sa_type=DateTime(timezone=True), **kw)


def created_ts():
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def json_field(default_factory=dict, **kw):
    return Field(default_factory=default_factory, sa_type=JSON, **kw)
