"""Who may see and change what (pure). Roles: admin, records, staff, council; `system` = local CLI."""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "records", "staff", "council")
ROLE_LABEL = {
    "admin": "管理者",
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
