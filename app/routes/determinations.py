"""しきい値判断: the wizard per 事務, a free calculator, and a recorded determination's page."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import threshold as th
from app.domain.policy import can_edit_department
from app.errors import ValidationFailed
from app.services import assessment_list, determinations, pairing, procedure, register
from app.services.determinations import WizardInput
from app.services.organisation import get_organisation
from app.web import redirect, render

router = APIRouter(include_in_schema=False)


def _wizard_input(form) -> WizardInput:
    get = lambda k: str(form.get(k, ""))
    return WizardInput(
        determined_on=get("determined_on"), subjects=get("subjects"), handlers=get("handlers"),
        serious_incident=get("serious_incident"), exclusions=tuple(str(v) for v in form.getlist("exclusions")),
        correction_note=get("correction_note"), voluntary_level=get("voluntary_level"),
        voluntary_reason=get("voluntary_reason"), note=get("note"),
    )


def _preview(data: WizardInput, org_kind: str) -> tuple[th.ThresholdResult | None, dict]:
    try:
        inp = th.validate(data.subjects, data.handlers, data.exclusions, org_kind)
    except th.InvalidThresholdInput as exc:
        return None, exc.errors
    return th.determine(th.ThresholdInput(inp.subjects, inp.handlers, data.serious_incident == "yes",
                                          inp.exclusions, inp.org_kind)), {}


def _wizard_ctx(session, jimu, today, data: WizardInput | None, errors: dict) -> dict:
    org = get_organisation(session, jimu.organisation_id)
    files = register.files_of(session, jimu.id)
    incidents = determinations.incidents_of(session, org.id)
    reg = determinations.inputs_for(jimu, files, incidents, org, today)
    if data is None:
        data = WizardInput(
            determined_on=today.isoformat(), subjects=str(reg.subjects), handlers=str(reg.handlers),
            serious_incident="yes" if reg.incident_ids else "no", exclusions=tuple(e.value for e in reg.exclusions),
        )
    result, preview_errors = _preview(data, org.kind)
    return {
        "jimu": jimu, "org": org, "files": files, "reg": reg, "data": data, "errors": errors,
        "result": result, "preview_errors": preview_errors, "today": today,
        "incidents": [i for i in incidents if i.id in reg.incident_ids],
        "exclusion_labels": th.EXCLUSION_LABEL, "latest": determinations.latest(session, jimu.id),
    }


@router.get("/jimu/{jimu_id}/threshold")
def wizard(request: Request, jimu_id: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    return render(request, "determinations/wizard.html", _wizard_ctx(session, jimu, today, None, {}))


@router.post("/jimu/{jimu_id}/threshold/preview")
def wizard_preview(request: Request, form: FormDep, jimu_id: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    ctx = _wizard_ctx(session, jimu, today, _wizard_input(form), {})
    return render(request, "determinations/wizard.html", ctx, block="result")


@router.post("/jimu/{jimu_id}/threshold")
def wizard_record(request: Request, form: FormDep, jimu_id: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    data = _wizard_input(form)
    try:
        det = determinations.record(session, actor=actor, jimu_id=jimu_id, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
        return render(request, "determinations/wizard.html", _wizard_ctx(session, jimu, today, data, exc.errors),
                      status=422)
    return redirect(request, f"/determinations/{det.id}", flash="しきい値判断を記録しました。")


@router.get("/determinations/{det_id}")
def show(request: Request, det_id: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    det, jimu, incidents = determinations.get(session, actor=actor, det_id=det_id)
    latest = determinations.latest(session, jimu.id)
    pair = pairing.members(session, jimu_id=jimu.id, det=det, today=today,
                           custom=procedure.custom_steps(session, jimu.organisation_id))
    can_create = jimu.status != "ended" and can_edit_department(actor, jimu.department_id)
    is_latest = latest is not None and latest.id == det.id
    return render(request, "determinations/show.html", {
        "pair": pair, "can_create": can_create and is_latest, "latest": latest, "is_latest": is_latest,
        "next": pairing.next_step(jimu.id, pair, can_create=can_create) if is_latest else None,
        "KIND": assessment_list.KIND_LABEL,
        "det": det, "jimu": jimu, "incidents": [i for i in incidents if i],
        "result_label": th.RESULT_LABEL[det.result], "performed": determinations.performed_level(det),
        "level_label": {lv.value: label for lv, label in th.LEVEL_LABEL.items()},
        "exclusion_labels": {e.value: l for e, l in th.EXCLUSION_LABEL.items()},
    })


@router.get("/threshold")
def calculator(request: Request, actor: ActorDep, subjects: str = "", handlers: str = "",
               serious_incident: str = "no", org_kind: str = "") -> Response:
    kind = org_kind or "local"
    data = WizardInput(subjects=subjects, handlers=handlers, serious_incident=serious_incident)
    result, errors = _preview(data, kind) if subjects or handlers else (None, {})
    return render(request, "determinations/calculator.html",
                  {"data": data, "org_kind": kind, "result": result, "errors": errors}, block="result")
