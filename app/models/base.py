"""Shared column helpers and the metadata naming convention."""
from __future__ import annotations

from datetime import UTC, datetime

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

# Ids are INTEGER columns: anything outside 1..MAX_ID names no row (and SQLite cannot even bind > 2**63-1).
MAX_ID = 2_147_483_647


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts(**kw):
    """A timezone-aware timestamp column."""
    return Field(sa_type=DateTime(timezone=True), **kw)


def created_ts():
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def json_field(default_factory=dict, **kw):
    return Field(default_factory=default_factory, sa_type=JSON, **kw)
