"""措置ライブラリ (list, search, add, edit) and the improvement actions list."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain.forms import AUDIENCES
from app.domain.policy import can_manage_register_settings
from app.errors import ValidationFailed
from app.services import actions, library
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import Pager, posted_version, redirect, render

router = APIRouter(include_in_schema=False)


def _lib_ctx(session, actor, q="", audience="", risk="", data=None, errors=None, edit=None) -> dict:
    return {"rows": library.search(session, actor=actor, q=q, audience=audience, risk=risk,
                                   include_inactive=can_manage_register_settings(actor)),
            "q": q, "audience": audience, "risk": risk, "RISKS": library.RISKS, "AUDIENCES": AUDIENCES,
            "can_edit": can_manage_register_settings(actor), "data": data or {"audience": "external", "risks": [],
                                                                                "active": True},
            "errors": errors or {}, "edit": edit}


@router.get("/library")
def index(request: Request, session: SessionDep, actor: ActorDep, q: str = "", audience: str = "",
          risk: str = "", edit: int = 0) -> Response:
    data, row = None, None
    if edit:
        row = library.get(session, actor=actor, measure_id=edit)
        data = {"title": row.title, "text": row.text, "audience": row.audience, "risks": row.risks,
                "source": row.source, "active": row.active}
    return render(request, "library/index.html", _lib_ctx(session, actor, q, audience, risk, data, edit=row))


@router.post("/library")
def save(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    data = {"title": str(form.get("title", "")), "text": str(form.get("text", "")),
            "audience": str(form.get("audience", "")), "risks": [str(r) for r in form.getlist("risks")],
            "source": str(form.get("source", "")), "active": form.get("active") == "1",
            "lock_version": posted_version(form)}
    measure_id = int(form.get("id")) if str(form.get("id", "")).isdigit() else None
    try:
        library.save(session, actor=actor, data=data, measure_id=measure_id)
    except ValidationFailed as exc:
        session.rollback()
        edit = library.get(session, actor=actor, measure_id=measure_id) if measure_id else None
        return render(request, "library/index.html", _lib_ctx(session, actor, data=data, errors=exc.errors, edit=edit),
                      status=422)
    return redirect(request, "/library", flash="措置ライブラリを更新しました。")


@router.get("/actions")
def action_list(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, status: str = "open",
                department: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept = int(department) if department.isdigit() else None
    pager = Pager(request, actions.count(session, actor=actor, status=status, department_id=dept))
    rows = actions.listing(session, actor=actor, today=today, status=status, department_id=dept,
                           limit=pager.page.limit, offset=pager.page.offset)
    labels = department_labels(list_departments(session, org.id))
    return render(request, "actions/index.html", {"rows": rows, "pager": pager, "status": status, "labels": labels,
                                                  "department": dept, "errors": {}, "today": today})


@router.post("/actions/{action_id}/close")
def close_action(request: Request, action_id: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                 today: TodayDep) -> Response:
    try:
        actions.close(session, actor=actor, action_id=action_id, closed_on=str(form.get("closed_on", "")),
                      note=str(form.get("close_note", "")), today=today, lock_version=posted_version(form))
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, "/actions", flash="完了にできませんでした: " + " ".join(exc.errors.values()))
    return redirect(request, "/actions", flash="改善策を完了にしました。")
