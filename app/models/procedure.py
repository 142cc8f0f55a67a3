"""The procedure: stage events, frozen snapshots, public comment, council review (第三者点検), PPC approval,
and a municipality's own workflow steps."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field


class StageEvent(SQLModel, table=True):
    """One transition of a version's procedure (who, when, from, to, note). Shown as the timeline."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    action: str = Field(max_length=60)
    from_stage: str = Field(max_length=60)
    to_stage: str = Field(max_length=60)
    at: datetime = created_ts()
    on_date: date | None = None  # the business date of the step (提出日, 公表日 …) when it has one
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_login: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=2000)


class Snapshot(SQLModel, table=True):
    """A frozen copy of a version: what was put out for comment, sent to the council, submitted or published."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    purpose: str = Field(max_length=20)  # public_comment | council | submission | publication
    edition: str = Field(default="full", max_length=10)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    data: Any = json_field()  # the lossless JSON of the version at that moment
    filename: str = Field(default="", max_length=300)
    docx: bytes | None = Field(default=None, sa_type=LargeBinary)


class PublicComment(SQLModel, table=True):
    """公示・意見聴取 of one version."""

    __table_args__ = (Index("ux_publiccomment_open", "version_id", unique=True,
                            sqlite_where=text("closed_on IS NULL"), postgresql_where=text("closed_on IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    method: str = Field(default="", max_length=1000)
    start_on: date | None = None
    end_on: date | None = None
    shortening_reason: str = Field(default="", max_length=2000)
    snapshot_id: int | None = Field(default=None, foreign_key="snapshot.id")
    closed_on: date | None = None
    early_close_reason: str = Field(default="", max_length=2000)  # 終了 before the end date: why (printed in the results)
    created_at: datetime = created_ts()


class Opinion(SQLModel, table=True):
    """An opinion received in a public comment; the submitter is kept private (never exported)."""

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="publiccomment.id", index=True)
    received_on: date
    channel: str = Field(max_length=20)  # 郵送 | 電子メール | FAX | 持参 | フォーム
    submitter: str = Field(default="", max_length=500)
    text: str = Field(max_length=20000)
    items: Any = json_field(default_factory=list)  # related form item ids
    response: str = Field(default="", max_length=20000)  # 市の考え方
    led_to_change: bool = Field(default=False)
    changed_item: str = Field(default="", max_length=100)
    position: int = 0
    created_at: datetime = created_ts()


class Council(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    lock_version: int = Field(default=1)


class CouncilMember(SQLModel, table=True):
    council_id: int = Field(foreign_key="council.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)


class Review(SQLModel, table=True):
    """第三者点検 of one version by a council: 諮問 → meetings → 答申 (with conditions). 「再度の点検を求める」 opens
    a new round (a new row, round + 1, with its own snapshot and 答申); earlier rounds stay as history."""

    __table_args__ = (Index("ux_review_open", "version_id", unique=True,
                            sqlite_where=text("closed_on IS NULL"), postgresql_where=text("closed_on IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    round: int = Field(default=1)
    council_id: int = Field(foreign_key="council.id")
    consulted_on: date | None = None
    method: str = Field(default="", max_length=1000)  # e.g. しののめ市個人情報保護審議会への諮問
    snapshot_id: int | None = Field(default=None, foreign_key="snapshot.id")
    result: str = Field(default="", max_length=20)  # 適当 | 条件付き適当 | 不適当
    answered_on: date | None = None
    answer_text: str = Field(default="", max_length=20000)
    closed_on: date | None = None
    created_at: datetime = created_ts()


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    session_name: str = Field(max_length=200)  # 回次, e.g. 令和2年度第5回
    held_on: date
    place: str = Field(default="", max_length=300)
    agenda: str = Field(default="", max_length=4000)
    attendance: str = Field(default="", max_length=4000)
    public: bool = Field(default=True)  # 公開 / 非公開の会議
    minutes: Any = json_field(default_factory=list)  # [{speaker, text, private}]


class Finding(SQLModel, table=True):
    """指摘事項 of a meeting, linked to form items, with the department's 回答."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    text: str = Field(max_length=20000)
    items: Any = json_field(default_factory=list)
    response: str = Field(default="", max_length=20000)
    status: str = Field(default="open", max_length=20)  # open 対応中 | done 対応済 | not_needed 対応不要
    reason: str = Field(default="", max_length=2000)
    created_at: datetime = created_ts()


class ReviewCondition(SQLModel, table=True):
    """A condition of a 答申 (条件付き適当), tracked to completion."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    text: str = Field(max_length=4000)
    status: str = Field(default="open", max_length=10)  # open | met
    met_on: date | None = None
    note: str = Field(default="", max_length=2000)


class Approval(SQLModel, table=True):
    """個人情報保護委員会の承認 (行政機関等 only)."""

    __table_args__ = (Index("ux_approval_version", "version_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    applied_on: date | None = None
    review_notes: str = Field(default="", max_length=20000)
    approved_on: date | None = None


class WorkflowStep(SQLModel, table=True):
    """A municipality's own procedure step (e.g. 審議会報告 before submission), set by an administrator."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    key: str = Field(max_length=40)
    label: str = Field(max_length=100)
    before: str = Field(max_length=40)
    forms: Any = json_field(default_factory=lambda: ["full"])
    active: bool = Field(default=True)
