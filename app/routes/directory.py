"""Administrator screen for directory sign-in: the connection settings (read-only, from the environment), a
connection check, and the group → role / department mapping."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, WriteSessionDep
from app.domain.policy import ROLE_LABEL, ROLES
from app.errors import ValidationFailed
from app.services import directory
from app.services import ldap_directory as ld
from app.services import organisation as orgs
from app.web import redirect, render

router = APIRouter(prefix="/admin/directory", include_in_schema=False)


def _page(request: Request, session, actor, *, status: int = 200, **extra) -> Response:
    groups = directory.list_groups(session, actor=actor)  # raises Forbidden for non-administrators
    departments = orgs.list_departments(session, actor.organisation_id)
    ctx = {"cfg": ld.LdapConfig.from_settings(request.app.state.settings), "groups": groups,
           "labels": orgs.department_labels(departments),
           "active_departments": orgs.active_department_options(departments),
           "roles": [(r, ROLE_LABEL[r]) for r in ROLES], "role_label": directory.role_label,
           "errors": {}, "data": {}, "check_message": "", "check_error": "", **extra}
    return render(request, "admin/directory.html", ctx, status=status)


@router.get("")
def page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return _page(request, session, actor)


@router.post("/groups")
def add_group(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    data = {k: str(form.get(k, "")) for k in ("group_dn", "role", "department_id")}
    try:
        row = directory.add_group(session, actor=actor, group_dn=data["group_dn"], role=data["role"],
                                  department_id=int(data["department_id"]) if data["department_id"].isdigit() else None)
    except ValidationFailed as exc:
        session.rollback()
        return _page(request, session, actor, status=422, errors=exc.errors, data=data)
    return redirect(request, "/admin/directory", flash=f"グループ「{row.group_dn}」の対応づけを登録しました。")


@router.post("/groups/{group_id}/delete")
def delete_group(request: Request, group_id: int, session: WriteSessionDep, actor: ActorDep) -> Response:
    row = directory.delete_group(session, actor=actor, group_id=group_id)
    return redirect(request, "/admin/directory", flash=f"グループ「{row.group_dn}」の対応づけを削除しました。")


@router.post("/check")
def check(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    directory.list_groups(session, actor=actor)  # administrators only
    cfg = ld.LdapConfig.from_settings(request.app.state.settings)
    if cfg is None:
        return _page(request, session, actor, check_error="ディレクトリ連携は設定されていません(SPIA_LDAP_URL が未設定です)。")
    try:
        return _page(request, session, actor, check_message=ld.check(cfg))
    except ld.DirectoryUnavailable as exc:
        detail = f"(詳細: {exc.detail})" if exc.detail else ""
        return _page(request, session, actor, check_error=exc.message + detail)
