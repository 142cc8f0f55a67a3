"""個人情報保護委員会の承認 (行政機関等): application date, the PPC's review notes, 承認日."""
from __future__ import annotations

from sqlmodel import Session

from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.domain.wareki import date_field
from app.errors import Forbidden, ValidationFailed
from app.models import Approval, pk
from app.services import assessments, audit, locking


def current(session: Session, version_id: int) -> Approval | None:
    from app.services.procedure import current_approval

    return current_approval(session, version_id)


def save(session: Session, *, actor: Actor, version_id: int, applied_on: str, notes: str) -> Approval:
    if not can_manage_register_settings(actor):
        raise Forbidden("委員会の承認の手続は総務・文書担当が行います。")
    v, _, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    errors: dict[str, str] = {}
    day = date_field(applied_on, label="申請日", errors=errors, key="applied_on", required=True)
    problem = text_problem(notes, label="委員会による審査", max_len=20000)
    if problem:
        errors["review_notes"] = problem
    if errors:
        raise ValidationFailed(errors)
    row = current(session, pk(v)) or Approval(version_id=pk(v))
    before = audit.jsonable(row) if row.id else None
    row.applied_on, row.review_notes = day, notes.strip()
    with locking.unique_or_conflict(session, "この版の承認申請は他の利用者が先に登録しました。画面を再読み込みしてください。"):
        session.add(row)  # ux_approval_version: one approval per version
    audit.record(session, actor=actor, entity="approval", entity_id=row.id, action="saved", before=before, after=row)
    session.commit()
    return row
