"""Reminder mails (`spia remind`): what was sent to whom (once per deadline and threshold), and opt-outs."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_ts


class MailOptOut(SQLModel, table=True):
    """A user who does not want reminders of one kind (review | reassessment | comment | condition | action)."""

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=20)


class ReminderSent(SQLModel, table=True):
    """One reminder in a mail the SMTP server accepted. The unique key makes re-runs (and two runs at once) send
    each (person, deadline, threshold) once; a failed send is not recorded, so the next run sends it."""

    __table_args__ = (UniqueConstraint("user_id", "deadline_key", "threshold"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    deadline_key: str = Field(max_length=100)
    threshold: str = Field(max_length=10)  # 90 | 30 | 7 | 0 | overdue
    kind: str = Field(max_length=20)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    due_on: date
    what: str = Field(default="", max_length=300)  # the deadline as the mail named it
    email: str = Field(default="", max_length=254)  # the address it went to
    sent_at: datetime = created_ts()
    as_of: date  # the run's date (--as-of)
