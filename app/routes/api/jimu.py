"""事務 and しきい値判断 over JSON."""
from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from sqlmodel import Session
from starlette.responses import Response

from app.deps import ActorDep, SessionDep, TodayDep, WriteSessionDep
from app.routes.api.schemas import (
    ERRORS,
    WRITE_ERRORS,
    DeterminationIn,
    DeterminationOut,
    JimuIn,
    JimuOut,
    Me,
    PathId,
    QueryId,
    QueryLimit,
    QueryOffset,
)
from app.routes.api.strict import reject_unknown_query
from app.services import dashboard, determinations, register
from app.services.determinations import WizardInput
from app.services.organisation import get_organisation
from app.services.register import FileInput, JimuInput

if TYPE_CHECKING:  # a type only: routes hold no table access (tests/test_layers.py)
    from app.models import Jimu

router = APIRouter(prefix="/api/v1", tags=["事務・しきい値判断"], dependencies=[Depends(reject_unknown_query)])


def _det_out(d) -> dict | None:
    """A Determination (ORM object or row) as the API shape."""
    if d is None:
        return None
    return DeterminationOut.model_validate(d, from_attributes=True).model_dump()


def _jimu_out(session: Session, actor, jimu: Jimu, today) -> dict:
    org = get_organisation(session, jimu.organisation_id)
    return _row_out(dashboard.jimu_rows(session, actor=actor, org=org, today=today, jimu_id=jimu.id)[0])


def _row_out(r: dashboard.JimuRow) -> dict:
    return {
        "id": r.jimu.id, "name": r.jimu.name, "department_id": r.jimu.department_id, "department": r.department,
        "legal_basis": r.jimu.legal_basis, "status": r.jimu.status, "end_date": r.jimu.end_date,
        "handlers": r.jimu.handlers, "handlers_as_of": r.jimu.handlers_as_of, "subjects": r.subjects,
        "subjects_source": "dedup" if r.jimu.dedup_subjects is not None else "sum",
        "lock_version": r.jimu.lock_version, "files": [dict(f._mapping) for f in r.files],
        "current_result": r.current.result, "latest_determination": _det_out(r.latest), "warning": r.warning,
    }


@router.get("/me", response_model=Me, responses=ERRORS, summary="ログイン中の利用者")
def me(actor: ActorDep) -> dict:
    return {"login_id": actor.login_id, "display_name": actor.display_name, "role": actor.role,
            "department_ids": sorted(actor.department_ids)}


@router.get("/jimu", response_model=list[JimuOut], responses=ERRORS, summary="事務の一覧")
def list_jimu(response: Response, session: SessionDep, actor: ActorDep, today: TodayDep, department_id: QueryId = None,
              limit: QueryLimit = None, offset: QueryOffset = 0) -> list[dict]:
    """担当部署・登録の順。`limit`・`offset` で一部だけを取得できます(全体の件数は `X-Total-Count` ヘッダー)。"""
    org = get_organisation(session, actor.organisation_id)
    response.headers["X-Total-Count"] = str(dashboard.jimu_count(session, actor=actor, department_id=department_id))
    rows = dashboard.jimu_rows(session, actor=actor, org=org, today=today, department_id=department_id, limit=limit,
                               offset=offset)
    return [_row_out(r) for r in rows]


def _input(body: JimuIn) -> JimuInput:
    return JimuInput(
        name=body.name, department_id=str(body.department_id), legal_basis=body.legal_basis, status=body.status,
        handlers=str(body.handlers), handlers_as_of=body.handlers_as_of.isoformat(),
        dedup_subjects="" if body.dedup_subjects is None else str(body.dedup_subjects), dedup_note=body.dedup_note,
        lock_version="" if body.lock_version is None else str(body.lock_version),
        files=[FileInput(name=f.name, kind=f.kind, subjects=str(f.subjects), subjects_as_of=f.subjects_as_of.isoformat(),
                         staff_only=f.staff_only) for f in body.files],
    )


@router.post("/jimu", response_model=JimuOut, status_code=201, responses=WRITE_ERRORS,
             summary="事務を登録する")
def create_jimu(body: JimuIn, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> dict:
    org = get_organisation(session, actor.organisation_id)
    jimu = register.create(session, actor=actor, organisation_id=org.id, data=_input(body), today=today)
    return _jimu_out(session, actor, jimu, today)


@router.get("/jimu/{jimu_id}", response_model=JimuOut, responses=ERRORS, summary="事務の詳細")
def get_jimu(jimu_id: PathId, session: SessionDep, actor: ActorDep, today: TodayDep) -> dict:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id)
    return _jimu_out(session, actor, jimu, today)


@router.put("/jimu/{jimu_id}", response_model=JimuOut, responses=WRITE_ERRORS,
            summary="事務を更新する(lock_version 必須。古い版からの更新は 409)")
def update_jimu(jimu_id: PathId, body: JimuIn, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> dict:
    data = _input(body)
    # Files are matched by name so that their ids survive an update over the API.
    existing = {f.name: f.id for f in register.files_of(session, jimu_id)}
    for f in data.files:
        f.id = existing.get(f.name.strip())
    jimu = register.update(session, actor=actor, jimu_id=jimu_id, data=data, today=today)
    return _jimu_out(session, actor, jimu, today)


@router.get("/jimu/{jimu_id}/determinations", response_model=list[DeterminationOut], responses=ERRORS,
            summary="しきい値判断の履歴")
def list_determinations(jimu_id: PathId, session: SessionDep, actor: ActorDep) -> list[dict]:
    register.get_jimu(session, actor=actor, jimu_id=jimu_id)
    return [_det_out(d) for d in determinations.history(session, jimu_id)]


@router.post("/jimu/{jimu_id}/determinations", response_model=DeterminationOut, status_code=201,
             responses=WRITE_ERRORS,
             summary="しきい値判断を記録する(省略した値は登録情報から)")
def record_determination(jimu_id: PathId, body: DeterminationIn, session: WriteSessionDep, actor: ActorDep,
                         today: TodayDep) -> dict:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    org = get_organisation(session, jimu.organisation_id)
    on = body.determined_on or today
    reg = determinations.inputs_for(jimu, register.files_of(session, jimu.id),
                                    determinations.incidents_of(session, org.id), org, min(on, today))
    data = WizardInput(
        determined_on=on.isoformat(),
        subjects=str(reg.subjects if body.subjects is None else body.subjects),
        handlers=str(reg.handlers if body.handlers is None else body.handlers),
        serious_incident="yes" if (bool(reg.incident_ids) if body.serious_incident is None else body.serious_incident) else "no",
        exclusions=tuple(e.value for e in reg.exclusions) if body.exclusions is None else tuple(body.exclusions),
        correction_note=body.correction_note, voluntary_level=body.voluntary_level or "",
        voluntary_reason=body.voluntary_reason, note=body.note,
    )
    det = determinations.record(session, actor=actor, jimu_id=jimu_id, data=data, today=today)
    return _det_out(det)


