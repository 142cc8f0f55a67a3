"""事務 register: 事務, 特定個人情報ファイル, 重大事故 and しきい値判断."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field


class Jimu(SQLModel, table=True):
    """事務: the unit of assessment."""

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=200)
    legal_basis: str = Field(default="", max_length=4000)  # 法令上の根拠
    status: str = Field(default="active", max_length=20)  # planned | active | ended
    end_date: date | None = None
    handlers: int = Field(default=0)  # 取扱者数 (incl. contractor staff)
    handlers_as_of: date | None = None
    dedup_subjects: int | None = None  # de-duplicated 対象人数 entered by the user
    dedup_note: str = Field(default="", max_length=1000)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()
    lock_version: int = Field(default=1)


class SpecificFile(SQLModel, table=True):
    """特定個人情報ファイル of a 事務."""

    id: int | None = Field(default=None, primary_key=True)
    jimu_id: int = Field(foreign_key="jimu.id", index=True)
    position: int = Field(default=0)
    name: str = Field(max_length=200)
    kind: str = Field(default="system", max_length=30)  # system | other_electronic | manual
    subjects: int = Field(default=0)
    subjects_as_of: date | None = None
    staff_only: bool = Field(default=False)  # holds only staff personnel/pay/welfare data


class SeriousIncident(SQLModel, table=True):
    """重大事故 register of an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    occurred_on: date
    summary: str = Field(max_length=2000)
    involves_specific: bool = Field(default=True)  # 特定個人情報に関するもの
    attributable: bool = Field(default=True)  # False: 配送事故等 not attributable to the body
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Determination(SQLModel, table=True):
    """A recorded しきい値判断 with its inputs, result, reasons and rule version."""

    id: int | None = Field(default=None, primary_key=True)
    jimu_id: int = Field(foreign_key="jimu.id", index=True)
    determined_on: date
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    subjects: int
    subjects_source: str = Field(default="sum", max_length=10)  # sum | dedup | manual
    subjects_as_of: date | None = None
    handlers: int
    handlers_as_of: date | None = None
    serious_incident: bool = False
    incident_ids: Any = json_field(default_factory=list)
    exclusions: Any = json_field(default_factory=list)
    org_kind: str = Field(default="local", max_length=20)
    result: str = Field(max_length=20)
    band: str = Field(default="", max_length=40)
    required: Any = json_field(default_factory=list)
    procedures: Any = json_field(default_factory=list)
    reasons: Any = json_field(default_factory=list)
    rule_version: str = Field(max_length=80)
    voluntary_level: str | None = Field(default=None, max_length=20)
    voluntary_reason: str = Field(default="", max_length=2000)
    corrections: Any = json_field(default_factory=dict)  # inputs the user corrected vs the register
    note: str = Field(default="", max_length=2000)
