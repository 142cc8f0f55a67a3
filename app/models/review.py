"""The yearly 見直し: every declared measure and the organisation's audit checklist, with an outcome."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import created_ts


class ChecklistItem(SQLModel, table=True):
    """An item of the organisation's internal audit checklist asked in every yearly review."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    text: str = Field(max_length=1000)
    position: int = 0
    active: bool = Field(default=True)


class AnnualReview(SQLModel, table=True):
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
