"""Records queue and the council members' view."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import workflow
from app.domain.policy import can_manage_users
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Council, User, WorkflowStep
from app.services import audit, council, queue
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/queue")
def queue_page(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, department: str = "",
               stage: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept = int(department) if department.isdigit() else None
    rows = queue.rows(session, actor=actor, today=today, department_id=dept, stage=stage)
    return render(request, "procedure/queue.html", {
        "rows": rows, "department": dept, "stage": stage, "stages": workflow.STAGE_LABEL,
        "departments": department_labels(list_departments(session, org.id)) if actor.sees_all else {}})


@router.get("/council")
def council_home(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    reviews = council.council_reviews(session, actor=actor)
    from app.services import snapshots

    items = []
    for r in reviews:
        snap = snapshots.get(session, r.snapshot_id)
        body = session.get(Council, r.council_id)
        from app.domain.forms import FORM_LABEL

        title = f"{snap.data['jimu']['name']} {FORM_LABEL[snap.data['assessment']['form']]}"
        items.append({"review": r, "council": body, "title": title,
                      "meetings": council.meetings(session, r.id), "findings": council.findings(session, r.id)})
    return render(request, "procedure/council_home.html", {"items": items})


@router.get("/admin/councils")
def councils_page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "admin/councils.html", _councils_ctx(session, actor, {}))


def _councils_ctx(session, actor, errors) -> dict:
    if actor.role not in ("admin", "records"):
        raise Forbidden("審議会の設定は管理者と総務・文書担当が行います。")
    from sqlmodel import select

    org = get_organisation(session, actor.organisation_id)
    bodies = council.councils(session, org.id)
    return {"councils": [(c, council.members(session, c.id)) for c in bodies], "errors": errors,
            "council_users": session.exec(select(User).where(User.organisation_id == org.id, User.role == "council")).all(),
            "steps": session.exec(select(WorkflowStep).where(WorkflowStep.organisation_id == org.id)).all(),
            "stages": workflow.STAGE_LABEL, "can_steps": can_manage_users(actor)}


@router.post("/admin/councils")
def councils_post(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        council.save_council(session, actor=actor, name=str(form.get("name", "")),
                             member_ids=[int(x) for x in form.getlist("member_ids") if str(x).isdigit()],
                             council_id=int(form.get("id")) if str(form.get("id", "")).isdigit() else None,
                             lock_version=form.get("lock_version"))
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "admin/councils.html", _councils_ctx(session, actor, exc.errors), status=422)
    return redirect(request, "/admin/councils", flash="審議会を保存しました。")


@router.post("/admin/workflow-steps")
def workflow_step_post(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    """A municipality's own step (configuration, not code): e.g. 審議会報告 before 提出済."""
    if not can_manage_users(actor):
        raise Forbidden("手続の設定は管理者が行います。")
    key, label, before = (str(form.get(k, "")).strip() for k in ("key", "label", "before"))
    forms = [f for f in form.getlist("forms") if f in ("basic", "focused", "full")]
    errors = {}
    if not key.isascii() or not key.replace("_", "").isalnum():
        errors["key"] = "キーは半角英数字と _ で入力してください。"
    if not label or len(label) > 100:
        errors["label"] = "名称を入力してください(100文字以内)。"
    if before not in ("submitted", "published", "internal_check", "third_party_review", "public_comment"):
        errors["before"] = "挿入する位置を選択してください。"
    if not forms:
        errors["forms"] = "対象の様式を選択してください。"
    if errors:
        return render(request, "admin/councils.html", _councils_ctx(session, actor, errors), status=422)
    step = WorkflowStep(organisation_id=actor.organisation_id, key=key, label=label, before=before, forms=forms)
    session.add(step)
    session.flush()
    audit.record(session, actor=actor, entity="workflow_step", entity_id=step.id, action="created", after=step)
    session.commit()
    return redirect(request, "/admin/councils", flash=f"手続「{label}」を追加しました。")


@router.post("/admin/workflow-steps/{step_id}/toggle")
def workflow_step_toggle(request: Request, step_id: int, session: WriteSessionDep, actor: ActorDep) -> Response:
    if not can_manage_users(actor):
        raise Forbidden("手続の設定は管理者が行います。")
    step = session.get(WorkflowStep, step_id)
    if step is None or step.organisation_id != actor.organisation_id:
        raise NotFound("手続が見つかりません。")
    step.active = not step.active
    session.add(step)
    audit.record(session, actor=actor, entity="workflow_step", entity_id=step.id, action="toggled", after=step)
    session.commit()
    return redirect(request, "/admin/councils", flash="手続の設定を更新しました。")


