"""Organisation (評価実施機関), departments and user accounts (administrator screens)."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.domain.policy import ALL_ROLES, ROLES, SYSADMIN, Actor, can_manage_bodies, can_manage_users
from app.domain.reminders import email_problem
from app.domain.text import text_problem
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Department, Organisation, User, UserDepartment, pk
from app.models.base import MAX_ID, utcnow
from app.security import hash_password, password_problem
from app.services import audit, auth, locking, memo, scope

ORG_KINDS = {"local": "地方公共団体等", "national": "行政機関等"}
DRAFT_MARKERS = {"name": "評価書名の末尾に「(案)」", "above": "表紙の表題の上に「(素案)」"}  # how an exported 案 says so
MEASURE_HEADINGS = {"on": "印字する(対象ごとに【見出し】を付けて分ける)", "off": "印字しない(措置を1つの一覧にする)"}
MEASURE_NUMBERING = {"dot": "「・」で始める", "number": "「1.」「2.」と番号を付ける"}


def get_organisation(session: Session, organisation_id: int | None) -> Organisation:
    org = memo.get(session, Organisation, organisation_id) if organisation_id else \
        session.exec(select(Organisation)).first()
    if org is None:
        raise NotFound("評価実施機関が登録されていません。`spia demo` または管理画面で登録してください。")
    return org


def update_organisation(session: Session, *, actor: Actor, organisation_id: int, data: dict[str, Any]) -> Organisation:
    if not can_manage_users(actor):
        raise Forbidden("評価実施機関の設定は管理者のみ変更できます。")
    org = get_organisation(session, organisation_id)
    errors = {}
    for key, label in (("name", "評価実施機関名"), ("municipality", "団体名"), ("representative", "代表者")):
        problem = text_problem(str(data.get(key, "")), label=label, max_len=200, required=key == "name",
                               single_line=True)
        if problem:
            errors[key] = problem
    if data.get("kind") not in ORG_KINDS:
        errors["kind"] = "機関の種類を選択してください。"
    marker = data.get("draft_marker") or org.draft_marker
    if marker not in DRAFT_MARKERS:
        errors["draft_marker"] = "案の表示を選択してください。"
    headings = data.get("measure_headings") or ("on" if org.measure_headings else "off")
    if headings not in MEASURE_HEADINGS:
        errors["measure_headings"] = "対象別の見出しを印字するかを選択してください。"
    numbering = data.get("measure_numbering") or org.measure_numbering
    if numbering not in MEASURE_NUMBERING:
        errors["measure_numbering"] = "措置の番号付けを選択してください。"
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(org)
    locking.claim_row(session, org, data.get("lock_version"), message="評価実施機関の情報は他の管理者により先に更新されています。",
                      what="評価実施機関の情報", entity="organisation", actor_id=actor.user_id,
                      describe=lambda o: f"評価実施機関名「{o.name}」、種類 {ORG_KINDS.get(o.kind, o.kind)}、"
                                         f"団体名「{o.municipality}」、代表者「{o.representative}」")
    org.name, org.kind = data["name"].strip(), data["kind"]
    org.municipality, org.representative = data.get("municipality", "").strip(), data.get("representative", "").strip()
    org.draft_marker = marker
    org.measure_headings, org.measure_numbering = headings == "on", numbering
    session.add(org)
    audit.record(session, actor=actor, entity="organisation", entity_id=org.id, action="updated", before=before, after=org)
    session.commit()
    return org


def list_departments(session: Session, organisation_id: int) -> list[Department]:
    return list(memo.once(session, ("departments", organisation_id), lambda: session.exec(
        select(Department).where(Department.organisation_id == organisation_id).order_by(col(Department.id))).all()))


def department_labels(departments: list[Department]) -> dict[int, str]:
    """'総務部 総務課' style labels including the parent 部."""
    by_id = {pk(d): d for d in departments}
    labels = {}
    for d in departments:
        parent = by_id.get(d.parent_id) if d.parent_id else None
        labels[pk(d)] = f"{parent.name} {d.name}" if parent else d.name
    return labels


def create_department(session: Session, *, actor: Actor, organisation_id: int, name: str, parent_id: int | None) -> Department:
    if not can_manage_users(actor):
        raise Forbidden("部署は管理者のみ登録できます。")
    name = name.strip()
    problem = text_problem(name, label="部署名", max_len=200, required=True, single_line=True)
    if problem:
        raise ValidationFailed({"name": problem})
    if session.exec(select(Department).where(Department.organisation_id == organisation_id, Department.name == name)).first():
        raise ValidationFailed({"name": f"部署「{name}」は既に登録されています。"})
    if parent_id is not None:
        parent = session.get(Department, parent_id)
        if parent is None or parent.organisation_id != organisation_id:
            raise ValidationFailed({"parent_id": "上位の部が見つかりません。"})
    dept = Department(organisation_id=organisation_id, name=name, parent_id=parent_id)
    session.add(dept)
    session.flush()
    audit.record(session, actor=actor, entity="department", entity_id=dept.id, action="created", after=dept)
    session.commit()
    return dept


def active_department_options(departments: list[Department]) -> list[tuple[int, str]]:
    """(id, label) of the departments a picker offers: retired ones are left out (old records keep their name)."""
    labels = department_labels(departments)
    return [(pk(d), labels[pk(d)]) for d in departments if d.active]


def update_department(session: Session, *, actor: Actor, organisation_id: int, department_id: int, name: str,
                      active: bool, lock_version: str | None) -> Department:
    """Rename and/or retire (active=False) or reinstate a 部署. Records that name it keep pointing at it."""
    if not can_manage_users(actor):
        raise Forbidden("部署は管理者のみ変更できます。")
    dept = session.get(Department, department_id)
    if dept is None or dept.organisation_id != organisation_id:
        raise NotFound("部署が見つかりません。")
    name = name.strip()
    problem = text_problem(name, label="部署名", max_len=200, required=True, single_line=True)
    if problem:
        raise ValidationFailed({f"dept-{dept.id}-name": problem})
    same = session.exec(select(Department).where(Department.organisation_id == organisation_id,
                                                 Department.name == name, Department.id != dept.id)).first()
    if same:
        raise ValidationFailed({f"dept-{dept.id}-name": f"部署「{name}」は既に登録されています。"})
    if not active and dept.active:
        children = session.exec(select(Department).where(Department.parent_id == dept.id,
                                                         Department.active == True)).first()
        if children:
            raise ValidationFailed({f"dept-{dept.id}-name":
                                    f"「{dept.name}」の下に使用中の課「{children.name}」があります。先に課を廃止してください。"})
    before = audit.jsonable(dept)
    locking.claim_row(session, dept, lock_version, message="この部署は他の管理者により先に変更されています。",
                      what="この部署", entity="department", actor_id=actor.user_id,
                      describe=lambda d: f"部署名「{d.name}」、{'使用中' if d.active else '廃止'}")
    action = "updated" if active == dept.active else ("retired" if not active else "reinstated")
    dept.name, dept.active = name, active
    session.add(dept)
    session.flush()
    audit.record(session, actor=actor, entity="department", entity_id=dept.id, action=action, before=before,
                 after=dept)
    session.commit()
    return dept


def list_users(session: Session, *, actor: Actor) -> list[tuple[User, list[int]]]:
    if not can_manage_users(actor):
        raise Forbidden("利用者の管理は管理者のみ行えます。")
    users = session.exec(select(User).where(scope.body_clause(User.organisation_id, actor), User.role != SYSADMIN)
                         .order_by(col(User.id))).all()
    links = session.exec(select(UserDepartment).where(col(UserDepartment.user_id).in_([u.id for u in users]))).all()
    by_user: dict[int, list[int]] = {}
    for link in links:
        by_user.setdefault(link.user_id, []).append(link.department_id)
    return [(u, by_user.get(pk(u), [])) for u in users]


def get_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """A user of the actor's body, for its administrator; another body's user answers 404 (scope.same_body)."""
    if not can_manage_users(actor):
        raise Forbidden("利用者の管理は管理者のみ行えます。")
    user = session.get(User, user_id) if 1 <= user_id <= MAX_ID else None
    if user is None or not scope.same_body(actor, user.organisation_id) or (user.role == SYSADMIN and actor.role != "system"):
        raise NotFound("利用者が見つかりません。")  # a system administrator is managed from the CLI only
    return user


def user_departments(session: Session, user_id: int) -> list[int]:
    return list(session.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user_id)).all())


def create_user(
    session: Session, *, actor: Actor, organisation_id: int, login_id: str, display_name: str,
    role: str, password: str, department_ids: list[int], password_confirm: str | None = None, email: str = "",
) -> User:
    """`password_confirm` (the screen's second entry) must equal `password` when given; the CLI passes none."""
    first_admin = can_manage_bodies(actor) and role == "admin"  # a new body's first administrator (bodies.py)
    if not (first_admin or can_manage_users(actor)):
        raise Forbidden("利用者の登録は管理者のみ行えます。")
    if not (first_admin or scope.same_body(actor, organisation_id)):
        raise Forbidden("他の評価実施機関の利用者は登録できません。")
    login_id, display_name = login_id.strip(), display_name.strip()
    errors = _user_errors(session, organisation_id, login_id, display_name, role, department_ids,
                          roles=ALL_ROLES if actor.role == "system" else ROLES)
    email = email.strip()
    email_error = email_problem(email)
    if email_error:
        errors["email"] = email_error
    problem = password_problem(password, login_id=login_id)
    if problem:
        errors["password"] = problem
    if password_confirm is not None and password_confirm != password:
        errors["password_confirm"] = "確認用のパスワードが一致しません。同じパスワードをもう一度入力してください。"
    if errors:
        raise ValidationFailed(errors)
    user = User(
        login_id=login_id, display_name=display_name, role=role, organisation_id=organisation_id,
        password_hash=hash_password(password), email=email,
    )
    session.add(user)
    session.flush()
    for dept_id in sorted(set(department_ids)):
        session.add(UserDepartment(user_id=pk(user), department_id=dept_id))
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="created",
                 after={**audit.jsonable(user), "department_ids": sorted(set(department_ids))})
    session.commit()
    return user


