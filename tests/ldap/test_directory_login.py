"""Directory sign-in through auth.login against the real slapd: provisioning, mapping, removal, lockout, outages."""
from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from app.domain.policy import Actor
from app.errors import AccountLocked, LoginFailed
from app.models import ApiToken, AuditLog, Department, LoginSession, User, UserDepartment
from app.services import auth, directory
from app.services import ldap_directory as ld
from tests.ldap import slapd as sl
from tests.ldap.conftest import set_member


@pytest.fixture
def admin(db) -> Actor:
    return auth.actor_for(db, db.exec(select(User).where(User.login_id == "admin")).one())


@pytest.fixture
def mapped(db, admin):
    """spia-admins → 管理者, spia-records → 総務・文書担当, spia-staff → 担当課職員, shimin-ka → 市民課 (no role)."""
    shimin_ka = db.exec(select(Department).where(Department.name == "市民課")).one()
    for group, role, dept in (("spia-admins", "admin", None), ("spia-records", "records", None),
                              ("spia-staff", "staff", None), ("shimin-ka", "", shimin_ka.id)):
        directory.add_group(db, actor=admin, group_dn=sl.group_dn(group), role=role, department_id=dept)
    return {"市民課": shimin_ka.id}


def sign_in(db, cfg, login_id, password, **kw):
    return auth.login(db, login_id=login_id, password=password, ip="127.0.0.1", directory=cfg, **kw)


def user(db, login_id) -> User | None:
    db.expire_all()
    return db.exec(select(User).where(User.login_id == login_id)).first()


def actions(db, entity_id) -> list[str]:
    """Audit actions on a sign-in ID (str) or a user (int)."""
    entity = "user" if isinstance(entity_id, int) else "login"
    return list(db.exec(select(AuditLog.action).where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
                        .order_by(AuditLog.id)).all())


def test_first_sign_in_creates_the_account_from_the_groups(db, ldap_cfg, mapped):
    token, u = sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))
    assert token and u.auth_source == "ldap" and u.password_hash == "" and u.role == "staff" and u.active
    assert u.display_name == "市民課 山田 太郎"
    depts = db.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == u.id)).all()
    assert list(depts) == [mapped["市民課"]]
    assert actions(db, u.id) == ["created_from_directory"]
    assert actions(db, "yamada")[-1] == "login_succeeded"
    # the next sign-in changes nothing and records nothing but the sign-in
    sign_in(db, ldap_cfg, "YAMADA", sl.password("yamada"))  # directory IDs are case-insensitive: same account
    assert actions(db, u.id) == ["created_from_directory"]
    assert db.exec(select(User).where(User.auth_source == "ldap")).all() == [user(db, "yamada")]


def test_the_highest_mapped_role_wins(db, ldap_cfg, mapped):
    assert sign_in(db, ldap_cfg, "ito", sl.password("ito"))[1].role == "records"
    assert sign_in(db, ldap_cfg, "suzuki", sl.password("suzuki"))[1].role == "admin"


def test_role_change_in_the_directory_updates_and_revokes(db, ldap_cfg, mapped, dir_user, admin, slapd):
    uid = dir_user(["spia-staff"])
    _, u = sign_in(db, ldap_cfg, uid, sl.password(uid))
    api = auth.create_api_token(db, actor=auth.actor_for(db, u), name="集計")
    set_member(slapd, "spia-records", uid, True)
    _, u2 = sign_in(db, ldap_cfg, uid, sl.password(uid))
    assert u2.id == u.id and u2.role == "records"
    assert auth.actor_for_token(db, token=api, bearer=True) is None
    assert actions(db, u.id)[-1] == "updated_from_directory"


def test_unmapped_disabled_and_unknown_users_get_no_account(db, ldap_cfg, mapped):
    with pytest.raises(LoginFailed) as exc:
        sign_in(db, ldap_cfg, "sato", sl.password("sato"))
    assert exc.value.message == directory.NOT_MAPPED
    for login_id in ("tanaka", "nobody"):
        with pytest.raises(LoginFailed) as exc:
            sign_in(db, ldap_cfg, login_id, sl.password(login_id))
        assert exc.value.message == auth.GENERIC_FAILURE
    assert user(db, "sato") is None and user(db, "tanaka") is None and user(db, "nobody") is None
    assert "login_refused_unmapped" in actions(db, "sato") and "login_failed" in actions(db, "tanaka")


def test_removed_from_the_groups_loses_access_and_every_credential(db, ldap_cfg, mapped, dir_user, slapd):
    uid = dir_user(["spia-staff", "shimin-ka"])
    token, u = sign_in(db, ldap_cfg, uid, sl.password(uid))
    api = auth.create_api_token(db, actor=auth.actor_for(db, u), name="連携")
    set_member(slapd, "spia-staff", uid, False)  # still in shimin-ka: a department alone grants no access
    with pytest.raises(LoginFailed) as exc:
        sign_in(db, ldap_cfg, uid, sl.password(uid))
    assert exc.value.message == directory.NOT_MAPPED
    assert not user(db, uid).active
    assert auth.actor_for_token(db, token=token, bearer=False) is None
    assert auth.actor_for_token(db, token=api, bearer=True) is None
    assert db.exec(select(LoginSession).where(LoginSession.user_id == u.id, LoginSession.revoked_at.is_(None))).all() == []
    assert db.exec(select(ApiToken).where(ApiToken.user_id == u.id, ApiToken.revoked_at.is_(None))).all() == []
    assert "deactivated_by_directory" in actions(db, u.id)
    # back in the group: the account stays off until an administrator turns it on again
    set_member(slapd, "spia-staff", uid, True)
    with pytest.raises(LoginFailed):
        sign_in(db, ldap_cfg, uid, sl.password(uid))


