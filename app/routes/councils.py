"""審議会 settings (/admin/councils): councils, their members and the municipality's own procedure steps."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, WriteSessionDep
from app.errors import ValidationFailed
from app.services import council, council_admin
from app.web import posted_version, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "admin/councils.html"


def _invalid(request: Request, session, actor, exc: ValidationFailed) -> Response:
    session.rollback()
    return render(request, PAGE, council_admin.settings_view(session, actor, exc.errors), status=422)


@router.get("/admin/councils")
def councils_page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, PAGE, council_admin.settings_view(session, actor))


@router.post("/admin/councils")
def councils_post(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        council.save_council(session, actor=actor, name=str(form.get("name", "")),
                             member_ids=[int(x) for x in form.getlist("member_ids") if str(x).isdigit()],
                             council_id=int(form.get("id")) if str(form.get("id", "")).isdigit() else None,
                             lock_version=posted_version(form))
    except ValidationFailed as exc:
        return _invalid(request, session, actor, exc)
    return redirect(request, "/admin/councils", flash="審議会を保存しました。")


@router.post("/admin/workflow-steps")
def workflow_step_post(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        step = council_admin.add_step(session, actor=actor, key=str(form.get("key", "")),
                                      label=str(form.get("label", "")), before=str(form.get("before", "")),
                                      forms=[str(f) for f in form.getlist("forms")])
    except ValidationFailed as exc:
        return _invalid(request, session, actor, exc)
    return redirect(request, "/admin/councils", flash=f"手続「{step.label}」を追加しました。")


@router.post("/admin/workflow-steps/{step_id}/toggle")
def workflow_step_toggle(request: Request, step_id: int, session: WriteSessionDep, actor: ActorDep) -> Response:
    council_admin.toggle_step(session, actor=actor, step_id=step_id)
    return redirect(request, "/admin/councils", flash="手続の設定を更新しました。")
