"""事務 register screens: list, create, edit, end."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain.policy import can_edit_department
from app.errors import Conflict, ValidationFailed
from app.routes.jimu_form import apply_row_op, jimu_input
from app.routes.register_list import register_page
from app.services import assessment_list, assessments, determinations, pairing, procedure, register
from app.services.organisation import department_labels, get_organisation, list_departments
from app.services.register import FILE_KINDS, STATUSES, FileInput, JimuInput
from app.web import redirect, render

router = APIRouter(prefix="/jimu", include_in_schema=False)


def _form_ctx(session, actor, org, data: JimuInput, errors: dict, jimu=None) -> dict:
    departments = list_departments(session, org.id)
    labels = department_labels(departments)
    # a retired 部署 is offered only to the 事務 that already names it
    current = str(data.department_id)
    options = [(d.id, labels[d.id]) for d in departments
               if (actor.sees_all or d.id in actor.department_ids) and (d.active or str(d.id) == current)]
    return {"data": data, "errors": errors, "jimu": jimu, "departments": options, "file_kinds": FILE_KINDS,
            "statuses": {k: v for k, v in STATUSES.items() if k != "ended"}, "org": org}


@router.get("")
def index(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, department: str = "") -> Response:
    return render(request, "jimu/index.html", register_page(request, session, actor, today, department))


@router.get("/new")
def new(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    register.require_can_register(actor)
    org = get_organisation(session, actor.organisation_id)
    default_dept = str(min(actor.department_ids)) if actor.department_ids and not actor.sees_all else ""
    data = JimuInput(department_id=default_dept, files=[FileInput()])
    return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, {}))


@router.post("/new")
def create(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    register.require_can_register(actor)
    org = get_organisation(session, actor.organisation_id)
    data = jimu_input(form)
    if apply_row_op(data, str(form.get("op", ""))):
        return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, {}))
    try:
        jimu = register.create(session, actor=actor, organisation_id=org.id, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, exc.errors), status=422)
    return redirect(request, f"/jimu/{jimu.id}", flash=f"事務「{jimu.name}」を登録しました。")


@router.get("/{jimu_id}")
def detail(request: Request, jimu_id: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id)
    org = get_organisation(session, jimu.organisation_id)
    files = register.files_of(session, jimu.id)
    incidents = determinations.incidents_of(session, org.id)
    inputs = determinations.inputs_for(jimu, files, incidents, org, today)
    current = determinations.th.determine(inputs.threshold_input())
    history = determinations.history(session, jimu.id)
    warning = determinations.rerun_warning(current, history[0] if history else None)
    labels = department_labels(list_departments(session, org.id))
    pair = pairing.members(session, jimu_id=jimu.id, det=history[0] if history else None, today=today,
                           custom=procedure.custom_steps(session, org.id))
    can_create = jimu.status != "ended" and can_edit_department(actor, jimu.department_id)
    return render(request, "jimu/detail.html", {
        "pair": pair, "can_create": can_create, "KIND": assessment_list.KIND_LABEL,
        "next": pairing.next_step(jimu.id, pair, can_create=can_create) if history and not warning else None,
        # a form the latest determination offers (任意実施 too) that does not exist yet
        "more_forms": bool(history) and any(form not in {m.form for m in pair if m.assessment}
                                            for form, _ in assessments.offered_forms(history[0])),
        "jimu": jimu, "files": files, "inputs": inputs, "current": current, "history": history,
        "warning": warning, "department": labels.get(jimu.department_id, ""), "file_kinds": FILE_KINDS,
        "statuses": STATUSES, "today": today, "org": org,
        "assessments": assessment_list.rows(session, actor=actor, jimu_id=jimu.id),
    })


@router.get("/{jimu_id}/edit")
def edit(request: Request, jimu_id: int, session: SessionDep, actor: ActorDep) -> Response:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    org = get_organisation(session, jimu.organisation_id)
    files = [FileInput(name=f.name, kind=f.kind, subjects=str(f.subjects), staff_only=f.staff_only, id=f.id,
                       subjects_as_of=f.subjects_as_of.isoformat() if f.subjects_as_of else "")
             for f in register.files_of(session, jimu.id)]
    data = JimuInput(
        name=jimu.name, department_id=str(jimu.department_id), legal_basis=jimu.legal_basis, status=jimu.status,
        handlers=str(jimu.handlers), handlers_as_of=jimu.handlers_as_of.isoformat() if jimu.handlers_as_of else "",
        dedup_subjects="" if jimu.dedup_subjects is None else str(jimu.dedup_subjects), dedup_note=jimu.dedup_note,
        lock_version=str(jimu.lock_version), files=files,
    )
    return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, {}, jimu))


@router.post("/{jimu_id}/edit")
def update(request: Request, form: FormDep, jimu_id: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    org = get_organisation(session, jimu.organisation_id)
    data = jimu_input(form)
    if apply_row_op(data, str(form.get("op", ""))):
        return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, {}, jimu))
    try:
        register.update(session, actor=actor, jimu_id=jimu_id, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, exc.errors, jimu), status=422)
    except Conflict as exc:
        session.rollback()
        return render(request, "jimu/form.html", _form_ctx(session, actor, org, data, {"lock_version": exc.message}, jimu),
                      status=409)
    return redirect(request, f"/jimu/{jimu_id}", flash="事務の登録内容を更新しました。")


@router.post("/{jimu_id}/end")
def end(request: Request, form: FormDep, jimu_id: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    try:
        register.end(session, actor=actor, jimu_id=jimu_id, end_date_text=str(form.get("end_date", "")),
                     lock_version=str(form.get("lock_version", "")), today=today)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        message = next(iter(exc.errors.values())) if isinstance(exc, ValidationFailed) else exc.message
        return redirect(request, f"/jimu/{jimu_id}", flash=f"事務終了を登録できませんでした: {message}")
    return redirect(request, f"/jimu/{jimu_id}", flash="事務の終了を登録しました。")
