"""Who may see and change what (pure). Roles of a body: admin, records, staff, council; `sysadmin` manages the
bodies (評価実施機関) of the server and sees no assessment content; `system` = local CLI."""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "records", "staff", "council")  # the roles a body's administrator hands out
SYSADMIN = "sysadmin"  # system administrator: bodies and their first administrator (`spia org create`)
ALL_ROLES = (*ROLES, SYSADMIN)
ROLE_LABEL = {
    "admin": "管理者",
    "sysadmin": "システム管理者",
    "records": "総務・文書担当",
    "staff": "担当課職員",
    "council": "審議会委員",
    "system": "システム(CLI)",
}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    login_id: str
    role: str
    organisation_id: int | None = None
    department_ids: frozenset[int] = field(default_factory=frozenset)
    display_name: str = ""

    @property
    def sees_all(self) -> bool:
        return self.role in ("admin", "records", "system")

    @property
    def role_label(self) -> str:
        return ROLE_LABEL.get(self.role, self.role)


SYSTEM = Actor(user_id=None, login_id="cli", role="system", display_name="CLI")


def can_view_department(actor: Actor, department_id: int | None) -> bool:
    if actor.sees_all:
        return True
    return actor.role == "staff" and department_id in actor.department_ids


def can_edit_department(actor: Actor, department_id: int | None) -> bool:
    return can_view_department(actor, department_id)


def can_register_jimu(actor: Actor) -> bool:
    """Registering a 事務: the records section and admins, and staff (for their own departments)."""
    return actor.sees_all or (actor.role == "staff" and bool(actor.department_ids))


def can_manage_users(actor: Actor) -> bool:
    return actor.role in ("admin", "system")


def can_manage_bodies(actor: Actor) -> bool:
    """Creating 評価実施機関 and their first administrator: the system administrator and the local CLI."""
    return actor.role in (SYSADMIN, "system")


def can_manage_register_settings(actor: Actor) -> bool:
    """Organisation-wide registers: 重大事故, measure library, checklist, council."""
    return actor.role in ("admin", "records", "system")


def can_read_audit(actor: Actor) -> bool:
    return actor.role in ("admin", "records", "system")


def expand_departments(own: set[int], parent_of: dict[int, int | None]) -> frozenset[int]:
    """Own departments plus every department below them (a 部 sees its 課)."""
    result = set(own)
    changed = True
    while changed:
        changed = False
        for dept, parent in parent_of.items():
            if parent in result and dept not in result:
                result.add(dept)
                changed = True
    return frozenset(result)


def department_denial(actor: Actor, what: str) -> str:
    """The 403 message for a 事務 / 評価書 / 改善策 outside the user's reach, worded for the user's role: council
    members have no department (they read only what was sent to the council), staff are told about departments."""
    if actor.role == "council":
        return (f"審議会委員が閲覧できるのは、審議会に送付された評価書だけです(この{what}は閲覧できません)。"
                "メニューの「審議会資料」から開いてください。")
    if actor.role == SYSADMIN:
        return (f"システム管理者は評価実施機関と最初の管理者を管理する役割のため、{what}は閲覧できません。"
                "各評価実施機関の利用者でログインしてください。")
    if actor.role == "staff" and not actor.department_ids:
        return f"所属部署が設定されていないため、{what}を閲覧できません。管理者に所属部署の設定を依頼してください。"
    return f"他の部署の{what}は閲覧・編集できません(所属部署とその配下の課のものだけを扱えます)。"


def register_denial(actor: Actor) -> str:
    """Why 事務を登録する is refused, for this role."""
    if actor.role == "council":
        return "審議会委員は事務を登録できません(審議会に送付された評価書の閲覧のみです)。"
    if actor.role == "staff" and not actor.department_ids:
        return "所属部署が設定されていないため、事務を登録できません。管理者に所属部署の設定を依頼してください。"
    return "事務を登録できるのは、担当課職員・総務・文書担当・管理者です。"