def test_a_user_disabled_in_the_directory_is_withdrawn_at_the_next_attempt(db, ldap_cfg, mapped, dir_user, slapd):
    uid = dir_user(["spia-staff"])
    token, u = sign_in(db, ldap_cfg, uid, sl.password(uid))
    conn = slapd.admin()
    conn.modify(sl.user_dn(uid), {"employeeType": [("MODIFY_ADD", ["disabled"])]})
    conn.unbind()
    with pytest.raises(LoginFailed):
        sign_in(db, ldap_cfg, uid, sl.password(uid))
    assert not user(db, uid).active and auth.actor_for_token(db, token=token, bearer=False) is None
    assert db.exec(select(AuditLog.after).where(AuditLog.entity == "user", AuditLog.entity_id == str(u.id),
                                                AuditLog.action == "deactivated_by_directory")).one()["reason"] \
        == "directory_user_missing"


def test_wrong_directory_passwords_use_the_same_lockout(db, ldap_cfg, mapped):
    sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))
    for _ in range(4):
        with pytest.raises(LoginFailed):
            sign_in(db, ldap_cfg, "yamada", "wrong-password-1")
    with pytest.raises(AccountLocked):
        sign_in(db, ldap_cfg, "yamada", "wrong-password-1")
    with pytest.raises(AccountLocked):  # locked: the right password is not even sent to the directory
        sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))
    acts = actions(db, "yamada")
    assert acts.count("login_failed") == 4 and "login_locked" in acts and acts[-1] == "login_refused_locked"


def test_a_not_yet_created_directory_user_is_locked_by_id_too(db, ldap_cfg, mapped):
    for _ in range(4):
        with pytest.raises(LoginFailed):
            sign_in(db, ldap_cfg, "suzuki", "wrong-password-1")
    with pytest.raises(AccountLocked):
        sign_in(db, ldap_cfg, "suzuki", "wrong-password-1")
    with pytest.raises(AccountLocked):
        sign_in(db, ldap_cfg, "suzuki", sl.password("suzuki"))
    assert user(db, "suzuki") is None


def test_directory_down_refuses_directory_users_but_not_local_ones(db, ldap_cfg, mapped):
    sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))
    down = dataclasses.replace(ldap_cfg, url=f"ldap://127.0.0.1:{sl.free_port()}", timeout=2)
    for _ in range(6):  # an outage is not the user's failure: no lock however often they retry
        with pytest.raises(ld.DirectoryUnavailable) as exc:
            sign_in(db, down, "yamada", sl.password("yamada"))
        assert exc.value.message.startswith("ディレクトリサーバーに接続できません")
    assert user(db, "yamada").failed_logins == 0 and user(db, "yamada").locked_until is None
    with pytest.raises(ld.DirectoryUnavailable):
        sign_in(db, down, "suzuki", sl.password("suzuki"))
    assert sign_in(db, down, "shimin", "Juki-Demo-2025")[1].auth_source == "local"
    assert "login_directory_unavailable" in actions(db, "yamada")


def test_local_accounts_are_never_checked_by_the_directory(db, ldap_cfg, mapped):
    # the directory has a "shimin" too (other password): the local account wins
    with pytest.raises(LoginFailed):
        sign_in(db, ldap_cfg, "shimin", sl.password("shimin"))
    assert sign_in(db, ldap_cfg, "shimin", "Juki-Demo-2025")[1].auth_source == "local"
    with pytest.raises(LoginFailed):  # another case of a local ID is not a way to a second account
        sign_in(db, ldap_cfg, "SHIMIN", sl.password("shimin"))
    assert "login_refused_conflict" in actions(db, "SHIMIN")


def test_a_directory_account_without_directory_settings_cannot_sign_in(db, ldap_cfg, mapped):
    sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        sign_in(db, None, "yamada", sl.password("yamada"))
    assert exc.value.message == ld.NOT_CONFIGURED


def test_parallel_wrong_passwords_reach_the_directory_at_most_max_failures_times(db, demo_engine, ldap_cfg, mapped):
    """The same atomic reservation as local accounts: 10 guesses at once, in separate sessions, use up the 5
    attempts and the rest are refused as locked without asking the directory."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session

    from app.db import begin_write

    sign_in(db, ldap_cfg, "yamada", sl.password("yamada"))

    def guess(_):
        with Session(demo_engine) as s:
            begin_write(s)  # as the sign-in route's session does
            try:
                sign_in(s, ldap_cfg, "yamada", "wrong-password-1")
            except (LoginFailed, AccountLocked) as exc:
                return type(exc).__name__

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(guess, range(10)))
    db.rollback()  # end the test session's read snapshot: see what the threads committed
    acts = actions(db, "yamada")
    checked = acts.count("login_failed") + acts.count("login_locked")
    assert checked == 5 and acts.count("login_refused_locked") == 5
    assert results.count("LoginFailed") == 4 and results.count("AccountLocked") == 6
