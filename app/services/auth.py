"""Sign-in, lockout, sessions, password change and API tokens."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.domain.policy import Actor, expand_departments
from app.errors import AccountLocked, LoginFailed, NotFound, ValidationFailed
from app.models import ApiToken, AuditLog, Department, LoginSession, User, UserDepartment
from app.models.base import utcnow
from app.security import hash_password, new_token, password_problem, token_hash, verify_password
from app.services import audit

GENERIC_FAILURE = "ログインIDまたはパスワードが正しくありません。"


def _lock_message(minutes: int) -> str:
    return f"ログインに続けて失敗したため、アカウントを{minutes}分間ロックしています。しばらくしてから再度お試しください。"


def login(
    session: Session, *, login_id: str, password: str, ip: str = "", user_agent: str = "",
    max_failures: int = 5, lock_minutes: int = 15, session_hours: int = 10, now: datetime | None = None,
) -> tuple[str, User]:
    """Return (session token, user) or raise LoginFailed / AccountLocked. Always audited."""
    now = now or utcnow()
    login_id = login_id.strip()[:64]
    user = session.exec(select(User).where(User.login_id == login_id)).first()
    if user is None or not user.active:
        verify_password(password, None)
        recent = _recent_unknown_failures(session, login_id, now, lock_minutes)
        _audit_login(session, None, login_id, "login_failed", ip)
        session.commit()
        if recent + 1 >= max_failures:
            raise AccountLocked(_lock_message(lock_minutes))
        raise LoginFailed(GENERIC_FAILURE)
    if user.locked_until and _aware(user.locked_until) > now:
        _audit_login(session, user, login_id, "login_refused_locked", ip)
        session.commit()
        raise AccountLocked(_lock_message(lock_minutes))
    if not verify_password(password, user.password_hash):
        user.failed_logins += 1
        locked = user.failed_logins >= max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        session.add(user)
        _audit_login(session, user, login_id, "login_locked" if locked else "login_failed", ip)
        session.commit()
        if locked:
            raise AccountLocked(_lock_message(lock_minutes))
        raise LoginFailed(GENERIC_FAILURE)
    user.failed_logins = 0
    user.locked_until = None
    token = new_token()
    session.add(LoginSession(
        id=token_hash(token), user_id=user.id, expires_at=now + timedelta(hours=session_hours),
        ip=ip[:64], user_agent=user_agent[:300],
    ))
    session.add(user)
    _audit_login(session, user, login_id, "login_succeeded", ip)
    session.commit()
    return token, user


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _recent_unknown_failures(session: Session, login_id: str, now: datetime, minutes: int) -> int:
    since = now - timedelta(minutes=minutes)
    q = select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "login", AuditLog.entity_id == login_id,
        AuditLog.action == "login_failed", AuditLog.at >= since,
    )
    return session.exec(q).one()


def _audit_login(session: Session, user: User | None, login_id: str, action: str, ip: str) -> None:
    actor = Actor(user_id=user.id, login_id=user.login_id, role=user.role) if user else None
    audit.record(session, actor=actor, entity="login", entity_id=login_id, action=action, note=f"ip={ip}")


def logout(session: Session, *, token: str, actor: Actor) -> None:
    row = session.get(LoginSession, token_hash(token))
    if row and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, actor=actor, entity="login", entity_id=actor.login_id, action="logout")
        session.commit()


def actor_for_token(session: Session, *, token: str, bearer: bool, now: datetime | None = None,
                    purpose: str = "api") -> Actor | None:
    """The actor behind a session cookie or API token, in two lightweight statements (every request pays this)."""
    now = now or utcnow()
    th = token_hash(token)
    cols = (User.id, User.login_id, User.role, User.organisation_id, User.display_name)
    if bearer:
        q = (select(*cols).join(ApiToken, ApiToken.user_id == User.id)
             .where(ApiToken.token_hash == th, ApiToken.revoked_at.is_(None), ApiToken.purpose == purpose, User.active))
    else:
        q = (select(*cols).join(LoginSession, LoginSession.user_id == User.id)
             .where(LoginSession.id == th, LoginSession.revoked_at.is_(None), LoginSession.expires_at > now, User.active))
    row = session.exec(q).first()
    if row is None:
        return None
    user_id, login_id, role, org_id, name = row
    rows = session.exec(
        select(Department.id, Department.parent_id, UserDepartment.user_id)
        .outerjoin(UserDepartment, (UserDepartment.department_id == Department.id) & (UserDepartment.user_id == user_id))
        .where(Department.organisation_id == org_id)
    ).all()
    own = {d for d, _, member in rows if member is not None}
    parents = {d: p for d, p, _ in rows}
    return Actor(user_id=user_id, login_id=login_id, role=role, organisation_id=org_id,
                 department_ids=expand_departments(own, parents), display_name=name)


def actor_for(session: Session, user: User) -> Actor:
    own = set(session.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).all())
    parents = dict(session.exec(
        select(Department.id, Department.parent_id).where(Department.organisation_id == user.organisation_id)
    ).all())
    return Actor(
        user_id=user.id, login_id=user.login_id, role=user.role, organisation_id=user.organisation_id,
        department_ids=expand_departments(own, parents), display_name=user.display_name,
    )


def change_password(
    session: Session, *, actor: Actor, current: str, new: str, confirm: str, keep_token: str | None,
) -> None:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    errors: dict[str, str] = {}
    if not verify_password(current, user.password_hash):
        errors["current"] = "現在のパスワードが正しくありません。"
    problem = password_problem(new, login_id=user.login_id)
    if problem:
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = "確認用のパスワードが一致しません。"
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    session.add(user)
    keep = token_hash(keep_token) if keep_token else ""
    session.exec(
        update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != keep,
                                   LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="password_changed")
    session.commit()


def create_api_token(session: Session, *, actor: Actor, name: str, purpose: str = "api") -> str:
    if not name.strip():
        raise ValidationFailed({"name": "トークンの名前を入力してください。"})
    token = new_token()
    row = ApiToken(user_id=actor.user_id, name=name.strip()[:100], token_hash=token_hash(token), purpose=purpose)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="api_token", entity_id=row.id, action="created",
                 after={"name": row.name, "purpose": purpose})
    session.commit()
    return token


def revoke_api_token(session: Session, *, actor: Actor, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound("トークンが見つかりません。")
    row.revoked_at = utcnow()
    session.add(row)
    audit.record(session, actor=actor, entity="api_token", entity_id=row.id, action="revoked")
    session.commit()
