"""Administrator screens: organisation, departments, user accounts."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, WriteSessionDep
from app.domain import reminders as reminder_rules
from app.domain.policy import ROLE_LABEL, ROLES, can_manage_users
from app.errors import Conflict, Forbidden, ValidationFailed
from app.services import organisation as orgs
from app.services import reminders
from app.web import posted_version, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)


def _guard(actor) -> None:
    if not can_manage_users(actor):
        raise Forbidden("管理画面は管理者のみ利用できます。")


def _ctx(session, actor, **extra) -> dict:
    org = orgs.get_organisation(session, actor.organisation_id)
    departments = orgs.list_departments(session, org.id)
    return {"org": org, "departments": departments, "labels": orgs.department_labels(departments),
            "active_departments": orgs.active_department_options(departments),
            "roles": [(r, ROLE_LABEL[r]) for r in ROLES], "kinds": list(orgs.ORG_KINDS.items()),
            "draft_markers": list(orgs.DRAFT_MARKERS.items()),
            "measure_headings": list(orgs.MEASURE_HEADINGS.items()),
            "measure_numberings": list(orgs.MEASURE_NUMBERING.items()),
            "errors": {}, **extra}


@router.get("")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    return render(request, "admin/index.html", _ctx(session, actor, users=orgs.list_users(session, actor=actor)))


@router.post("/organisation")
def update_org(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    data = {k: str(form.get(k, "")) for k in ("name", "kind", "municipality", "representative", "draft_marker",
                                                 "measure_headings", "measure_numbering")}
    data["lock_version"] = posted_version(form)  # absent: refused like a stale version (409)
    org = orgs.get_organisation(session, actor.organisation_id)
    try:
        orgs.update_organisation(session, actor=actor, organisation_id=org.id, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "admin/index.html", _ctx(session, actor, users=orgs.list_users(session, actor=actor),
                                                          errors=exc.errors), status=422)
    return redirect(request, "/admin", flash="評価実施機関の情報を更新しました。")


@router.post("/departments")
def add_department(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    org = orgs.get_organisation(session, actor.organisation_id)
    parent = str(form.get("parent_id", ""))
    try:
        orgs.create_department(session, actor=actor, organisation_id=org.id, name=str(form.get("dept_name", "")),
                               parent_id=int(parent) if parent.isdigit() else None)
    except ValidationFailed as exc:
        session.rollback()
        errors = {("dept_name" if k == "name" else k): v for k, v in exc.errors.items()}
        return render(request, "admin/index.html", _ctx(session, actor, users=orgs.list_users(session, actor=actor),
                                                          errors=errors), status=422)
    return redirect(request, "/admin", flash="部署を登録しました。")


@router.post("/departments/{department_id}")
def update_department(request: Request, form: FormDep, department_id: int, session: WriteSessionDep,
                      actor: ActorDep) -> Response:
    """Rename a 部署, or retire / reinstate it (`active` is "1" or "0")."""
    _guard(actor)
    org = orgs.get_organisation(session, actor.organisation_id)
    try:
        dept = orgs.update_department(session, actor=actor, organisation_id=org.id, department_id=department_id,
                                      name=str(form.get("name", "")), active=form.get("active") == "1",
                                      lock_version=posted_version(form))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {f"dept-{department_id}-name": exc.message}
        return render(request, "admin/index.html", _ctx(session, actor, users=orgs.list_users(session, actor=actor),
                                                          errors=errors), status=409 if isinstance(exc, Conflict) else 422)
    state = "" if dept.active else "(廃止)"
    return redirect(request, "/admin", flash=f"部署「{dept.name}」{state}を更新しました。")


@router.get("/users/new")
def new_user(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    return render(request, "admin/user_form.html", _ctx(session, actor, user=None, data={"role": "staff", "department_ids": []}))


def _user_data(form) -> dict:
    return {
        "login_id": str(form.get("login_id", "")), "display_name": str(form.get("display_name", "")),
        "role": str(form.get("role", "")), "password": str(form.get("password", "")),
        "department_ids": [int(v) for v in form.getlist("department_ids") if str(v).isdigit()],
        "active": form.get("active") == "1", "unlock": form.get("unlock") == "1", "email": _optional(form, "email"),
        "lock_version": posted_version(form),
    }


def _optional(form, key: str) -> str | None:
    value = form.get(key)
    return None if value is None else str(value)


@router.post("/users/new")
def create_user(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    data = _user_data(form)
    org = orgs.get_organisation(session, actor.organisation_id)
    try:
        user = orgs.create_user(session, actor=actor, organisation_id=org.id, login_id=data["login_id"],
                                display_name=data["display_name"], role=data["role"], password=data["password"],
                                department_ids=data["department_ids"],
                                password_confirm=str(form.get("password_confirm", "")), email=data["email"] or "")
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "admin/user_form.html", _ctx(session, actor, user=None, data=data, errors=exc.errors),
                      status=422)
    return redirect(request, "/admin", flash=f"利用者「{user.display_name}」を登録しました。")


@router.get("/users/{user_id}")
def edit_user(request: Request, user_id: int, session: SessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    user = orgs.get_user(session, actor=actor, user_id=user_id)  # issue 16 §3: 404 for another body's user
    depts = orgs.user_departments(session, user.id)
    data = {"login_id": user.login_id, "display_name": user.display_name, "role": user.role,
            "department_ids": depts, "active": user.active, "email": user.email}
    return render(request, "admin/user_form.html", _ctx(session, actor, user=user, data=data))


@router.post("/users/{user_id}")
def update_user(request: Request, form: FormDep, user_id: int, session: WriteSessionDep, actor: ActorDep) -> Response:
    _guard(actor)
    data = _user_data(form)
    try:
        orgs.update_user(session, actor=actor, user_id=user_id, display_name=data["display_name"], role=data["role"],
                         department_ids=data["department_ids"], active=data["active"],
                         new_password=str(form.get("new_password", "")), unlock=data["unlock"],
                         new_password_confirm=_optional(form, "new_password_confirm"),
                         lock_version=data["lock_version"], email=data["email"])
    except ValidationFailed as exc:
        session.rollback()
        user = orgs.get_user(session, actor=actor, user_id=user_id)
        return render(request, "admin/user_form.html", _ctx(session, actor, user=user, data=data, errors=exc.errors),
                      status=422)
    return redirect(request, "/admin", flash="利用者の設定を更新しました。")


@router.get("/reminders")
def sent_reminders(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    """What `spia remind` sent: to whom, which deadline, at which threshold, when."""
    _guard(actor)
    org = orgs.get_organisation(session, actor.organisation_id)
    return render(request, "admin/reminders.html", {"rows": reminders.sent_list(session, organisation_id=org.id),
                                                    "kinds": reminder_rules.KINDS,
                                                    "thresholds": reminder_rules.THRESHOLD_LABEL})
