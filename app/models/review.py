"""The yearly 見直し: every declared measure and the organisation's audit checklist, with an outcome."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, ts


class ChecklistItem(SQLModel, table=True):
    """An item of the organisation's internal audit checklist asked in every yearly review."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    text: str = Field(max_length=1000)
    position: int = 0
    active: bool = Field(default=True)
    lock_version: int = Field(default=1)


class AnnualReview(SQLModel, table=True):
    # one open 見直し per 評価書: a double click on 「見直しを始める」 cannot open two
    __table_args__ = (Index("ux_annualreview_open", "assessment_id", unique=True,
                            sqlite_where=text("completed_on IS NULL"), postgresql_where=text("completed_on IS NULL")),)
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    version_id: int = Field(foreign_key="assessmentversion.id")  # the published version reviewed
    started_on: date
    completed_on: date | None = None
    reviewer_id: int | None = Field(default=None, foreign_key="app_user.id")
    outcome: str = Field(default="", max_length=20)  # no_change | correction | reassessment
    findings: str = Field(default="", max_length=20000)
    next_version_id: int | None = Field(default=None, foreign_key="assessmentversion.id")
    created_at: datetime = created_ts()


class AnnualReviewCheck(SQLModel, table=True):
    """One question of a review: 「実施されているか」 for a measure, or a checklist item."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="annualreview.id", index=True)
    kind: str = Field(max_length=10)  # measure | checklist
    file_uid: str = Field(default="", max_length=32)
    item_id: str = Field(default="", max_length=100)
    measure_id: str = Field(default="", max_length=32)
    audience: str = Field(default="", max_length=10)
    label: str = Field(default="", max_length=500)
    text: str = Field(max_length=4000)
    status: str = Field(default="", max_length=20)  # in_place | partial | not_in_place
    note: str = Field(default="", max_length=2000)
    position: int = 0
    # autosave per answer: an optimistic lock per question, and who answered it when (shown on a 409)
    lock_version: int = Field(default=1)
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = ts(default=None, nullable=True)
