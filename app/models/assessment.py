"""評価書 (assessment), its versions, files, answers per item, page locks, actions and the measure library."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field, ts


class Assessment(SQLModel, table=True):
    """One 評価書 of one form for one 事務, across its versions."""

    __table_args__ = (UniqueConstraint("organisation_id", "form", "number"), UniqueConstraint("jimu_id", "form"))
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    jimu_id: int = Field(foreign_key="jimu.id", index=True)
    form: str = Field(max_length=10)  # basic | focused | full
    number: int  # 評価書番号 (same as the 計画管理書)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class AssessmentVersion(SQLModel, table=True):
    """A version of a 評価書: 実施 (initial), 修正 (correction) or 再実施 (reassessment)."""

    __table_args__ = (
        UniqueConstraint("assessment_id", "seq"),
        # one working (not yet published) version per 評価書: a double 改訂 cannot open two drafts
        Index("ux_assessmentversion_working", "assessment_id", unique=True,
              sqlite_where=text("stage <> 'published'"), postgresql_where=text("stage <> 'published'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    seq: int = 1
    form_version: str = Field(max_length=20)  # e.g. r06-10
    kind: str = Field(default="initial", max_length=20)  # initial | correction | reassessment
    stage: str = Field(default="draft", max_length=40)
    stage_since: datetime = created_ts()
    stage_lock: int = Field(default=1)
    frozen: bool = Field(default=False)
    based_on_id: int | None = Field(default=None, foreign_key="assessmentversion.id")
    determination_id: int | None = Field(default=None, foreign_key="determination.id")
    submitted_on: date | None = None
    approved_on: date | None = None
    published_on: date | None = None
    revision_reason: str = Field(default="", max_length=20)  # change | review | five_year | threshold
    planned_change_on: date | None = None  # the change this revision prepares takes effect on (事前 submission)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class VersionFile(SQLModel, table=True):
    """A 特定個人情報ファイル inside a version; `uid` is stable across versions."""

    __table_args__ = (UniqueConstraint("version_id", "uid"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    uid: str = Field(max_length=32)
    register_file_id: int | None = Field(default=None, foreign_key="specificfile.id")
    name: str = Field(max_length=200)
    position: int = 0


class Answer(SQLModel, table=True):
    """The answer to one item (per file for per-file sections; a repeating group is one answer)."""

    __table_args__ = (UniqueConstraint("version_id", "file_uid", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    file_uid: str = Field(default="", max_length=32)
    item_id: str = Field(max_length=100)
    value: Any = json_field(default_factory=lambda: None, nullable=True)
    withheld: bool = Field(default=False)  # 非公表
    withheld_reason: str = Field(default="", max_length=1000)
    updated_at: datetime = created_ts()
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class PageLock(SQLModel, table=True):
    """Optimistic-lock counter of one editor page (per file for per-file pages)."""

    version_id: int = Field(foreign_key="assessmentversion.id", primary_key=True)
    page_id: str = Field(max_length=100, primary_key=True)
    file_uid: str = Field(default="", max_length=32, primary_key=True)
    lock: int = Field(default=1)
    updated_at: datetime = created_ts()
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class ImprovementAction(SQLModel, table=True):
    """改善策: required when a risk is judged 課題が残されている; tracked to closure."""

    __table_args__ = (
        Index("ix_improvementaction_assessment_item", "assessment_id", "file_uid", "item_id"),
        # one open 改善策 per risk item of a 評価書
        Index("ux_improvementaction_open", "assessment_id", "file_uid", "item_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    version_id: int = Field(foreign_key="assessmentversion.id")
    file_uid: str = Field(default="", max_length=32)
    item_id: str = Field(max_length=100)
    content: str = Field(default="", max_length=4000)
    owner: str = Field(default="", max_length=200)
    due_on: date | None = None
    status: str = Field(default="open", max_length=10)  # open | closed
    closed_on: date | None = None
    close_note: str = Field(default="", max_length=2000)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_ts()
    lock_version: int = Field(default=1)


class LibraryMeasure(SQLModel, table=True):
    """A standard measure users insert with one click (tagged with its audience and the risks it fits)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=200)
    text: str = Field(max_length=4000)
    audience: str = Field(max_length=10)  # external | staff
    risks: Any = json_field(default_factory=list)  # process keys: acquire, use, entrust, provide, network, store, ...
    source: str = Field(default="", max_length=300)
    active: bool = Field(default=True)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lock_version: int = Field(default=1)


class FormLabel(SQLModel, table=True):
    """An administrator's correction of a form version's printed label (e.g. [令和6年10月 様式4])."""

    form: str = Field(max_length=10, primary_key=True)
    version: str = Field(max_length=20, primary_key=True)
    label: str = Field(max_length=100)
    updated_at: datetime | None = ts(default=None, nullable=True)


class ChangeRow(SQLModel, table=True):
    """A row of the 変更箇所 table; rows accumulate across versions (generated or entered by hand)."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    version_seq: int  # the version that introduced the change
    position: int = 0
    changed_on: date | None = None
    item_id: str = Field(default="", max_length=100)
    file_uid: str = Field(default="", max_length=32)
    key: str = Field(default="", max_length=300)  # generated rows: the diff key, so a regeneration keeps user input
    item_label: str = Field(default="", max_length=500)
    before_text: str = Field(default="", max_length=20000)
    after_text: str = Field(default="", max_length=20000)
    timing: str = Field(default="", max_length=10)  # 事前 | 事後
    timing_note: str = Field(default="", max_length=2000)
    source: str = Field(default="manual", max_length=10)  # manual | generated
    created_at: datetime = created_ts()


class ChangeClass(SQLModel, table=True):
    """The answer to 「重要な変更か」 for a changed ※ item, once per item and version."""

    version_id: int = Field(foreign_key="assessmentversion.id", primary_key=True)
    file_uid: str = Field(default="", max_length=32, primary_key=True)
    item_id: str = Field(max_length=100, primary_key=True)
    decision: str = Field(max_length=20)  # important | risk_reducing | formal | correction
    decided_at: datetime = created_ts()
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class UnmappedAnswer(SQLModel, table=True):
    """An answer of an older 様式 that has no place in the new one: listed until the user places or sets it aside."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    file_uid: str = Field(default="", max_length=32)
    old_item_id: str = Field(max_length=100)
    label: str = Field(default="", max_length=500)
    value: Any = json_field(default_factory=lambda: None, nullable=True)
    text: str = Field(default="", max_length=40000)
    resolved: bool = Field(default=False)
    resolution: str = Field(default="", max_length=500)
