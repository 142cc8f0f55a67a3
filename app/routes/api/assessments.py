"""評価書 over JSON: list, lossless export and import."""
from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, SessionDep, TodayDep, WriteSessionDep
from app.downloads import send
from app.routes.api.schemas import ERRORS, WRITE_ERRORS, Error, PathId, QueryId, QueryLimit, QueryOffset
from app.routes.api.strict import reject_unknown_query
from app.services import assessments, audit, exports, jsonimport, jsonio

router = APIRouter(prefix="/api/v1", tags=["評価書"], dependencies=[Depends(reject_unknown_query)])


class AssessmentSummary(BaseModel):
    id: int
    number: int
    form: str
    jimu: str
    department: str
    version_id: int
    version: int
    kind: str
    stage: str
    stage_label: str
    published_on: str | None
    open_actions: int
    days_in_stage: int
    next_action: str
    next_due: str | None
    last_published_on: str | None
    next_review_due: str | None
    reassessment_due: str | None
    open_conditions: int
    flags: list[str]


class DueItem(BaseModel):
    assessment_id: int
    number: int
    title: str
    kind: Literal["review", "reassessment", "prior_submission", "stage", "action", "flag"]
    label: str
    due_on: str | None
    status: Literal["overdue", "due_30", "due_90", "flag"]


@router.get("/assessments", response_model=list[AssessmentSummary], responses=ERRORS, summary="評価書の一覧")
def list_assessments(response: Response, session: SessionDep, actor: ActorDep, today: TodayDep, stage: str = "",
                     form: str = "", department_id: QueryId = None, limit: QueryLimit = None,
                     offset: QueryOffset = 0) -> list[dict]:
    """評価書番号の順。`limit`・`offset` で一部だけを取得できます(全体の件数は `X-Total-Count` ヘッダー)。"""
    from app.services import assessment_list, due

    filters = {"department_id": department_id, "form": form, "stage": stage}
    response.headers["X-Total-Count"] = str(assessment_list.count(session, actor=actor, **filters))
    rows = due.rows(session, actor=actor, today=today, **filters, limit=limit, offset=offset)
    return [due.summary(d) for d in rows]


class Within(IntEnum):
    """The horizon of GET /due, documented as an enum so that only 30 and 90 are schema-valid."""

    days_30 = 30
    days_90 = 90


@router.get("/due", response_model=list[DueItem], responses=ERRORS, summary="期限超過・期限が近いもの(定期確認用)")
def due_list(session: SessionDep, actor: ActorDep, today: TodayDep,
             within: Within = Query(Within.days_90, description="何日先までの期限を含めるか(30 または 90)")
             ) -> list[dict]:
    """`spia due --json` と同じ内容。見直し・再実施・事前提出・手続・改善策の期限と「再実施が必要」。"""
    from app.errors import ValidationFailed
    from app.services import due

    if within not in (30, 90):
        raise ValidationFailed({"within": "within は 30 または 90 を指定してください。"})
    return due.due_items(due.attention_rows(session, actor=actor, today=today), horizon=f"due_{int(within)}")


@router.get("/versions/{version_id}/json", responses=ERRORS, summary="評価書の版をJSONで取り出す(可逆)")
def export_json(request: Request, version_id: PathId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    data = jsonio.export_version(session, actor=actor, version_id=version_id)
    audit.record_output(request.app.state.engine, actor=actor, entity="version", entity_id=version_id,
                        what="JSON", fmt="json", version=version_id)
    return data


class ImportResult(BaseModel):
    assessment_id: int
    version_id: int
    stage: str = Field(description="取り込んだ版の段階(常に作成中の版として取り込む)")
    notices: list[str] = Field(default_factory=list, description="取り込まなかったもの(手続の記録など)の知らせ")


@router.post("/assessments/import", response_model=ImportResult, status_code=201, responses=WRITE_ERRORS,
             summary="JSONから評価書を取り込む(into を指定すると既存の評価書の編集中の版を置き換える)")
def import_json(session: WriteSessionDep, actor: ActorDep, document: dict[str, Any] = Body(...),
                into: QueryId = None, number: QueryId = None) -> dict:
    out = jsonimport.import_document(session, actor=actor, data=document, into=into, number=number)
    return {"assessment_id": out.version.assessment_id, "version_id": out.version.id, "stage": out.version.stage,
            "notices": out.notices}


@router.get("/assessments/{assessment_id}/export", responses={**ERRORS, 200: {"content": {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}, "application/pdf": {}}},
    503: {"model": Error, "description": "PDF への変換ができない(LibreOffice がない・変換に失敗した)"}},
    summary="評価書(最新の版)を Word / PDF で出力する")
def export_document(request: Request, assessment_id: PathId, session: SessionDep, actor: ActorDep, today: TodayDep,
                    edition: Literal["draft", "full", "public"] = "full",
                    format: Literal["docx", "pdf"] = "docx") -> Response:
    assessments.get(session, actor=actor, assessment_id=assessment_id)
    v = assessments.current_version(session, assessment_id)
    out = exports.export(session, actor=actor, version_id=v.id, edition=edition, fmt=format, today=today)
    return send(request, actor, content=out.content, media_type=out.media_type, filename=out.filename,
                entity="version", entity_id=v.id, what="評価書", edition=edition, fmt=format, version=v.id)
