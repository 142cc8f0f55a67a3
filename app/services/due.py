"""What is due: the yearly 見直し, the 5-year 再実施, 事前 submission before a planned change, procedure steps,
improvement actions and 答申 conditions, plus the 「再実施が必要」 flag when the しきい値判断 rises."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from app.domain import deadlines
from app.domain import threshold as th
from app.domain.deadlines import Due, status_of
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.models import (
    AnnualReview, AssessmentVersion, ImprovementAction, Review, ReviewCondition,
)
from app.services import dashboard, queue
from app.services.organisation import get_organisation


@dataclass
class DueRow:
    q: queue.QueueRow
    published_on: date | None
    next_review_due: date | None
    reassessment_due: date | None
    flags: list[str] = field(default_factory=list)
    items: list[Due] = field(default_factory=list)
    open_conditions: int = 0

    @property
    def assessment(self):
        return self.q.row.assessment

    @property
    def title(self) -> str:
        return self.q.row.title


def rows(session: Session, *, actor: Actor, today: date, department_id: int | None = None) -> list[DueRow]:
    qrows = queue.rows(session, actor=actor, today=today, department_id=department_id)
    ids = [q.row.assessment.id for q in qrows]
    if not ids:
        return []
    versions: dict[int, list] = {}
    for v in session.exec(select(*AssessmentVersion.__table__.c).where(AssessmentVersion.assessment_id.in_(ids))
                          .order_by(AssessmentVersion.seq)).all():
        versions.setdefault(v.assessment_id, []).append(v)
    last_review = dict(session.exec(select(AnnualReview.assessment_id, func.max(AnnualReview.completed_on))
                                    .where(AnnualReview.assessment_id.in_(ids), AnnualReview.completed_on.is_not(None))
                                    .group_by(AnnualReview.assessment_id)).all())
    actions: dict[int, list] = {}
    for act in session.exec(select(ImprovementAction).where(ImprovementAction.assessment_id.in_(ids),
                                                            ImprovementAction.status == "open")).all():
        actions.setdefault(act.assessment_id, []).append(act)
    conds = dict(session.exec(select(Review.version_id, func.count()).join(ReviewCondition,
                                                                           ReviewCondition.review_id == Review.id)
                              .where(ReviewCondition.status == "open").group_by(Review.version_id)).all())
    org = get_organisation(session, actor.organisation_id)
    current = {r.jimu.id: r.current for r in dashboard.jimu_rows(session, actor=actor, org=org, today=today)}
    published_level = _published_levels(qrows, versions)
    out = []
    for q in qrows:
        a, vs = q.row.assessment, versions.get(q.row.assessment.id, [])
        published = [v for v in vs if v.published_on]
        last_pub = max((v.published_on for v in published), default=None)
        full_pub = max((v.published_on for v in published if v.kind in ("initial", "reassessment")), default=None)
        row = DueRow(q, last_pub, deadlines.review_due(last_pub, last_review.get(a.id)),
                     deadlines.reassessment_due(full_pub))
        _items(row, q, vs, actions.get(a.id, []), today)
        row.open_conditions = conds.get(q.row.version.id, 0)
        _flags(row, q, current.get(q.row.jimu.id), published_level.get(q.row.jimu.id, 0), today)
        out.append(row)
    return out


def _published_levels(qrows, versions) -> dict[int, int]:
    """The highest published assessment level per 事務 (基礎 1, 重点 2, 全項目 3)."""
    rank = {"basic": 1, "focused": 2, "full": 3}
    out: dict[int, int] = {}
    for q in qrows:
        if any(v.published_on for v in versions.get(q.row.assessment.id, [])):
            out[q.row.jimu.id] = max(out.get(q.row.jimu.id, 0), rank[q.row.assessment.form])
    return out


def _items(row: DueRow, q, versions, actions, today: date) -> None:
    title = q.row.title
    if row.next_review_due and q.row.jimu.status != "ended":
        row.items.append(Due("review", f"見直し期限: {title}", row.next_review_due, status_of(row.next_review_due, today)))
    if row.reassessment_due and q.row.assessment.form != "basic" and q.row.jimu.status != "ended":
        row.items.append(Due("reassessment", f"再実施(5年)の期限: {title}", row.reassessment_due,
                             status_of(row.reassessment_due, today)))
    working = versions[-1] if versions else None
    if working and working.planned_change_on and working.stage != "published":
        row.items.append(Due("prior_submission", f"変更予定日までに提出・公表: {title}", working.planned_change_on,
                             status_of(working.planned_change_on, today)))
    if q.next_due:
        row.items.append(Due("stage", f"{q.next_action}: {title}", q.next_due, q.due_status or status_of(q.next_due, today)))
    for act in actions:
        if act.due_on:
            row.items.append(Due("action", f"改善策の期限: {title}「{act.content[:30]}」", act.due_on,
                                 status_of(act.due_on, today)))


def _flags(row: DueRow, q, current: th.ThresholdResult | None, published_level: int, today: date) -> None:
    jimu = q.row.jimu
    if current is not None and published_level and jimu.status != "ended":
        required = {None: 0, th.Level.basic: 1, th.Level.focused: 2, th.Level.full: 3}[current.highest]
        if required > published_level:
            row.flags.append(f"再実施が必要: しきい値判断の結果が「{current.label}」に上がっています"
                             f"(公表済みは{_level_label(published_level)})。")
    if jimu.status == "ended" and jimu.end_date:
        until = deadlines.keep_published_until(jimu.end_date)
        row.flags.append(f"事務終了({wareki(jimu.end_date)})— {wareki(until)}まで公表を継続")
    for d in row.items:
        if d.kind in ("review", "reassessment") and d.status == "overdue":
            row.flags.append(f"{'見直し' if d.kind == 'review' else '再実施'}の期限を過ぎています({wareki(d.due_on)})")


def _level_label(level: int) -> str:
    return {1: FORM_LABEL["basic"], 2: FORM_LABEL["focused"], 3: FORM_LABEL["full"]}[level]


def due_items(rows_: list[DueRow], *, horizon: str = "due_90") -> list[dict]:
    """What a scheduled job reports: every overdue item and those due within 30 or 90 days."""
    keep = {"overdue", "due_30"} | ({"due_90"} if horizon == "due_90" else set())
    out = []
    for r in rows_:
        for d in r.items:
            if d.status in keep:
                out.append({"assessment_id": r.assessment.id, "number": r.assessment.number, "title": r.title,
                            "kind": d.kind, "label": d.label, "due_on": d.due_on.isoformat(), "status": d.status})
        for flag in r.flags:
            if flag.startswith("再実施が必要"):
                out.append({"assessment_id": r.assessment.id, "number": r.assessment.number, "title": r.title,
                            "kind": "flag", "label": flag, "due_on": None, "status": "flag"})
    return sorted(out, key=lambda x: (x["due_on"] or "0000", x["assessment_id"]))


