"""The signed-in user's own account: password, API tokens, reminder mails (address and kinds received)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, BrowserActorDep, FormDep, SessionDep, WriteSessionDep, session_token
from app.domain import reminders as reminder_rules
from app.errors import Conflict, ValidationFailed
from app.services import auth, reminders
from app.web import posted_version, redirect, render

router = APIRouter(prefix="/account", include_in_schema=False)


def _ctx(session, actor, **extra) -> dict:
    tokens = auth.api_tokens(session, actor=actor)
    mail = None
    if actor.user_id is not None:
        user, opted = reminders.preferences(session, user_id=actor.user_id)
        mail = {"email": user.email, "lock_version": user.lock_version, "opted_out": opted,
                "receives": actor.role in reminder_rules.RECIPIENT_ROLES}
    return {"tokens": tokens, "errors": {}, "new_token": "", "mail": mail, "mail_kinds": reminder_rules.KINDS,
            "directory_account": auth.signs_in_by_directory(session, actor=actor), **extra}


@router.get("")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "account/index.html", _ctx(session, actor))


@router.post("/password")
def change_password(request: Request, form: FormDep, session: WriteSessionDep, actor: BrowserActorDep) -> Response:
    try:
        auth.change_password(session, actor=actor, current=str(form.get("current", "")), new=str(form.get("new", "")),
                             confirm=str(form.get("confirm", "")), keep_token=session_token(request))
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "account/index.html", _ctx(session, actor, errors=exc.errors), status=422)
    return redirect(request, "/account", flash="パスワードを変更しました。他の端末のログインは無効になりました。")


@router.post("/tokens")
def create_token(request: Request, form: FormDep, session: WriteSessionDep, actor: BrowserActorDep) -> Response:
    purpose = "calendar" if form.get("purpose") == "calendar" else "api"
    try:
        token = auth.create_api_token(session, actor=actor, name=str(form.get("name", "")), purpose=purpose)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "account/index.html", _ctx(session, actor, errors=exc.errors), status=422)
    return render(request, "account/index.html", _ctx(session, actor, new_token=token, new_purpose=purpose))


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, session: WriteSessionDep, actor: BrowserActorDep) -> Response:
    auth.revoke_api_token(session, actor=actor, token_id=token_id)
    return redirect(request, "/account", flash="トークンを失効させました。")


@router.post("/mail")
def update_mail(request: Request, form: FormDep, session: WriteSessionDep, actor: BrowserActorDep) -> Response:
    try:
        reminders.update_preferences(session, actor=actor, email=str(form.get("email", "")),
                                     receive={str(k) for k in form.getlist("receive")},
                                     lock_version=posted_version(form))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"email": exc.message}
        return render(request, "account/index.html", _ctx(session, actor, errors=errors),
                      status=422 if isinstance(exc, ValidationFailed) else 409)
    return redirect(request, "/account", flash="メール通知の設定を保存しました。")
