"""What the procedure panel and the confirmation page show: each button with the steps still missing (shown
disabled, the missing step named), the offer 「基礎と一緒に提出・公表」, and what an irreversible step will do."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from app.domain import workflow
from app.domain.policy import Actor, can_manage_register_settings
from app.domain.wareki import wareki
from app.errors import Conflict, ValidationFailed
from app.models import Assessment, AssessmentVersion, Organisation, pk
from app.services import assessments, comments, pairing, procedure
from app.services.organisation import get_organisation


@dataclass
class Button:
    tr: workflow.Transition
    missing: list[str] = field(default_factory=list)
    confirm: bool = False          # irreversible: the button opens the confirmation page
    early_close: bool = False      # 終了 before the end date: the form asks for the reason
    with_basic: list[str] | None = None   # the offer 「基礎と一緒に…」 (None: not offered) and what it still misses
    setup: str | None = None       # "comment" / "review": the 方法・期間 or 諮問 is missing; its form sits under the button
    optional: bool = False         # a step the table offers as 任意 (its setup form starts folded)


# guards whose missing record is entered on a form of its own (the 意見公募 / 第三者点検 pages): offered inline
SETUP_GUARDS = {"comment_ready": "comment", "review_ready": "review"}


def buttons(session: Session, actor: Actor, a: Assessment, v: AssessmentVersion, org: Organisation, today: date,
            problems: int) -> list[Button]:
    table = procedure.table_for(session, a, org, v)
    out = []
    for tr in workflow.available(table, v.stage, actor.role):
        ctx = procedure.context(session, v, a, today, on_date=today, action=tr.action, problems=problems)
        b = Button(tr, confirm=workflow.needs_confirmation(tr.action), early_close=workflow.closes_early(tr, ctx))
        b.missing = workflow.unmet(tr, actor.role, ctx)
        if can_manage_register_settings(actor):  # the records section registers them (comments/council services)
            b.setup = next((kind for guard, kind in SETUP_GUARDS.items()
                            if guard in tr.guards and workflow.check_guard(guard, ctx)), None)
            b.optional = "任意" in tr.label
        if ctx.partner:
            b.with_basic = _basic_missing(session, actor, a, tr.action, today)
            if b.with_basic is not None:
                ctx.partner = None
                b.with_basic += workflow.unmet(tr, actor.role, ctx)
        out.append(b)
    return out


def _basic_missing(session: Session, actor: Actor, a: Assessment, action: str, today: date) -> list[str] | None:
    basic = pairing.basic_of(session, a)
    bv = assessments.current_version(session, pk(basic)) if basic else None  # pairing.basic_version
    if basic is None or bv is None:
        return None
    if not procedure.movable_with(session, bv, action):
        return [f"基礎項目評価書は現在「{workflow.stage_label(bv.stage)}」の段階で、まだ{pairing.STEP[action]}できません。"]
    org = get_organisation(session, basic.organisation_id)
    tr = next(t for t in procedure.table_for(session, basic, org, bv) if t.source == bv.stage and t.action == action)
    ctx = procedure.context(session, bv, basic, today, on_date=today, action=action)
    return [f"基礎項目評価書: {m}" for m in workflow.unmet(tr, actor.role, ctx)]


def confirmation(session: Session, *, actor: Actor, version_id: int, action: str, on_date: str, today: date,
                 with_basic: bool) -> dict[str, Any]:
    """Everything the confirmation page states before an irreversible step is taken."""
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=version_id)
    org = get_organisation(session, a.organisation_id)
    tr = next((t for t in procedure.table_for(session, a, org, v) if t.source == v.stage and t.action == action), None)
    if tr is None or not workflow.needs_confirmation(action):
        raise Conflict(f"現在の段階({workflow.stage_label(v.stage)})では、この操作の確認はできません。")
    try:
        day = procedure._date(on_date, action, today) or (today if action in procedure.DATE_FOR else None)
    except ValidationFailed as exc:
        raise Conflict(" ".join(exc.errors.values())) from None
    statements = list(workflow.CONFIRM[action])
    if action == "start_comment":
        c = comments.current(session, pk(v))
        if c and c.start_on and c.end_on:
            statements.append(f"意見公募の期間: {wareki(c.start_on)} 〜 {wareki(c.end_on)}(方法: {c.method})")
    bv = pairing.basic_version(session, a) if with_basic else None
    if bv is not None:
        statements.append(f"同じ評価書番号({a.number})の基礎項目評価書(第{bv.seq}版)も同時に{pairing.STEP[action]}します。")
    ctx = procedure.context(session, v, a, today, on_date=day, action=action)
    if with_basic:
        ctx.partner = None
    return {"v": v, "a": a, "jimu": jimu, "tr": tr, "day": day, "statements": statements, "with_basic": with_basic,
            "missing": workflow.unmet(tr, actor.role, ctx), "date_label": procedure.DATE_FOR.get(action, ("", ""))[1]}
