"""Request and response bodies of the JSON API."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.threshold import MAX_HANDLERS, MAX_SUBJECTS


class ThresholdRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subjects: int = Field(ge=0, le=MAX_SUBJECTS, description="対象人数", examples=[120000])
    handlers: int = Field(ge=0, le=MAX_HANDLERS, description="取扱者数(委託先の従業者を含む)", examples=[600])
    serious_incident: bool = Field(default=False, description="過去1年以内の特定個人情報に関する重大事故")
    exclusion: Literal["staff-only", "manual-only"] | None = Field(default=None, description="評価が義務付けられない事務の種類")
    org_kind: Literal["local", "national"] = Field(default="local", description="local=地方公共団体等, national=行政機関等")


class Step(BaseModel):
    code: str
    label: str
    required: bool


class Procedure(BaseModel):
    assessment: Literal["basic", "focused", "full"]
    label: str
    steps: list[Step]


class ThresholdResponse(BaseModel):
    required: list[Literal["basic", "focused", "full"]]
    result: Literal["not_required", "basic", "basic+focused", "basic+full"]
    result_label: str
    band: str
    procedures: list[Procedure]
    reasons: list[str]
    rule_version: str


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["system", "other_electronic", "manual"] = "system"
    subjects: int = Field(ge=0, le=MAX_SUBJECTS)
    subjects_as_of: date
    staff_only: bool = False


class JimuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    department_id: int
    legal_basis: str = Field(default="", max_length=4000)
    status: Literal["planned", "active"] = "active"
    handlers: int = Field(ge=0, le=MAX_HANDLERS)
    handlers_as_of: date
    dedup_subjects: int | None = Field(default=None, ge=0, le=MAX_SUBJECTS)
    dedup_note: str = Field(default="", max_length=1000)
    files: list[FileIn] = Field(min_length=1, max_length=50)
    lock_version: int | None = None


class FileOut(BaseModel):
    id: int
    name: str
    kind: str
    subjects: int
    subjects_as_of: date | None
    staff_only: bool


class DeterminationOut(BaseModel):
    id: int
    jimu_id: int
    determined_on: date
    subjects: int
    subjects_source: str
    handlers: int
    serious_incident: bool
    exclusions: list[str]
    result: str
    band: str
    required: list[str]
    reasons: list[str]
    rule_version: str
    voluntary_level: str | None
    voluntary_reason: str


class JimuOut(BaseModel):
    id: int
    name: str
    department_id: int
    department: str
    legal_basis: str
    status: str
    end_date: date | None
    handlers: int
    handlers_as_of: date | None
    subjects: int
    subjects_source: str
    lock_version: int
    files: list[FileOut]
    current_result: str
    latest_determination: DeterminationOut | None
    warning: str | None


class DeterminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    determined_on: date | None = None
    subjects: int | None = Field(default=None, ge=0, le=MAX_SUBJECTS, description="省略時は登録情報の値")
    handlers: int | None = Field(default=None, ge=0, le=MAX_HANDLERS, description="省略時は登録情報の値")
    serious_incident: bool | None = Field(default=None, description="省略時は重大事故の登録簿から判定")
    exclusions: list[Literal["staff-only", "manual-only"]] | None = None
    correction_note: str = Field(default="", max_length=2000)
    voluntary_level: Literal["focused", "full"] | None = None
    voluntary_reason: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=2000)


class Me(BaseModel):
    login_id: str
    display_name: str
    role: str
    department_ids: list[int]


class Error(BaseModel):
    detail: str
