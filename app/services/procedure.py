"""Firing procedure transitions: guards, side effects (snapshots, pre-filled Ⅵ items), one row per transition."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.domain import workflow
from app.domain.policy import Actor
from app.domain.wareki import BadDate, parse_date
from app.errors import Conflict, Forbidden, ValidationFailed
from app.models import (
    Approval,
    Assessment,
    AssessmentVersion,
    Finding,
    Opinion,
    Organisation,
    PublicComment,
    Review,
    ReviewCondition,
    StageEvent,
    WorkflowStep,
    pk,
)
from app.models.base import utcnow
from app.services import assessments, audit, catalogue, completeness, fill, memo, pairing, people, snapshots
from app.services.organisation import get_organisation

DATE_FOR = {"submit": ("submitted_on", "提出日"), "publish": ("published_on", "公表日"),
            "record_approval": ("approved_on", "承認日")}


def custom_steps(session: Session, organisation_id: int) -> list[workflow.CustomStep]:
    rows = memo.once(session, ("workflow_steps", organisation_id), lambda: session.exec(
        select(WorkflowStep).where(WorkflowStep.organisation_id == organisation_id, WorkflowStep.active)
        .order_by(col(WorkflowStep.id))).all())
    return [workflow.CustomStep(r.key, r.label, r.before, frozenset(r.forms or [])) for r in rows]


def current_comment(session: Session, version_id: int) -> PublicComment | None:
    """The version's latest 意見公募 (read once per request: the procedure panel asks for it for every button)."""
    return memo.once(session, ("comment", version_id), lambda: session.exec(
        select(PublicComment).where(PublicComment.version_id == version_id).order_by(col(PublicComment.id).desc())).first())


def current_review(session: Session, version_id: int) -> Review | None:
    """The version's latest 第三者点検 round (read once per request)."""
    return memo.once(session, ("review", version_id), lambda: session.exec(
        select(Review).where(Review.version_id == version_id).order_by(col(Review.id).desc())).first())


def current_approval(session: Session, version_id: int) -> Approval | None:
    """The version's 委員会の承認 record (read once per request)."""
    return memo.once(session, ("approval", version_id), lambda: session.exec(
        select(Approval).where(Approval.version_id == version_id)).first())


def table_for(session: Session, assessment: Assessment, org: Organisation, version: AssessmentVersion | None = None
              ) -> list[workflow.Transition]:
    kind = version.kind if version is not None else "initial"
    return workflow.transitions(assessment.form, org.kind, custom_steps(session, pk(org)), kind)


def problems_count(session: Session, version: AssessmentVersion, assessment: Assessment, today: date) -> int:
    return len(completeness.evaluate_version(session, version, assessment, today)[0])


def context(session: Session, v: AssessmentVersion, a: Assessment, today: date, *, on_date: date | None = None,
            action: str = "", problems: int | None = None) -> workflow.GuardContext:
    comment = current_comment(session, pk(v))
    review = current_review(session, pk(v))
    approval = current_approval(session, pk(v))
    ctx = workflow.GuardContext(today=today, problems=problems_count(session, v, a, today) if problems is None else problems)
    earlier: dict[str, date] = {}
    if comment:
        missing = session.exec(select(func.count()).select_from(Opinion).where(
            Opinion.comment_id == comment.id, Opinion.response == "")).one()
        ctx.comment = {"method": comment.method, "start_on": comment.start_on, "end_on": comment.end_on,
                       "reason": comment.shortening_reason, "opinions_without_response": missing}
        ended = min(d for d in (comment.end_on, comment.closed_on) if d) if comment.end_on else None
        if ended:  # closed early (with its reason): the day it was closed
            earlier["意見公募の終了日"] = ended
    if review:
        open_findings = session.exec(select(func.count()).select_from(Finding).where(
            Finding.review_id == review.id, Finding.status == "open")).one()
        ctx.review = {"consulted_on": review.consulted_on, "answered_on": review.answered_on, "result": review.result,
                      "open_findings": open_findings}
        ctx.open_conditions = session.exec(select(func.count()).select_from(ReviewCondition).where(
            ReviewCondition.review_id == review.id, ReviewCondition.status == "open")).one()
        if review.answered_on:
            earlier["答申日"] = review.answered_on
    if approval:
        ctx.approval = {"applied_on": approval.applied_on, "approved_on": approval.approved_on}
        if approval.approved_on:
            earlier["承認日"] = approval.approved_on
    ctx.submitted_on = on_date if action == "submit" else v.submitted_on
    ctx.published_on = on_date if action == "publish" else v.published_on
    if action == "record_approval" and on_date and ctx.approval is not None:  # (set above when there is one)
        ctx.approval = {**ctx.approval, "approved_on": on_date}
    ctx.earlier_dates = earlier
    ctx.partner = pairing.problem(session, a, v, action)
    d = catalogue.definition(a.form, v.form_version)
    ctx.form_label = catalogue.labels(session).get((d.form, d.version), d.label)
    ctx.form_effective_from = d.manifest.effective_from
    return ctx


