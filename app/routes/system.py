"""System administrator: the 評価実施機関 of this server and their first administrator (issue 16 §3)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, WriteSessionDep
from app.errors import ValidationFailed
from app.services import bodies
from app.services.organisation import ORG_KINDS
from app.web import redirect, render

router = APIRouter(prefix="/system", include_in_schema=False)
FIELDS = ("name", "kind", "municipality", "admin_login", "admin_name", "admin_password", "admin_password_confirm")


def _page(request: Request, session, actor, data: dict, errors: dict, status: int = 200) -> Response:
    rows = bodies.list_bodies(session, actor=actor)
    return render(request, "system/organisations.html", {"rows": rows, "kinds": list(ORG_KINDS.items()),
                                                         "data": data, "errors": errors}, status=status)


@router.get("/organisations")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return _page(request, session, actor, {"kind": "local"}, {})


@router.post("/organisations")
def create(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    data = {k: str(form.get(k, "")) for k in FIELDS}
    try:
        org, user = bodies.create_body(session, actor=actor, **data)
    except ValidationFailed as exc:
        session.rollback()
        return _page(request, session, actor, {**data, "admin_password": "", "admin_password_confirm": ""},
                     exc.errors, status=422)
    return redirect(request, "/system/organisations",
                    flash=f"評価実施機関「{org.name}」と管理者「{user.login_id}」を登録しました。")
