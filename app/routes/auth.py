"""Sign in and sign out."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import SESSION_COOKIE, ActorDep, FormDep, WriteSessionDep, session_signer, session_token
from app.errors import AccountLocked, LoginFailed
from app.services import auth
from app.services.ldap_directory import DirectoryUnavailable, LdapConfig
from app.web import redirect, render

router = APIRouter(tags=["auth"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "auth/login.html", {"next": _safe_next(next), "login_id": "", "error": "",
                                               "directory": bool(request.app.state.settings.ldap_url)})


@router.post("/login")
def login_submit(request: Request, form: FormDep, session: WriteSessionDep) -> Response:
    settings = request.app.state.settings
    login_id, target = str(form.get("login_id", "")), _safe_next(str(form.get("next", "/")))
    try:
        token, _user = auth.login(
            session, login_id=login_id, password=str(form.get("password", "")),
            ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", ""),
            max_failures=settings.login_max_failures, lock_minutes=settings.login_lock_minutes,
            session_hours=settings.session_hours, directory=LdapConfig.from_settings(settings),
        )
    except (LoginFailed, AccountLocked, DirectoryUnavailable) as exc:
        return render(request, "auth/login.html", {"next": target, "login_id": login_id, "error": exc.message,
                                                   "directory": bool(settings.ldap_url)}, status=exc.status)
    response = redirect(request, target, flash="ログインしました。")
    response.set_cookie(SESSION_COOKIE, session_signer(settings).sign(token), httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/", max_age=settings.session_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, session: WriteSessionDep, actor: ActorDep) -> Response:
    token = session_token(request)
    if token:
        auth.logout(session, token=token, actor=actor)
    response = redirect(request, "/login", flash="ログアウトしました。")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.app.state.settings.cookie_secure)
    return response
