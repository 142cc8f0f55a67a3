"""改善策 (improvement actions) for risks judged 課題が残されている: list per assessment / department, close."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.domain.policy import Actor, can_edit_department, department_denial
from app.domain.text import text_problem
from app.domain.wareki import date_field
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Assessment, ImprovementAction, Jimu
from app.services import audit, locking, scope


@dataclass
class ActionRow:
    action: ImprovementAction
    assessment: Assessment
    jimu: Jimu
    overdue: bool


def _filtered(actor: Actor, columns: tuple[Any, ...], *, status: str, department_id: int | None,
              assessment_id: int | None) -> Select[Any] | None:
    joined: Select[Any] = (sa_select(*columns).join(Assessment, col(Assessment.id) == ImprovementAction.assessment_id)
                           .join(Jimu, col(Jimu.id) == Assessment.jimu_id))
    q = scope.visible(joined, actor, organisation=Assessment.organisation_id, department=Jimu.department_id)
    if q is None:
        return None
    if status in ("open", "closed"):
        q = q.where(col(ImprovementAction.status) == status)
    if department_id:
        q = q.where(col(Jimu.department_id) == department_id)
    if assessment_id:
        q = q.where(col(Assessment.id) == assessment_id)
    return q


def count(session: Session, *, actor: Actor, status: str = "open", department_id: int | None = None,
          assessment_id: int | None = None) -> int:
    """How many 改善策 `listing` gives with the same filters (one statement; for paging)."""
    q = _filtered(actor, (func.count(col(ImprovementAction.id)),), status=status, department_id=department_id,
                  assessment_id=assessment_id)
    return int(session.execute(q).scalar_one()) if q is not None else 0


def listing(session: Session, *, actor: Actor, today: date, status: str = "open", department_id: int | None = None,
            assessment_id: int | None = None, limit: int | None = None, offset: int = 0) -> list[ActionRow]:
    """The visible 改善策, the earliest 期限 first; `limit`/`offset`: one page."""
    q = _filtered(actor, (ImprovementAction, Assessment, Jimu), status=status, department_id=department_id,
                  assessment_id=assessment_id)
    if q is None:
        return []
    q = q.order_by(col(ImprovementAction.due_on), col(ImprovementAction.id))
    if limit is not None or offset:
        q = q.limit(limit).offset(offset)
    rows = session.execute(q).all()
    return [ActionRow(a, asm, j, bool(a.status == "open" and a.due_on and a.due_on < today)) for a, asm, j in rows]


def close(session: Session, *, actor: Actor, action_id: int, closed_on: str, note: str, today: date,
          lock_version: str | None = None) -> ImprovementAction:
    act = session.get(ImprovementAction, action_id)
    if act is None:
        raise NotFound("改善策が見つかりません。")
    asm = session.get(Assessment, act.assessment_id)
    jimu = session.get(Jimu, asm.jimu_id) if asm is not None else None
    if asm is None or jimu is None or not scope.same_body(actor, asm.organisation_id):
        raise NotFound("改善策が見つかりません。")
    if not can_edit_department(actor, jimu.department_id):
        raise Forbidden(department_denial(actor, "改善策"))
    # the stale-form check comes first: a second 完了 from the same page is a conflict, not a validation error
    locking.claim_row(session, act, lock_version, message="この改善策は他の利用者により先に更新されています。",
                      what="この改善策", entity="action", actor_id=actor.user_id,
                      describe=lambda x: f"状態 {'完了' if x.status == 'closed' else '未完了'}、内容「{x.content[:100]}」")
    errors: dict[str, str] = {}
    when = date_field(closed_on or today.isoformat(), label="完了日", errors=errors, key="closed_on",
                      not_after=today) or today
    problem = text_problem(note, label="完了の内容", max_len=2000, required=True)
    if problem:
        errors["close_note"] = problem
    if act.status == "closed":
        errors["status"] = "この改善策は既に完了しています。"
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(act)
    act.status, act.closed_on, act.close_note = "closed", when, note.strip()
    session.add(act)
    audit.record(session, actor=actor, entity="action", entity_id=act.id, action="closed", before=before, after=act)
    session.commit()
    return act
