"""Sign-in, lockout, sessions, password change and API tokens."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.db import begin_write
from app.domain.policy import Actor, expand_departments
from app.errors import AccountLocked, Forbidden, LoginFailed, NotFound, ValidationFailed
from app.models import ApiToken, AuditLog, Department, LoginSession, User, UserDepartment, pk
from app.models.base import utcnow
from app.security import hash_password, new_token, password_problem, token_hash, verify_password
from app.services import audit

if TYPE_CHECKING:
    from app.services.ldap_directory import LdapConfig

GENERIC_FAILURE = "ログインIDまたはパスワードが正しくありません。"
DIRECTORY_PASSWORD = "このアカウントのパスワードは庁内のディレクトリ(LDAP・Active Directory)で管理しています。ディレクトリの手順で変更してください。"


def lock_message(minutes: int) -> str:
    return f"ログインに続けて失敗したため、アカウントを{minutes}分間ロックしています。しばらくしてから再度お試しください。"


def login(
    session: Session, *, login_id: str, password: str, ip: str = "", user_agent: str = "",
    max_failures: int = 5, lock_minutes: int = 15, session_hours: int = 10, now: datetime | None = None,
    directory: LdapConfig | None = None,
) -> tuple[str, User]:
    """Return (session token, user) or raise LoginFailed / AccountLocked (/ DirectoryUnavailable). Always audited.

    Every path (unknown ID, inactive, locked, wrong password, right password) runs one password hash, so the
    answer time does not tell which IDs exist or are locked. An attempt on a real account is reserved with one
    atomic UPDATE and committed before the password is checked: parallel guesses, in any number of server
    processes, each use up one of the `max_failures` attempts and the lock holds.

    `directory` (an ldap_directory.LdapConfig, or None when directory sign-in is off): an ID that is not a local
    account — or is a directory account — is checked by the directory (services/directory.py). Local accounts
    never reach the directory, so they sign in while it is down.
    """
    now = now or utcnow()
    login_id = login_id.strip()[:64]
    user = session.exec(select(User).where(User.login_id == login_id)).first()
    if user is None and directory is not None:
        from app.services import directory as dirsvc

        user = dirsvc.find_account(session, login_id)
    if (user is not None and user.auth_source == "ldap") or (user is None and directory is not None):
        from app.services import directory as dirsvc

        user = dirsvc.login(session, cfg=directory, user=user, login_id=login_id, password=password, ip=ip, now=now,
                            max_failures=max_failures, lock_minutes=lock_minutes)
        return _open_session(session, user, login_id, ip, user_agent, session_hours, now)
    if user is None or not user.active:
        refuse_unknown(session, login_id=login_id, password=password, ip=ip, now=now, max_failures=max_failures,
                       lock_minutes=lock_minutes)
    reserved = reserve_attempt(session, pk(user), now=now, max_failures=max_failures, lock_minutes=lock_minutes)
    session.commit()  # the reservation is visible to every other request before the (slow) hash runs
    if reserved is None:
        verify_password(password, user.password_hash)  # same cost as an unlocked account; the result is unused
        begin_write(session)
        _audit_login(session, user, login_id, "login_refused_locked", ip)
        session.commit()
        raise AccountLocked(lock_message(lock_minutes))
    ok = verify_password(password, user.password_hash)
    begin_write(session)
    if not ok:
        _audit_login(session, user, login_id, "login_locked" if reserved else "login_failed", ip)
        session.commit()
        if reserved:
            raise AccountLocked(lock_message(lock_minutes))
        raise LoginFailed(GENERIC_FAILURE)
    return _open_session(session, user, login_id, ip, user_agent, session_hours, now)


def _open_session(session: Session, user: User, login_id: str, ip: str, user_agent: str, session_hours: int,
                  now: datetime) -> tuple[str, User]:
    """The password was right: clear the failure counter, open a browser session, audit, commit."""
    session.exec(update(User).where(col(User.id) == user.id).values(failed_logins=0, locked_until=None)
                 .execution_options(synchronize_session=False))
    token = new_token()
    session.add(LoginSession(
        id=token_hash(token), user_id=pk(user), expires_at=now + timedelta(hours=session_hours),
        ip=ip[:64], user_agent=user_agent[:300],
    ))
    _audit_login(session, user, login_id, "login_succeeded", ip)
    session.commit()
    session.refresh(user)
    return token, user


def refuse_unknown(session: Session, *, login_id: str, password: str, ip: str, now: datetime, max_failures: int,
                   lock_minutes: int) -> NoReturn:
    """An unknown or inactive ID: one hash (same time as a real check), audited, counted by ID; always raises."""
    verify_password(password, None)
    recent = recent_unknown_failures(session, login_id, now, lock_minutes)
    _audit_login(session, None, login_id, "login_failed", ip)
    session.commit()
    if recent + 1 >= max_failures:
        raise AccountLocked(lock_message(lock_minutes))
    raise LoginFailed(GENERIC_FAILURE)


def reserve_attempt(session: Session, user_id: int, *, now: datetime, max_failures: int,
                     lock_minutes: int) -> bool | None:
    """Use up one sign-in attempt of an unlocked account in one conditional UPDATE … RETURNING.

    None: the account is locked (nothing may be checked). True: this attempt is the last one allowed — the lock
    is set by the same statement, so no parallel request can slip in; a right password still signs in and
    lifts it. False: an ordinary attempt. The statement is atomic on SQLite and PostgreSQL alike (a row lock).
    """
    reaches = col(User.failed_logins) + 1 >= max_failures
    until = now + timedelta(minutes=lock_minutes)
    stmt = (
        update(User)
        .where(col(User.id) == user_id, or_(col(User.locked_until).is_(None), col(User.locked_until) <= now))
        .values(failed_logins=case((reaches, 0), else_=col(User.failed_logins) + 1),
                locked_until=case((reaches, until), else_=None))
        .returning(col(User.locked_until))
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    return row[0] is not None


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def recent_unknown_failures(session: Session, login_id: str, now: datetime, minutes: int) -> int:
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
    # sqlmodel's select() is typed for up to four columns; these five go through its Select class, typed here.
    q: Select[int | None, str, str, int, str] = Select(
        col(User.id), col(User.login_id), col(User.role), col(User.organisation_id), col(User.display_name))
    if bearer:
        q = (q.join(ApiToken, col(ApiToken.user_id) == User.id)
             .where(ApiToken.token_hash == th, col(ApiToken.revoked_at).is_(None), ApiToken.purpose == purpose,
                    col(User.active)))
    else:
        q = (q.join(LoginSession, col(LoginSession.user_id) == User.id)
             .where(LoginSession.id == th, col(LoginSession.revoked_at).is_(None), LoginSession.expires_at > now,
                    col(User.active)))
    row = session.exec(q).first()
    if row is None:
        return None
    user_id, login_id, role, org_id, name = row
    rows = session.exec(
        select(Department.id, Department.parent_id, UserDepartment.user_id)
        .outerjoin(UserDepartment,
                   (col(UserDepartment.department_id) == Department.id) & (col(UserDepartment.user_id) == user_id))
        .where(Department.organisation_id == org_id)
    ).all()
    # Department.id is `int | None` on the model; read rows always have one.
    own = {d for d, _, member in rows if d is not None and member is not None}
    parents = {d: p for d, p, _ in rows if d is not None}
    return Actor(user_id=user_id, login_id=login_id, role=role, organisation_id=org_id,
                 department_ids=expand_departments(own, parents), display_name=name)


def actor_for(session: Session, user: User) -> Actor:
    own = set(session.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).all())
    parents = {d: p for d, p in session.exec(
        select(Department.id, Department.parent_id).where(Department.organisation_id == user.organisation_id)
    ).all() if d is not None}
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
    if user.auth_source == "ldap":
        raise ValidationFailed({"current": DIRECTORY_PASSWORD})
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
    revoked = revoke_credentials(session, user_id=pk(user), keep_session=keep_token)
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="password_changed",
                 after={"revoked": revoked})
    session.commit()


def revoke_credentials(session: Session, *, user_id: int, keep_session: str | None = None) -> dict[str, int]:
    """End everything that signs a user in: browser sessions, API tokens and calendar-feed tokens, for good.

    Called whenever what a credential stands for changes (own password change, administrator reset, role change,
    deactivation). `keep_session` (the raw cookie token of the request making the change) survives, so a user who
    changes their own password stays signed in on this browser. Returns the counts (for the audit record).
    """
    now = utcnow()
    keep = token_hash(keep_session) if keep_session else ""
    sessions = session.exec(
        update(LoginSession).where(col(LoginSession.user_id) == user_id, col(LoginSession.id) != keep,
                                   col(LoginSession.revoked_at).is_(None)).values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    tokens = session.exec(
        update(ApiToken).where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"sessions": sessions or 0, "tokens": tokens or 0}


def api_tokens(session: Session, *, actor: Actor) -> list[ApiToken]:
    """The actor's own API and calendar tokens, newest first."""
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == actor.user_id)
                             .order_by(col(ApiToken.id).desc())).all())


def signs_in_by_directory(session: Session, *, actor: Actor) -> bool:
    """Whether the actor's password is the directory's (no password change here)."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return bool(user and user.auth_source == "ldap")


def create_api_token(session: Session, *, actor: Actor, name: str, purpose: str = "api") -> str:
    if not name.strip():
        raise ValidationFailed({"name": "トークンの名前を入力してください。"})
    if actor.user_id is None:  # the CLI / system actor has no account to hold a token
        raise Forbidden("このアカウントではトークンを発行できません。")
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
