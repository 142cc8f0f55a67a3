"""重大事故 register (records and admin)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain.policy import can_manage_register_settings
from app.errors import Forbidden, ValidationFailed
from app.services import determinations
from app.services.organisation import get_organisation
from app.web import redirect, render

router = APIRouter(prefix="/incidents", include_in_schema=False)


def _ctx(session, actor, data: dict, errors: dict) -> dict:
    if not can_manage_register_settings(actor):
        raise Forbidden("重大事故の登録簿は総務・文書担当と管理者が管理します。")
    org = get_organisation(session, actor.organisation_id)
    return {"incidents": determinations.incidents_of(session, org.id), "data": data, "errors": errors, "org": org}


@router.get("")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "incidents/index.html", _ctx(session, actor, {"involves_specific": True, "attributable": True}, {}))


@router.post("")
def create(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    data = {"occurred_on": str(form.get("occurred_on", "")), "summary": str(form.get("summary", "")),
            "involves_specific": form.get("involves_specific") == "1", "attributable": form.get("not_attributable") != "1"}
    org = get_organisation(session, actor.organisation_id)
    try:
        determinations.add_incident(session, actor=actor, organisation_id=org.id, today=today, **data)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "incidents/index.html", _ctx(session, actor, data, exc.errors), status=422)
    return redirect(request, "/incidents", flash="重大事故を登録しました。該当する事務にはしきい値判断の再実施が必要と表示されます。")
