"""Directory sign-in (issue 16 §1): the group → role / department mapping an administrator keeps, and the sign-in of
a directory account — checked by the directory, then created or brought up to date from its groups.

A directory account (User.auth_source "ldap") has no local password. At every sign-in its role and departments are
taken again from the mapped groups; a user in no group that grants a role — or no longer found (deleted, or left
out by the user filter as disabled) — is refused, deactivated, and every session and token is revoked. Failed
passwords use the same atomic lockout counter as local accounts; every outcome is audited.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from app.db import begin_write
from app.domain.policy import ROLE_LABEL, ROLES, Actor, can_manage_users
from app.errors import AccountLocked, Forbidden, LoginFailed, NotFound, ValidationFailed
from app.models import Department, DirectoryGroup, User, UserDepartment, pk
from app.services import audit, auth, scope
from app.services import ldap_directory as ld

NOT_MAPPED = ("ディレクトリのアカウントは確認できましたが、このシステムを利用するグループに所属していないため、"
              "ログインできません。必要な場合は管理者に連絡してください。")


def normalize_dn(dn: str) -> str:
    """Case- and spacing-insensitive form of a DN, for comparing what the directory returns with the mapping."""
    return ",".join("=".join(p.strip() for p in rdn.split("=", 1)) for rdn in dn.split(",")).strip().lower()


# --- the mapping (administrator) ---------------------------------------------------------------------------

def list_groups(session: Session, *, actor: Actor) -> list[DirectoryGroup]:
    _guard(actor)
    return list(session.exec(select(DirectoryGroup).where(scope.body_clause(DirectoryGroup.organisation_id, actor))
                             .order_by(col(DirectoryGroup.id))).all())


def add_group(session: Session, *, actor: Actor, group_dn: str, role: str, department_id: int | None) -> DirectoryGroup:
    _guard(actor)
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    group_dn, errors = " ".join(group_dn.split()), {}
    try:
        if not group_dn or len(group_dn) > 500:
            raise LDAPInvalidDnError(group_dn)
        parse_dn(group_dn)
    except LDAPInvalidDnError:
        errors["group_dn"] = "グループの DN を「cn=…,ou=…,dc=…」の形で500文字以内で入力してください。"
    else:
        existing = list_groups(session, actor=actor)
        if any(normalize_dn(g.group_dn) == normalize_dn(group_dn) for g in existing):
            errors["group_dn"] = "このグループは既に登録されています。変更するときは削除してから登録し直してください。"
    if role and role not in ROLES:
        errors["role"] = "役割を選択してください。"
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None or not scope.same_body(actor, dept.organisation_id) or not dept.active:
            errors["department_id"] = "使用中の部署を選択してください。"
    if not role and department_id is None and "group_dn" not in errors:
        errors["role"] = "役割と所属部署の少なくとも一方を選択してください。"
    if errors:
        raise ValidationFailed(errors)
    body = scope.own_body(actor, "ディレクトリ連携の設定は評価実施機関ごとに行います(所属のない利用者は登録できません)。")
    row = DirectoryGroup(organisation_id=body, group_dn=group_dn, role=role, department_id=department_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="directory_group", entity_id=row.id, action="created", after=row)
    session.commit()
    return row


def delete_group(session: Session, *, actor: Actor, group_id: int) -> DirectoryGroup:
    _guard(actor)
    row = session.get(DirectoryGroup, group_id)
    if row is None or not scope.same_body(actor, row.organisation_id):
        raise NotFound("対応づけが見つかりません。")
    audit.record(session, actor=actor, entity="directory_group", entity_id=row.id, action="deleted", before=row)
    session.delete(row)
    session.commit()
    return row


def _guard(actor: Actor) -> None:
    if not can_manage_users(actor):
        raise Forbidden("ディレクトリ連携の設定は管理者のみ行えます。")


def resolve(session: Session, group_dns: Iterable[str]) -> tuple[int | None, str | None, list[int]]:
    """(organisation, role, departments) from the user's groups: the highest mapped role (admin > records > staff >
    council) and every mapped department of that organisation. Role None: no group grants access."""
    mine = {normalize_dn(g) for g in group_dns}
    rows = [g for g in session.exec(select(DirectoryGroup)).all() if normalize_dn(g.group_dn) in mine]
    roles = sorted((ROLES.index(g.role), g.organisation_id, g.role) for g in rows if g.role)
    if not roles:
        return None, None, []
    _, org_id, role = roles[0]
    depts = sorted({g.department_id for g in rows if g.department_id and g.organisation_id == org_id})
    return org_id, role, depts


# --- sign-in -------------------------------------------------------------------------------------------------

def find_account(session: Session, login_id: str) -> User | None:
    """A directory account whose ID differs only in letter case (directory IDs are case-insensitive)."""
    return session.exec(select(User).where(func.lower(User.login_id) == login_id.lower(),
                                           User.auth_source == "ldap")).first()


def login(session: Session, *, cfg: ld.LdapConfig | None, user: User | None, login_id: str, password: str, ip: str,
          now: datetime, max_failures: int, lock_minutes: int) -> User:
    """Check a directory sign-in; return the (created or updated) active user, or raise LoginFailed /
    AccountLocked / DirectoryUnavailable. The caller opens the session (and clears the failure counter)."""
    if user is not None and not user.active:
        auth.refuse_unknown(session, login_id=login_id, password=password, ip=ip, now=now,
                            max_failures=max_failures, lock_minutes=lock_minutes)
    if cfg is None:
        _audit(session, user, login_id, "login_directory_unavailable", ip, "directory sign-in is not configured")
        session.commit()
        raise ld.DirectoryUnavailable(ld.NOT_CONFIGURED)
    if user is None:
        return _first_login(session, cfg, login_id, password, ip, now, max_failures, lock_minutes)
    user_id, account_id = pk(user), user.login_id  # read before the commit: nothing reloads in mid-sign-in
    reserved = auth.reserve_attempt(session, user_id, now=now, max_failures=max_failures, lock_minutes=lock_minutes)
    session.commit()  # as for local accounts: the attempt is used up before the directory is asked
    if reserved is None:
        begin_write(session)
        _audit(session, user, login_id, "login_refused_locked", ip)
        session.commit()
        raise AccountLocked(auth.lock_message(lock_minutes))
    try:
        outcome, duser = ld.authenticate(cfg, account_id, password)
    except ld.DirectoryUnavailable as exc:
        begin_write(session)
        _refund_attempt(session, user_id, reserved, max_failures)  # an outage is not the user's failure
        _audit(session, user, login_id, "login_directory_unavailable", ip, exc.detail)
        session.commit()
        raise
    begin_write(session)
    if outcome != ld.OK or duser is None:  # (OK always comes with the directory's user)
        if outcome == ld.NO_USER:
            _withdraw(session, user, "directory_user_missing")
        _audit(session, user, login_id, "login_locked" if reserved else "login_failed", ip,
               "not in the directory" if outcome == ld.NO_USER else "")
        session.commit()
        if reserved:
            raise AccountLocked(auth.lock_message(lock_minutes))
        raise LoginFailed(auth.GENERIC_FAILURE)
    return _apply(session, user, duser, login_id, ip)


def _first_login(session: Session, cfg: ld.LdapConfig, login_id: str, password: str, ip: str, now: datetime,
                 max_failures: int, lock_minutes: int) -> User:
    recent = auth.recent_unknown_failures(session, login_id, now, lock_minutes)
    if recent >= max_failures:
        _audit(session, None, login_id, "login_refused_locked", ip)
        session.commit()
        raise AccountLocked(auth.lock_message(lock_minutes))
    session.commit()  # no lock (SQLite's write lock included) is held over the round trip to the directory
    try:
        outcome, duser = ld.authenticate(cfg, login_id, password)
    except ld.DirectoryUnavailable as exc:
        begin_write(session)
        _audit(session, None, login_id, "login_directory_unavailable", ip, exc.detail)
        session.commit()
        raise
    begin_write(session)
    if outcome != ld.OK or duser is None:  # (OK always comes with the directory's user)
        _audit(session, None, login_id, "login_failed", ip)
        session.commit()
        if recent + 1 >= max_failures:
            raise AccountLocked(auth.lock_message(lock_minutes))
        raise LoginFailed(auth.GENERIC_FAILURE)
    return _apply(session, None, duser, login_id, ip)


def _apply(session: Session, user: User | None, duser: ld.DirectoryUser, login_id: str, ip: str) -> User:
    """Bring the account in line with the directory (right password given); refuse when no group grants a role."""
    org_id, role, dept_ids = resolve(session, duser.groups)
    if role is None or org_id is None:  # (a role always comes with its group's organisation)
        if user is not None:
            _withdraw(session, user, "not_in_mapped_groups")
        _audit(session, user, login_id, "login_refused_unmapped", ip, f"groups={len(duser.groups)}")
        session.commit()
        raise LoginFailed(NOT_MAPPED)
    system = Actor(user_id=None, login_id="directory", role="system", organisation_id=org_id)
    if user is None:
        if session.exec(select(User.id).where(User.login_id == duser.login_id.lower()[:64])).first() is not None:
            _audit(session, None, login_id, "login_refused_conflict", ip, "a local account has this ID")
            session.commit()
            raise LoginFailed(auth.GENERIC_FAILURE)
        user = User(login_id=duser.login_id.lower()[:64], display_name=duser.display_name, password_hash="",
                    auth_source="ldap", role=role, organisation_id=org_id)
        session.add(user)
        session.flush()
        _set_departments(session, pk(user), dept_ids)
        audit.record(session, actor=system, entity="user", entity_id=user.id, action="created_from_directory",
                     after={**audit.jsonable(user), "department_ids": dept_ids, "dn": duser.dn})
        return user
    before = {"display_name": user.display_name, "role": user.role, "organisation_id": user.organisation_id,
              "department_ids": sorted(session.exec(select(UserDepartment.department_id)
                                                    .where(UserDepartment.user_id == user.id)).all())}
    after = {"display_name": duser.display_name, "role": role, "organisation_id": org_id, "department_ids": dept_ids}
    if before != after:
        revoked = None
        if (before["role"], before["organisation_id"]) != (role, org_id):  # as an administrator's role change
            revoked = auth.revoke_credentials(session, user_id=pk(user))
        user.display_name, user.role, user.organisation_id = duser.display_name, role, org_id
        user.lock_version += 1
        session.add(user)
        _set_departments(session, pk(user), dept_ids)
        audit.record(session, actor=system, entity="user", entity_id=user.id, action="updated_from_directory",
                     before=before, after={**after, "revoked": revoked})
    return user


def _set_departments(session: Session, user_id: int, dept_ids: list[int]) -> None:
    for link in session.exec(select(UserDepartment).where(UserDepartment.user_id == user_id)).all():
        session.delete(link)
    session.flush()
    for d in dept_ids:
        session.add(UserDepartment(user_id=user_id, department_id=d))


def _withdraw(session: Session, user: User, reason: str) -> None:
    """The directory no longer lets this user in: deactivate the account and end every session and token."""
    revoked = auth.revoke_credentials(session, user_id=pk(user))
    session.exec(update(User).where(col(User.id) == user.id).values(active=False, lock_version=User.lock_version + 1)
                 .execution_options(synchronize_session=False))
    audit.record(session, actor=Actor(user_id=None, login_id="directory", role="system"), entity="user",
                 entity_id=user.id, action="deactivated_by_directory", after={"reason": reason, "revoked": revoked})


def _refund_attempt(session: Session, user_id: int, reserved: bool, max_failures: int) -> None:
    values: dict[str, Any]
    if reserved:  # this attempt had set the lock: lift it, leaving the count one short of the limit
        values = {"locked_until": None, "failed_logins": max_failures - 1}
    else:
        values = {"failed_logins": case((col(User.failed_logins) > 0, col(User.failed_logins) - 1), else_=0)}
    session.exec(update(User).where(col(User.id) == user_id).values(**values)
                 .execution_options(synchronize_session=False))


def _audit(session: Session, user: User | None, login_id: str, action: str, ip: str, detail: str = "") -> None:
    actor = Actor(user_id=user.id, login_id=user.login_id, role=user.role) if user else None
    note = f"ip={ip} source=ldap" + (f" {detail}" if detail else "")
    audit.record(session, actor=actor, entity="login", entity_id=login_id, action=action, note=note)


def role_label(role: str) -> str:
    return ROLE_LABEL.get(role, "(役割なし)") if role else "(役割なし)"