def _user_errors(session: Session, organisation_id: int | None, login_id: str, display_name: str, role: str,
                 department_ids: list[int], *, user_id: int | None = None,
                 roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    errors: dict[str, str] = {}
    if user_id is None:
        if not login_id or not login_id.isascii() or not all(c.isalnum() or c in "._-@" for c in login_id):
            errors["login_id"] = "ログインIDは半角英数字と . _ - @ で入力してください。"
        elif len(login_id) > 64:
            errors["login_id"] = "ログインIDは64文字以内で入力してください。"
        elif session.exec(select(User).where(User.login_id == login_id)).first():
            errors["login_id"] = f"ログインID「{login_id}」は既に使われています。"
    problem = text_problem(display_name, label="氏名", max_len=100, required=True, single_line=True)
    if problem:
        errors["display_name"] = problem
    if role not in roles:
        errors["role"] = "役割を選択してください。"
    # a system administrator (no body) has no departments to choose from
    known = {pk(d) for d in list_departments(session, organisation_id)} if organisation_id is not None else set()
    if any(d not in known for d in department_ids):
        errors["department_ids"] = "存在しない部署が指定されています。"
    if role == "staff" and not department_ids:
        errors["department_ids"] = "担当課職員には所属部署を1つ以上指定してください。"
    return errors


def update_user(
    session: Session, *, actor: Actor, user_id: int, display_name: str, role: str,
    department_ids: list[int], active: bool, new_password: str = "", unlock: bool = False,
    lock_version: str | None = None, new_password_confirm: str | None = None, email: str | None = None,
) -> User:
    """`email` None leaves the address as it is (callers that do not show it)."""
    user = get_user(session, actor=actor, user_id=user_id)
    errors = _user_errors(session, user.organisation_id, user.login_id, display_name.strip(), role, department_ids,
                          user_id=user_id, roles=ALL_ROLES if actor.role == "system" else ROLES)
    email = user.email if email is None else email.strip()
    email_error = email_problem(email)
    if email_error:
        errors["email"] = email_error
    if new_password and user.auth_source == "ldap":
        errors["new_password"] = "ディレクトリ連携のアカウントのパスワードはディレクトリで管理します。"
    elif new_password:
        problem = password_problem(new_password, login_id=user.login_id)
        if problem:
            errors["new_password"] = problem
        if new_password_confirm is not None and new_password_confirm != new_password:
            errors["new_password_confirm"] = "確認用のパスワードが一致しません。同じパスワードをもう一度入力してください。"
    if user.id == actor.user_id and (not active or role != "admin"):
        errors["role"] = "自分自身の管理者権限を外したり、無効にしたりすることはできません。"
    if errors:
        raise ValidationFailed(errors)
    before = {**audit.jsonable(user), "department_ids": sorted(
        session.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).all())}
    locking.claim_row(session, user, lock_version, message="この利用者の設定は他の管理者により先に更新されています。",
                      what="この利用者の設定", entity="user", actor_id=actor.user_id,
                      describe=lambda u: f"表示名「{u.display_name}」、役割 {u.role}、{'有効' if u.active else '無効'}")
    # issue 11 item 6: a reset, a new role or deactivation ends every session and token (auth.revoke_credentials)
    revoke = bool(new_password) or role != user.role or (user.active and not active)
    user.display_name, user.role, user.active, user.email = display_name.strip(), role, active, email
    if new_password:
        user.password_hash = hash_password(new_password)
        user.password_changed_at = utcnow()
    revoked = auth.revoke_credentials(session, user_id=pk(user)) if revoke else None
    if unlock:
        user.locked_until, user.failed_logins = None, 0
    for link in session.exec(select(UserDepartment).where(UserDepartment.user_id == user.id)).all():
        session.delete(link)
    session.flush()
    for dept_id in sorted(set(department_ids)):
        session.add(UserDepartment(user_id=pk(user), department_id=dept_id))
    session.add(user)
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="updated", before=before,
                 after={**audit.jsonable(user), "department_ids": sorted(set(department_ids)),
                        "password_reset": bool(new_password), "unlocked": unlock, "revoked": revoked})
    session.commit()
    return user
