"""評価書 over JSON: list, lossless export and import."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from typing import Literal

from starlette.responses import Response

from app.deps import ActorDep, SessionDep, TodayDep, WriteSessionDep
from app.routes.api.schemas import Error
from app.services import assessments, exports, jsonio
from app.web import content_disposition

router = APIRouter(prefix="/api/v1", tags=["評価書"])
ERRORS = {401: {"model": Error}, 403: {"model": Error}, 404: {"model": Error}, 409: {"model": Error},
          422: {"description": "入力内容の誤り(項目名つき)"}}


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


def summary(q) -> dict:
    r, v = q.row, q.row.version
    return {"id": r.assessment.id, "number": r.assessment.number, "form": r.assessment.form, "jimu": r.jimu.name,
            "department": r.department, "version_id": v.id, "version": v.seq, "kind": v.kind, "stage": v.stage,
            "stage_label": q.stage_label, "published_on": v.published_on.isoformat() if v.published_on else None,
            "open_actions": r.open_actions, "days_in_stage": q.days_in_stage, "next_action": q.next_action,
            "next_due": q.next_due.isoformat() if q.next_due else None}


@router.get("/assessments", response_model=list[AssessmentSummary], responses=ERRORS, summary="評価書の一覧")
def list_assessments(session: SessionDep, actor: ActorDep, today: TodayDep, stage: str = "", form: str = "",
                     department_id: int | None = None) -> list[dict]:
    from app.services import queue

    rows = queue.rows(session, actor=actor, today=today, department_id=department_id, stage=stage)
    return [summary(q) for q in rows if not form or q.row.assessment.form == form]


@router.get("/versions/{version_id}/json", responses=ERRORS, summary="評価書の版をJSONで取り出す(可逆)")
def export_json(version_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return jsonio.export_version(session, actor=actor, version_id=version_id)


class ImportResult(BaseModel):
    assessment_id: int
    version_id: int


@router.post("/assessments/import", response_model=ImportResult, status_code=201, responses=ERRORS,
             summary="JSONから評価書を取り込む(into を指定すると既存の評価書の編集中の版を置き換える)")
def import_json(session: WriteSessionDep, actor: ActorDep, document: dict[str, Any] = Body(...),
                into: int | None = None, number: int | None = None) -> dict:
    v = jsonio.import_version(session, actor=actor, data=document, into=into, number=number)
    return {"assessment_id": v.assessment_id, "version_id": v.id}


@router.get("/assessments/{assessment_id}/export", responses={**ERRORS, 200: {"content": {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}, "application/pdf": {}}}},
    summary="評価書(最新の版)を Word / PDF で出力する")
def export_document(assessment_id: int, session: SessionDep, actor: ActorDep, today: TodayDep,
                    edition: Literal["draft", "full", "public"] = "full",
                    format: Literal["docx", "pdf"] = "docx") -> Response:
    assessments.get(session, actor=actor, assessment_id=assessment_id)
    v = assessments.current_version(session, assessment_id)
    out = exports.export(session, actor=actor, version_id=v.id, edition=edition, fmt=format, today=today)
    return Response(out.content, media_type=out.media_type,
                    headers={"Content-Disposition": content_disposition(out.filename)})
