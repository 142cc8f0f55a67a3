"""The 審議会 settings screen's use cases: councils and their members, and a municipality's own procedure steps."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.domain import workflow
from app.domain.forms import FORM_LABEL, FORMS
from app.domain.policy import Actor, can_manage_users
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Council, User, WorkflowStep, pk
from app.services import audit, council, scope, snapshots
from app.services.organisation import get_organisation


def settings_view(session: Session, actor: Actor, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything /admin/councils shows (admin and records only)."""
    if actor.role not in ("admin", "records"):
        raise Forbidden("審議会の設定は管理者と総務・文書担当が行います。")
    org = get_organisation(session, actor.organisation_id)
    bodies = council.councils(session, pk(org))
    return {"councils": [(c, council.members(session, pk(c))) for c in bodies], "errors": errors or {},
            "council_users": session.exec(select(User).where(User.organisation_id == org.id, User.role == "council")).all(),
            "steps": session.exec(select(WorkflowStep).where(WorkflowStep.organisation_id == org.id)).all(),
            "stages": workflow.STAGE_LABEL, "positions": [(s, workflow.STAGE_LABEL[s]) for s in workflow.STEP_POSITIONS],
            "can_steps": can_manage_users(actor)}


def _steps_admin(actor: Actor) -> None:
    if not can_manage_users(actor):
        raise Forbidden("手続の設定は管理者が行います。")


def add_step(session: Session, *, actor: Actor, key: str, label: str, before: str, forms: list[str]) -> WorkflowStep:
    """A municipality's own step (configuration, not code): e.g. 審議会報告 before 提出済. Commits."""
    _steps_admin(actor)
    key, label, before = key.strip(), label.strip(), before.strip()
    forms = [f for f in forms if f in FORMS]
    errors: dict[str, str] = {}
    if not key.isascii() or not key.replace("_", "").isalnum():
        errors["key"] = "キーは半角英数字と _ で入力してください。"
    if not label or len(label) > 100:
        errors["label"] = "名称を入力してください(100文字以内)。"
    if before not in workflow.STEP_POSITIONS:
        errors["before"] = "挿入する位置を選択してください。"
    if not forms:
        errors["forms"] = "対象の様式を選択してください。"
    if errors:
        raise ValidationFailed(errors)
    org = get_organisation(session, actor.organisation_id)  # the body whose steps the settings screen shows
    step = WorkflowStep(organisation_id=pk(org), key=key, label=label, before=before, forms=forms)
    session.add(step)
    session.flush()
    audit.record(session, actor=actor, entity="workflow_step", entity_id=step.id, action="created", after=step)
    session.commit()
    return step


def toggle_step(session: Session, *, actor: Actor, step_id: int) -> WorkflowStep:
    _steps_admin(actor)
    step = session.get(WorkflowStep, step_id)
    if step is None or not scope.same_body(actor, step.organisation_id):
        raise NotFound("手続が見つかりません。")
    step.active = not step.active
    session.add(step)
    audit.record(session, actor=actor, entity="workflow_step", entity_id=step.id, action="toggled", after=step)
    session.commit()
    return step


def council_home(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """A council member's reviews: each with its 評価書's title, meetings and findings."""
    items = []
    for r in council.council_reviews(session, actor=actor):
        if r.snapshot_id is None:  # council_reviews lists only reviews sent with a frozen copy
            continue
        snap = snapshots.get(session, r.snapshot_id)
        title = f"{snap.data['jimu']['name']} {FORM_LABEL[snap.data['assessment']['form']]}"
        items.append({"review": r, "council": session.get(Council, r.council_id), "title": title,
                      "meetings": council.meetings(session, pk(r)), "findings": council.findings(session, pk(r))})
    return items
