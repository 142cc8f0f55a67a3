"""評価実施機関 (bodies) of one server, managed by the system administrator (`sysadmin`) or the local CLI.

A 市長 and its 教育委員会 are separate bodies (their own 計画管理書, 評価書番号, users and departments); a
prefecture or a vendor may host several municipalities. The system administrator creates a body together with
its first administrator, who then runs the body from /admin; it sees no 事務 or 評価書 of any body.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, col, select

from app.domain.policy import SYSADMIN, Actor, can_manage_bodies
from app.domain.text import text_problem
from app.errors import Forbidden, ValidationFailed
from app.models import Assessment, Jimu, Organisation, User, pk
from app.services import audit
from app.services import organisation as orgs

DENIED = "評価実施機関の管理はシステム管理者のみ行えます。"


@dataclass
class BodyRow:
    org: Organisation
    users: int
    jimu: int
    assessments: int
    admins: list[str]


def list_bodies(session: Session, *, actor: Actor) -> list[BodyRow]:
    """Every body with counts (not content: the system administrator sees no 事務 names)."""
    if not can_manage_bodies(actor):
        raise Forbidden(DENIED)

    def counts(column: Mapped[int], model: type[SQLModel]) -> dict[int, int]:
        return dict(session.exec(select(column, func.count()).select_from(model).group_by(column)).all())

    users = dict(session.exec(select(User.organisation_id, func.count()).where(User.role != SYSADMIN)
                              .group_by(col(User.organisation_id))).all())
    jimu = counts(col(Jimu.organisation_id), Jimu)
    assessments = counts(col(Assessment.organisation_id), Assessment)
    admins: dict[int, list[str]] = {}
    for org_id, login in session.exec(select(User.organisation_id, User.login_id).where(User.role == "admin")
                                      .order_by(col(User.id))).all():
        admins.setdefault(org_id, []).append(login)
    return [BodyRow(o, users.get(pk(o), 0), jimu.get(pk(o), 0), assessments.get(pk(o), 0), admins.get(pk(o), []))
            for o in session.exec(select(Organisation).order_by(col(Organisation.id))).all()]


def create_body(session: Session, *, actor: Actor, name: str, kind: str = "local", municipality: str = "",
                admin_login: str, admin_name: str = "", admin_password: str,
                admin_password_confirm: str | None = None) -> tuple[Organisation, User]:
    """A new 評価実施機関 and its first administrator, in one transaction (both or neither)."""
    if not can_manage_bodies(actor):
        raise Forbidden(DENIED)
    name, municipality = name.strip(), municipality.strip()
    errors: dict[str, str] = {}
    problem = text_problem(name, label="評価実施機関名", max_len=200, required=True, single_line=True)
    if problem:
        errors["name"] = problem
    elif session.exec(select(Organisation).where(func.lower(Organisation.name) == name.lower())).first():
        errors["name"] = f"評価実施機関「{name}」は既に登録されています。"
    problem = text_problem(municipality, label="団体名", max_len=100, required=False, single_line=True)
    if problem:
        errors["municipality"] = problem
    if kind not in orgs.ORG_KINDS:
        errors["kind"] = "機関の種類を選択してください。"
    if errors:
        raise ValidationFailed(errors)
    org = Organisation(name=name, kind=kind, municipality=municipality)
    session.add(org)
    session.flush()
    audit.record(session, actor=actor, entity="organisation", entity_id=org.id, action="created", after=org)
    try:
        # create_user validates (login id free, password rules) and commits the body and its administrator together
        user = orgs.create_user(session, actor=actor, organisation_id=pk(org), login_id=admin_login,
                                display_name=admin_name or f"{name} 管理者", role="admin", password=admin_password,
                                department_ids=[], password_confirm=admin_password_confirm)
    except ValidationFailed as exc:
        session.rollback()
        field = {"login_id": "admin_login", "display_name": "admin_name"}  # the names of the screen's fields
        raise ValidationFailed({field.get(k, f"admin_{k}"): v for k, v in exc.errors.items()}) from exc
    return org, user
