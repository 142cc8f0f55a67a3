"""Request and response bodies of the JSON API.

Integers, booleans and dates in request bodies are JSON-typed: "12" or true is no integer and 0 is no boolean
and a date is a "YYYY-MM-DD" string, not a number (528.0 is an integer, as in JSON Schema). What the schema documents is exactly what is accepted
(checked by schemathesis in tests/fuzz).
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from app.domain.threshold import MAX_HANDLERS, MAX_SUBJECTS
from app.models.base import MAX_ID


def _json_integer(value):
    if isinstance(value, (str, bool)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _json_date(value):
    if not isinstance(value, (str, date)):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


StrictInt = Annotated[int, BeforeValidator(_json_integer)]
StrictDate = Annotated[date, BeforeValidator(_json_date)]  # "YYYY-MM-DD" only (no Unix timestamps)

# Ids in paths, queries and bodies: within the INTEGER column range (others name no row; 422 with the field).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# paging of the list endpoints: at most `limit` rows from `offset` (the total is in the X-Total-Count header)
QueryLimit = Annotated[int | None, Query(ge=1, le=10_000, description="返す件数の上限(省略時はすべて)")]
QueryOffset = Annotated[int, Query(ge=0, le=MAX_ID, description="先頭から読み飛ばす件数")]


class ThresholdRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subjects: StrictInt = Field(ge=0, le=MAX_SUBJECTS, description="対象人数", examples=[120000])
    handlers: StrictInt = Field(ge=0, le=MAX_HANDLERS, description="取扱者数(委託先の従業者を含む)", examples=[600])
    serious_incident: StrictBool = Field(default=False, description="過去1年以内の特定個人情報に関する重大事故")
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
    subjects: StrictInt = Field(ge=0, le=MAX_SUBJECTS)
    subjects_as_of: StrictDate
    staff_only: StrictBool = False


class JimuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    department_id: StrictInt = Field(ge=1, le=MAX_ID)
    legal_basis: str = Field(default="", max_length=4000)
    status: Literal["planned", "active"] = "active"
    handlers: StrictInt = Field(ge=0, le=MAX_HANDLERS)
    handlers_as_of: StrictDate
    dedup_subjects: StrictInt | None = Field(default=None, ge=0, le=MAX_SUBJECTS)
    dedup_note: str = Field(default="", max_length=1000)
    files: list[FileIn] = Field(min_length=1, max_length=50)
    lock_version: StrictInt | None = Field(default=None, ge=0, le=MAX_ID)


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
    determined_on: StrictDate | None = None
    subjects: StrictInt | None = Field(default=None, ge=0, le=MAX_SUBJECTS, description="省略時は登録情報の値")
    handlers: StrictInt | None = Field(default=None, ge=0, le=MAX_HANDLERS, description="省略時は登録情報の値")
    serious_incident: StrictBool | None = Field(default=None, description="省略時は重大事故の登録簿から判定")
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


class FieldError(BaseModel):
    field: str = Field(description="誤りのある項目(例: files.0.subjects)")
    message: str = Field(description="日本語の説明")


class ValidationErrorBody(BaseModel):
    """422: what is wrong, per field, in Japanese; nothing was written."""

    detail: str
    errors: list[FieldError]


# The error responses every /api/v1 operation may give (bodies are Japanese).
ERRORS = {401: {"model": Error, "description": "ログインが必要です"},
          403: {"model": Error, "description": "権限がありません(または CSRF トークンがありません)"},
          404: {"model": Error, "description": "見つかりません"},
          409: {"model": Error, "description": "競合(古い版からの更新・既にある)"},
          422: {"model": ValidationErrorBody, "description": "入力内容の誤り(項目名つき)"}}
# ... and those of operations that take a body (answered by the middleware before the route runs).
WRITE_ERRORS = {**ERRORS,
                400: {"model": Error, "description": "送信内容の形式の誤り(multipart に boundary がない など)"},
                413: {"model": Error, "description": "送信されたデータが大きすぎる"}}