@dataclass
class Fired:
    event: StageEvent
    transition: workflow.Transition
    filled: list[str]


def fire(session: Session, *, actor: Actor, version_id: int, action: str, lock: str, reason: str = "",
         on_date: str = "", today: date, with_basic: bool = False) -> Fired:
    """Fire one transition; `with_basic` first moves the 基礎項目評価書 of a 重点/全項目 through the same step, in
    the same transaction (「基礎と一緒に提出・公表」)."""
    v, a, _jimu = assessments.get_version(session, actor=actor, version_id=version_id)
    v = assessments.lock_for_transition(session, pk(v))  # content writes in flight finish first (see ensure_writable)
    if actor.role == "staff":
        assessments.get(session, actor=actor, assessment_id=pk(a), edit=True)
    elif actor.role == "council":
        raise Forbidden("審議会委員は手続を操作できません。")
    org = get_organisation(session, a.organisation_id)
    problem = pairing.problem(session, a, v, action) if with_basic else None
    if problem:
        bv = pairing.basic_version(session, a)
        if bv is not None:
            bv = assessments.lock_for_transition(session, pk(bv))
        if bv is None or not movable_with(session, bv, action):
            raise Conflict(problem if bv is None else
                           f"基礎項目評価書は現在「{workflow.stage_label(bv.stage)}」の段階で、一緒に{pairing.STEP[action]}できません。"
                           f"基礎項目評価書の手続を先に進めてください。")
        basic = pairing.basic_of(session, a)
        if basic is None:  # (basic_version() found its version)
            raise Conflict(problem)
        _fire_one(session, actor, bv, basic, org, action, str(bv.stage_lock), reason, on_date, today)
    fired = _fire_one(session, actor, v, a, org, action, lock, reason, on_date, today)
    session.commit()
    return fired


def movable_with(session: Session, bv: AssessmentVersion, action: str) -> bool:
    """Whether the 基礎 version `bv` has `action` from its current stage (the offer 「基礎と一緒に…」)."""
    basic = session.get(Assessment, bv.assessment_id)
    if basic is None:  # (the foreign key keeps it)
        return False
    org = get_organisation(session, basic.organisation_id)
    return any(tr.source == bv.stage and tr.action == action for tr in table_for(session, basic, org, bv))


def _fire_one(session: Session, actor: Actor, v: AssessmentVersion, a: Assessment, org: Organisation, action: str,
              lock: str, reason: str, on_date: str, today: date) -> Fired:
    day = _date(on_date, action, today)
    ctx = context(session, v, a, today, on_date=day, action=action)
    try:
        tr = workflow.apply(table_for(session, a, org, v), v.stage, action, actor.role, ctx, reason)
    except workflow.TransitionRefused as exc:
        if exc.status == 403:
            raise Forbidden(exc.reason) from None
        if exc.status == 422:
            raise ValidationFailed({"reason": exc.reason}) from None
        raise Conflict(exc.reason) from None
    filled = _side_effects(session, actor, v, a, tr, day, today, reason)
    result = session.exec(update(AssessmentVersion).where(
        col(AssessmentVersion.id) == v.id, col(AssessmentVersion.stage) == tr.source,
        col(AssessmentVersion.stage_lock) == (int(lock) if str(lock).isdigit() else -1),
    ).values(stage=tr.target, stage_lock=col(AssessmentVersion.stage_lock) + 1, stage_since=utcnow(),
             frozen=tr.target == "published"))
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("この評価書の手続は、他の利用者が先に進めました。画面を再読み込みして現在の段階を確認してください。")
    event = StageEvent(version_id=pk(v), action=tr.action, from_stage=tr.source, to_stage=tr.target, on_date=day,
                       actor_id=actor.user_id, actor_login=actor.login_id, note=reason.strip()[:2000])
    session.add(event)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action=f"stage:{tr.action}",
                 before={"stage": tr.source}, after={"stage": tr.target, "date": day, "filled": filled}, note=reason)
    session.flush()
    return Fired(event, tr, filled)


def _date(raw: str, action: str, today: date) -> date | None:
    if action not in DATE_FOR:
        return None
    label = DATE_FOR[action][1]
    if not raw.strip():
        return None
    try:
        value = parse_date(raw, label=label)
    except BadDate as exc:
        raise ValidationFailed({"on_date": str(exc)}) from None
    if value > today:
        raise ValidationFailed({"on_date": f"{label}に未来の日付は指定できません(手続を行った日を記録します)。"})
    return value


