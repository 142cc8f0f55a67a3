"""An organisation's record that a form version was checked against an official 様式 file."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import created_ts


class FormConfirmation(SQLModel, table=True):
    """「この様式の版を <file> で <date> に <name> が照合した」: valid while the definition's digest is unchanged."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    form: str = Field(max_length=10)                 # basic | focused | full
    version: str = Field(max_length=40)              # r06-10
    definition_digest: str = Field(max_length=64)    # formverify.definition_digest at the time of the check
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
    checked_on: date
    checked_by: str = Field(max_length=100)          # the name as typed
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_ts()
