"""一括変更 (change campaign): one change across many 評価書, and the working versions it opened."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field


class Campaign(SQLModel, table=True):
    """The definition as data (the same shape as the campaign YAML file, see assessments/README.md)."""

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)
    planned_on: date
    spec: Any = json_field()
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_ts()
    lock_version: int = Field(default=1)


class CampaignLink(SQLModel, table=True):
    """A 評価書 the campaign was applied to, and the working version it opened (one per 評価書: re-applying skips it)."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    kind: str = Field(default="", max_length=20)   # reassessment | correction, as planned
    applied_at: datetime = created_ts()
    applied_by_id: int | None = Field(default=None, foreign_key="app_user.id")
