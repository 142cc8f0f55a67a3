"""Append-only audit log. UPDATE and DELETE are refused by database triggers."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Index, event, inspect
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field


class AuditLog(SQLModel, table=True):
    __table_args__ = (Index("ix_auditlog_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_ts()
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor_login: str = Field(default="", max_length=64)
    entity: str = Field(max_length=50)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=50)
    before: Any = json_field(default_factory=lambda: None, nullable=True)
    after: Any = json_field(default_factory=lambda: None, nullable=True)
    note: str = Field(default="", max_length=500)
    # the actor's 評価実施機関 (issue 16 §3): each body's /audit shows its own rows; None = written before bodies
    # were separated, or by the local CLI without a body (shown while the server holds a single body)
    organisation_id: int | None = Field(default=None, index=True)


# Both statements are also issued by the migration; the listeners cover create_all in tests.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS auditlog_no_update BEFORE UPDATE ON auditlog "
    "BEGIN SELECT RAISE(ABORT, 'auditlog is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS auditlog_no_delete BEFORE DELETE ON auditlog "
    "BEGIN SELECT RAISE(ABORT, 'auditlog is append-only'); END",
)
PG_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION auditlog_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'auditlog is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS auditlog_no_change ON auditlog",
    "CREATE TRIGGER auditlog_no_change BEFORE UPDATE OR DELETE ON auditlog "
    "FOR EACH ROW EXECUTE FUNCTION auditlog_append_only()",
)

_table = inspect(AuditLog).local_table  # AuditLog.__table__ (SQLModel's classes do not declare it to type checkers)
for _stmt in SQLITE_TRIGGERS:
    event.listen(_table, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in PG_TRIGGERS:
    event.listen(_table, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