def _side_effects(session: Session, actor: Actor, v: AssessmentVersion, a: Assessment, tr: workflow.Transition,
                  day: date | None, today: date, reason: str = "") -> list[str]:
    filled: list[str] = []
    if tr.action == "start_comment":
        comment = _latest_comment(session, pk(v))
        comment.snapshot_id = snapshots.take(session, actor=actor, version_id=pk(v), purpose="public_comment",
                                             today=today).id
        session.add(comment)
    elif tr.action == "close_comment":
        comment = _latest_comment(session, pk(v))
        comment.closed_on = today
        if comment.end_on and today <= comment.end_on:  # closed early: the reason is printed in the results
            comment.early_close_reason = reason.strip()[:2000]
        session.add(comment)
        filled = fill.from_procedure(session, actor=actor, version=v, assessment=a, prefix="comment.")
    elif tr.action == "start_review":
        review = _latest_review(session, pk(v))
        review.snapshot_id = snapshots.take(session, actor=actor, version_id=pk(v), purpose="council", today=today).id
        session.add(review)
    elif tr.action == "close_review":
        review = _latest_review(session, pk(v))
        review.closed_on = today
        session.add(review)
        filled = fill.from_procedure(session, actor=actor, version=v, assessment=a, prefix="review.")
    elif tr.action == "reopen_review":
        _next_round(session, actor, v, today)
    elif tr.action in ("apply_approval", "record_approval"):
        if tr.action == "record_approval":
            approval = session.exec(select(Approval).where(Approval.version_id == v.id)).first()
            if approval is None:  # (the transition's guard requires the application)
                raise Conflict("この版の承認の申請が記録されていません。")
            approval.approved_on = day
            session.add(approval)
            v.approved_on = day
        filled = fill.from_procedure(session, actor=actor, version=v, assessment=a, prefix="approval.")
    elif tr.action == "submit":
        v.submitted_on = day
        session.add(v)
        session.flush()
        snapshots.take(session, actor=actor, version_id=pk(v), purpose="submission", today=today)
    elif tr.action == "publish":
        v.published_on = day
        session.add(v)
        session.flush()
        snapshots.take(session, actor=actor, version_id=pk(v), purpose="publication", today=today)
    session.add(v)
    session.flush()
    return filled


def _latest_comment(session: Session, version_id: int) -> PublicComment:
    """The version's 意見公募 (the latest one); the transitions that use it are guarded on its record."""
    comment = session.exec(select(PublicComment).where(PublicComment.version_id == version_id)
                           .order_by(col(PublicComment.id).desc())).first()
    if comment is None:
        raise Conflict("この版の意見公募が記録されていません。")
    return comment


def _latest_review(session: Session, version_id: int) -> Review:
    """The version's current round of the 第三者点検; the transitions that use it are guarded on its record."""
    review = session.exec(select(Review).where(Review.version_id == version_id)
                          .order_by(col(Review.id).desc())).first()
    if review is None:
        raise Conflict("先に第三者点検(諮問)を登録してください。")
    return review


def _next_round(session: Session, actor: Actor, v: AssessmentVersion, today: date) -> Review:
    """「再度の点検を求める」: a new round of the 第三者点検 with a new snapshot of the current text (what the council
    reads now) and no 答申 yet; the previous round (its 答申, 指摘事項 and conditions) stays as history."""
    previous = session.exec(select(Review).where(Review.version_id == v.id).order_by(col(Review.id).desc())).first()
    if previous is None:
        raise Conflict("再度の点検を求める前の第三者点検の記録がありません。")
    if previous.closed_on is None:
        previous.closed_on = today
        session.add(previous)
        session.flush()
    snap = snapshots.take(session, actor=actor, version_id=pk(v), purpose="council", today=today)
    review = Review(version_id=pk(v), council_id=previous.council_id, round=(previous.round or 1) + 1,
                    consulted_on=today, method=previous.method, snapshot_id=snap.id)
    session.add(review)
    session.flush()
    audit.record(session, actor=actor, entity="review", entity_id=review.id, action="reopened",
                 after={"round": review.round, "previous": previous.id, "snapshot": snap.id})
    return review


def timeline(session: Session, version_id: int) -> list[StageEvent]:
    return list(session.exec(select(StageEvent).where(StageEvent.version_id == version_id)
                             .order_by(col(StageEvent.at), col(StageEvent.id))).all())


@dataclass(frozen=True)
class TimelineRow:
    """One step of the 経過 as a person reads it: the step's name, the stages, the person's name, 和暦 dates."""

    action: str            # the code, kept for data-action (tests, styling) — never shown
    at: datetime
    step: str
    from_stage: str
    to_stage: str
    on_date: date | None
    who: str
    note: str


def timeline_rows(session: Session, version_id: int, custom: list[workflow.CustomStep]) -> list[TimelineRow]:
    events = timeline(session, version_id)
    names = people.display_names(session, (e.actor_id for e in events), (e.actor_login for e in events))
    return [TimelineRow(e.action, e.at, workflow.step_label(e.action, custom), workflow.stage_label(e.from_stage, custom),
                        workflow.stage_label(e.to_stage, custom), e.on_date, names(e.actor_id, e.actor_login), e.note)
            for e in events]
