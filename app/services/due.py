"""What is due: the yearly 見直し, the 5-year 再実施, 事前 submission before a planned change, procedure steps,
improvement actions and 答申 conditions, plus the 「再実施が必要」 flag when the しきい値判断 rises."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain import deadlines
from app.domain import threshold as th
from app.domain.deadlines import Due, status_of
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.models import (
    AnnualReview,
    Assessment,
    AssessmentVersion,
    ImprovementAction,
    Jimu,
    Review,
    ReviewCondition,
    pk,
)
from app.services import assessment_list, dashboard, queue
from app.services.organisation import get_organisation

REASSESS_FLAG = "再実施が必要"
FULL_KINDS = ("initial", "reassessment", "migration")  # the versions whose publication starts the 5-year clock


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
    def listed(self) -> assessment_list.AssessmentRow:
        """The 評価書 as the queue lists it (assessment, version, 事務, department, open actions)."""
        return self.q.row

    @property
    def assessment(self) -> Any:
        return self.q.row.assessment

    @property
    def version(self) -> Any:
        return self.q.row.version

    @property
    def jimu(self) -> Any:
        return self.q.row.jimu

    @property
    def stage_label(self) -> str:
        return self.q.stage_label

    def item(self, kind: str) -> Due | None:
        return next((d for d in self.items if d.kind == kind), None)

    @property
    def overdue(self) -> bool:
        return any(d.status == "overdue" for d in self.items)

    @property
    def needs_reassessment(self) -> bool:
        return any(f.startswith(REASSESS_FLAG) for f in self.flags)

    @property
    def attention(self) -> bool:
        return self.needs_reassessment or any(d.status in ("overdue", "due_30", "due_90") for d in self.items)

    @property
    def title(self) -> str:
        return self.q.row.title


def rows(session: Session, *, actor: Actor, today: date, department_id: int | None = None,
         assessment_id: int | None = None, register: list[dashboard.JimuRow] | None = None, form: str = "",
         stage: str = "",
         limit: int | None = None, offset: int = 0, assessment_ids: list[int] | None = None) -> list[DueRow]:
    """`register`: the caller's dashboard.jimu_rows for the same user and department (ホーム has them), reused.
    `form`, `stage` (the newest version's): filters; `limit`/`offset`: one page of the 評価書 (in the order of
    assessment_list.rows)."""
    qrows = queue.rows(session, actor=actor, today=today, department_id=department_id, assessment_id=assessment_id,
                       form=form, stage=stage, limit=limit, offset=offset, assessment_ids=assessment_ids)
    ids = [q.row.assessment.id for q in qrows]
    if not ids:
        return []
    # the publication dates per 評価書 as aggregates, and its working version (the highest seq): not every version
    av = AssessmentVersion
    published = {r.assessment_id: (r.last_pub, r.full_pub) for r in session.execute(
        sa_select(col(av.assessment_id), func.max(col(av.published_on)).label("last_pub"),
               func.max(case((col(av.kind).in_(FULL_KINDS), col(av.published_on)))).label("full_pub"))
        .where(col(av.assessment_id).in_(ids)).group_by(col(av.assessment_id))).all()}
    top = sa_select(col(av.assessment_id), func.max(col(av.seq)).label("seq")).where(col(av.assessment_id).in_(ids)).group_by(
        col(av.assessment_id)).subquery()
    working = {r.assessment_id: r for r in session.execute(
        sa_select(col(av.assessment_id), col(av.stage), col(av.planned_change_on)).join(
            top, (top.c.assessment_id == col(av.assessment_id)) & (top.c.seq == col(av.seq)))).all()}
    last_review = dict(session.execute(sa_select(col(AnnualReview.assessment_id), func.max(col(AnnualReview.completed_on)))
                                    .where(col(AnnualReview.assessment_id).in_(ids),
                                           col(AnnualReview.completed_on).is_not(None))
                                    .group_by(col(AnnualReview.assessment_id))).all())
    actions: dict[int, list[ImprovementAction]] = {}
    for act in session.exec(select(ImprovementAction).where(col(ImprovementAction.assessment_id).in_(ids),
                                                            ImprovementAction.status == "open")).all():
        actions.setdefault(act.assessment_id, []).append(act)
    conds = dict(session.exec(select(Review.version_id, func.count()).join(ReviewCondition,
                                                                           col(ReviewCondition.review_id) == Review.id)
                              .where(ReviewCondition.status == "open",
                                     col(Review.version_id).in_([q.row.version.id for q in qrows]))
                              .group_by(col(Review.version_id))).all())
    jimu_ids = sorted({q.row.jimu.id for q in qrows})
    if register is None:
        org = get_organisation(session, actor.organisation_id)
        register = dashboard.jimu_rows(session, actor=actor, org=org, today=today, jimu_ids=jimu_ids)
    register_rows = {r.jimu.id: r for r in register}
    published_level = _published_levels(session, jimu_ids)
    return [_build(q, *published.get(q.row.assessment.id, (None, None)), working.get(q.row.assessment.id),
                   last_review.get(q.row.assessment.id),
                   actions.get(q.row.assessment.id, []), conds.get(q.row.version.id, 0),
                   register_rows.get(q.row.jimu.id), published_level.get(q.row.jimu.id, 0), today) for q in qrows]


def dated_items(session: Session, *, actor: Actor, today: date,
                department_id: int | None = None) -> list[tuple[int, int, list[tuple[str, date]], int]]:
    """Every 評価書 the actor sees as (assessment id, 事務 id, its dated items (kind, date): 見直し, 再実施, 事前提出,
    手続, 改善策; its level if published: 基礎 1, 重点 2, 全項目 3, else 0), in the order of assessment_list.rows.

    The items are those `rows` gives, from two aggregate statements (one row per 評価書 and one per open 改善策
    with a 期限) instead of the whole `rows` (every version, the queue, the register): the home page and the
    期限管理 screen pick the few 評価書 they show in full from these (tests/services/test_due_overview.py)."""
    from app.models import PublicComment
    from app.services import scope

    av = AssessmentVersion
    per = (sa_select(col(av.assessment_id), func.max(col(av.id)).label("vid"), func.max(col(av.published_on)).label("last_pub"),
                  func.max(case((col(av.kind).in_(FULL_KINDS), col(av.published_on)))).label("full_pub"))
           .group_by(col(av.assessment_id)).subquery())
    reviewed = (sa_select(col(AnnualReview.assessment_id), func.max(col(AnnualReview.completed_on)).label("last_review"))
                .where(col(AnnualReview.completed_on).is_not(None)).group_by(col(AnnualReview.assessment_id)).subquery())
    comment = sa_select(col(PublicComment.version_id), func.max(col(PublicComment.id)).label("cid")).group_by(
        col(PublicComment.version_id)).subquery()  # the version's latest 意見公募 (as queue.rows reads it)
    joined = (sa_select(col(Assessment.id), col(Assessment.jimu_id), col(Assessment.form),
                        col(Jimu.status).label("jimu_status"), col(av.stage), col(av.stage_since), col(av.submitted_on),
                        col(av.planned_change_on), per.c.last_pub, per.c.full_pub, reviewed.c.last_review,
                        col(PublicComment.end_on).label("comment_end"))
              .join(Jimu, col(Jimu.id) == col(Assessment.jimu_id)).join(per, per.c.assessment_id == col(Assessment.id))
              .join(av, col(av.id) == per.c.vid).outerjoin(reviewed, reviewed.c.assessment_id == col(Assessment.id))
              .outerjoin(comment, comment.c.version_id == col(av.id))
              .outerjoin(PublicComment, col(PublicComment.id) == comment.c.cid))
    q = scope.visible(joined, actor, organisation=col(Assessment.organisation_id), department=col(Jimu.department_id))
    open_acts = (sa_select(col(ImprovementAction.assessment_id), col(ImprovementAction.due_on))
                 .join(Assessment, col(Assessment.id) == col(ImprovementAction.assessment_id))
                 .join(Jimu, col(Jimu.id) == col(Assessment.jimu_id))
                 .where(col(ImprovementAction.status) == "open", col(ImprovementAction.due_on).is_not(None)))
    acts = scope.visible(open_acts, actor, organisation=col(Assessment.organisation_id),
                         department=col(Jimu.department_id))
    if q is None or acts is None:
        return []
    if department_id:
        q = q.where(col(Jimu.department_id) == department_id)
        acts = acts.where(col(Jimu.department_id) == department_id)
    action_dues: dict[int, list[date]] = {}
    conn = session.connection()  # plain Core rows: thousands of them, without the ORM's row processing
    for aid, due_on in conn.execute(acts).all():
        if due_on is not None:  # (the statement keeps only dated ones)
            action_dues.setdefault(aid, []).append(due_on)
    out = []
    for r in conn.execute(q.order_by(col(Assessment.number), col(Assessment.form), col(Assessment.id))).all():
        ended = r.jimu_status == "ended"
        dates: list[tuple[str, date]] = []
        review = deadlines.review_due(r.last_pub, r.last_review)
        if review and not ended:
            dates.append(("review", review))
        reassess = deadlines.reassessment_due(r.full_pub)
        if reassess and not ended:
            dates.append(("reassessment", reassess))
        if r.planned_change_on and r.stage != "published":  # the newest version (the highest id is the highest seq)
            dates.append(("prior_submission", r.planned_change_on))
        since = r.stage_since.date() if r.stage_since else today
        _, next_due = queue.next_step(r.stage, r.submitted_on, r.comment_end, 0, since)
        if next_due:
            dates.append(("stage", next_due))
        dates += [("action", d) for d in action_dues.get(r.id, [])]
        out.append((r.id, r.jimu_id, dates, RANK[r.form] if r.last_pub else 0))
    return out


def upcoming_deadlines(session: Session, *, actor: Actor, today: date, department_id: int | None = None,
                       limit: int = 12) -> tuple[list[Deadline], int]:
    """`upcoming(rows(…))` for the home page without building every row: the `limit` most urgent deadlines come
    from at most `limit` 評価書 — those whose earliest deadline is earliest — so only these are read in full."""
    dated = dated_items(session, actor=actor, today=today, department_id=department_id)
    earliest = {aid: min(on for _, on in items) for aid, _, items, _ in dated if items}
    chosen = sorted(earliest, key=lambda aid: (earliest[aid], aid))[:limit]
    # register=[]: a deadline does not depend on the 「再実施が必要」 flag, so the register is not read for these
    shown, _ = upcoming(rows(session, actor=actor, today=today, department_id=department_id, assessment_ids=chosen,
                             register=[]) if chosen else [], limit=limit)
    return shown, max(0, sum(len(items) for _, _, items, _ in dated) - limit)


@dataclass
class Overview:
    """The 期限管理 screen's figures over every 評価書 the actor sees (`counts` of `rows`) and the ids of those
    that need attention (`DueRow.attention`), in list order, without building every row."""

    counts: dict[str, int]
    ids: list[int]
    attention: list[int]


def overview(session: Session, *, actor: Actor, today: date, department_id: int | None = None) -> Overview:
    dated = dated_items(session, actor=actor, today=today, department_id=department_id)
    levels: dict[int, int] = {}  # the highest published level per 事務 (as _published_levels)
    for _, jid, _, level in dated:
        levels[jid] = max(levels.get(jid, 0), level)
    flagged = _reassessment_jimu(session, actor=actor, today=today, department_id=department_id, levels=levels)
    counts = {"overdue": 0, "due_30": 0, "due_90": 0, "flag": 0}
    attention = []
    for aid, jid, items, _ in dated:
        statuses = [status_of(on, today) for _, on in items]
        for st in statuses:
            if st in counts:
                counts[st] += 1
        counts["flag"] += jid in flagged
        if jid in flagged or any(st in ("overdue", "due_30", "due_90") for st in statuses):
            attention.append(aid)
    return Overview(counts, [aid for aid, _, _, _ in dated], attention)


def attention_rows(session: Session, *, actor: Actor, today: date, department_id: int | None = None) -> list[DueRow]:
    """The rows that need attention (overdue, due within 90 days, 「再実施が必要」) — all that `due_items` reports
    (`spia due`, GET /api/v1/due) — reading only these 評価書 in full."""
    ids = overview(session, actor=actor, today=today, department_id=department_id).attention
    return rows(session, actor=actor, today=today, department_id=department_id, assessment_ids=ids) if ids else []


def _reassessment_jimu(session: Session, *, actor: Actor, today: date, department_id: int | None,
                       levels: dict[int, int]) -> set[int]:
    """The 事務 whose 評価書 carry the 「再実施が必要」 flag (_flags): a しきい値判断 — recorded, or from the register's
    current figures — above the highest published assessment."""
    org = get_organisation(session, actor.organisation_id)
    out = set()
    # every visible 事務 of the department (no list of a thousand ids); the threshold is computed only where a flag is
    # possible: a publication below 全項目 (nothing is above a published 全項目) of a 事務 not ended
    for r in dashboard.jimu_rows(session, actor=actor, org=org, today=today, department_id=department_id, lean=True,
                                 keep=lambda j: j.status != "ended" and 0 < levels.get(j.id, 0) < RANK["full"]):
        recorded = max((RANK[x] for x in (r.latest.required or [])), default=0) if r.latest is not None else 0
        computed = {None: 0, th.Level.basic: 1, th.Level.focused: 2, th.Level.full: 3}[r.current.highest]
        if max(recorded, computed) > levels[r.jimu.id]:
            out.add(r.jimu.id)
    return out


def one(session: Session, *, actor: Actor, assessment: Assessment, jimu: Jimu, versions: Sequence[AssessmentVersion],
        today: date, reviews: Sequence[AnnualReview] | None = None) -> DueRow:
    """The same row for one 評価書 whose versions (and yearly reviews, `reviews`) the caller already has (the
    評価書 page): a third of the statements of `rows`, without the records queue's next action (the page shows the
    procedure itself)."""
    from app.services.answers import action_rows

    v = versions[-1]
    if reviews is None:
        last_review = session.exec(select(func.max(AnnualReview.completed_on)).where(
            AnnualReview.assessment_id == assessment.id)).one()
    else:
        last_review = max((r.completed_on for r in reviews if r.completed_on), default=None)
    actions = [x for x in action_rows(session, pk(assessment)) if x.status == "open"]
    conds = session.exec(select(func.count()).select_from(ReviewCondition).join(
        Review, col(ReviewCondition.review_id) == Review.id).where(Review.version_id == v.id,
                                                              ReviewCondition.status == "open")).one()
    org = get_organisation(session, assessment.organisation_id)
    register = dashboard.jimu_rows(session, actor=actor, org=org, today=today, jimu_id=jimu.id)
    row = assessment_list.AssessmentRow(assessment, v, jimu, "", len(actions))
    q = queue.QueueRow(row, "", 0, "", None, "")
    pub = [(x.published_on, x.kind) for x in versions if x.published_on is not None]
    last_pub = max((on for on, _ in pub), default=None)
    # a 移行登録 (published before this system) starts both clocks: what it was is not on record
    full_pub = max((on for on, kind in pub if kind in FULL_KINDS), default=None)
    jid = pk(jimu)
    return _build(q, last_pub, full_pub, versions[-1], last_review, actions, conds, register[0] if register else None,
                  _published_levels(session, [jid]).get(jid, 0), today)


def _build(q: queue.QueueRow, last_pub: date | None, full_pub: date | None, working: Any, last_review: date | None,
           actions: Sequence[ImprovementAction], open_conditions: int, register_row: dashboard.JimuRow | None,
           published_level: int, today: date) -> DueRow:
    """`last_pub`: the latest 公表日; `full_pub`: that of the latest 実施・再実施・移行登録 (a 移行登録, published before
    this system, starts both clocks: what it was is not on record); `working`: the version with the highest seq."""
    row = DueRow(q, last_pub, deadlines.review_due(last_pub, last_review), deadlines.reassessment_due(full_pub))
    _items(row, q, working, actions, today)
    row.open_conditions = open_conditions
    _flags(row, q, register_row, published_level, today)
    return row


def _published_levels(session: Session, jimu_ids: list[int]) -> dict[int, int]:
    """The highest published assessment level per 事務 (基礎 1, 重点 2, 全項目 3), over all its 評価書."""
    out: dict[int, int] = {}
    if not jimu_ids:
        return out
    published = sa_select(col(AssessmentVersion.assessment_id)).where(col(AssessmentVersion.published_on).is_not(None))
    for jimu_id, form in session.execute(sa_select(col(Assessment.jimu_id), col(Assessment.form)).where(
            col(Assessment.jimu_id).in_(jimu_ids), col(Assessment.id).in_(published))).all():
        out[jimu_id] = max(out.get(jimu_id, 0), RANK[form])
    return out


RANK = {"basic": 1, "focused": 2, "full": 3}


def _items(row: DueRow, q: queue.QueueRow, working: Any, actions: Sequence[ImprovementAction], today: date) -> None:
    """`working`: the version with the highest seq (an AssessmentVersion, or a Row with its stage and
    planned_change_on)."""
    title = q.row.title
    if row.next_review_due and q.row.jimu.status != "ended":
        row.items.append(Due("review", f"見直し期限: {title}", row.next_review_due, status_of(row.next_review_due, today)))
    if row.reassessment_due and q.row.jimu.status != "ended":
        row.items.append(Due("reassessment", f"再実施(5年)の期限: {title}", row.reassessment_due,
                             status_of(row.reassessment_due, today)))
    if working and working.planned_change_on and working.stage != "published":
        row.items.append(Due("prior_submission", f"変更予定日までに提出・公表: {title}", working.planned_change_on,
                             status_of(working.planned_change_on, today)))
    if q.next_due:
        row.items.append(Due("stage", f"{q.next_action}: {title}", q.next_due, q.due_status or status_of(q.next_due, today)))
    for act in actions:
        if act.due_on:
            row.items.append(Due("action", f"改善策の期限: {title}「{act.content[:30]}」", act.due_on,
                                 status_of(act.due_on, today)))


def _flags(row: DueRow, q: queue.QueueRow, register_row: dashboard.JimuRow | None, published_level: int,
           today: date) -> None:
    """「再実施が必要」 when the recorded しきい値判断 (or the register's current figures) require more than what
    is published; 事務終了 and overdue reminders."""
    jimu = q.row.jimu
    if register_row is not None and published_level and jimu.status != "ended":
        latest = register_row.latest
        recorded = max((RANK[x] for x in (latest.required or [])), default=0) if latest is not None else 0
        computed = {None: 0, th.Level.basic: 1, th.Level.focused: 2, th.Level.full: 3}[register_row.current.highest]
        if latest is not None and recorded > published_level:  # (recorded is 0 without a determination)
            row.flags.append(f"{REASSESS_FLAG}: しきい値判断({wareki(latest.determined_on)})の結果が"
                             f"「{th.RESULT_LABEL[latest.result]}」です(公表済みは{_level_label(published_level)})。")
        elif computed > published_level:
            row.flags.append(f"{REASSESS_FLAG}: 登録情報によるしきい値判断が「{register_row.current.label}」に"
                             f"上がっています(公表済みは{_level_label(published_level)})。しきい値判断を記録してください。")
    if jimu.status == "ended" and (until := deadlines.keep_published_until(jimu.end_date)) is not None:
        if today > until:
            row.flags.append(f"事務終了({wareki(jimu.end_date)})から3年を経過しました({wareki(until)})— 公表を終了できます")
        else:
            row.flags.append(f"事務終了({wareki(jimu.end_date)})— {wareki(until)}まで公表を継続")
    for d in row.items:
        if d.kind in ("review", "reassessment") and d.status == "overdue":
            row.flags.append(f"{'見直し' if d.kind == 'review' else '再実施'}の期限を過ぎています({wareki(d.due_on)})")


def _level_label(level: int) -> str:
    return {1: FORM_LABEL["basic"], 2: FORM_LABEL["focused"], 3: FORM_LABEL["full"]}[level]


@dataclass(frozen=True)
class Deadline:
    """One dated deadline of one 評価書, for a person's list (ホーム)."""

    row: DueRow
    due: Due

    @property
    def what(self) -> str:
        """The deadline without the 評価書's title (「見直し期限」, 「意見公募を終了する」, 「改善策の期限「…」」)."""
        head, _, rest = self.due.label.partition(": ")
        if self.due.kind == "action" and "「" in rest:
            return head + rest[rest.index("「"):]
        return head


def upcoming(rows_: list[DueRow], *, limit: int = 12) -> tuple[list[Deadline], int]:
    """Every dated deadline (見直し, 再実施, 手続 such as the end of 意見公募, 変更予定日, 改善策) of the rows the user
    may see, most urgent first (the earliest date; overdue ones come first by construction); at most `limit`,
    with the number left out. Ended 事務 have no 見直し/再実施 deadlines (see _items)."""
    items = sorted((Deadline(r, d) for r in rows_ for d in r.items),
                   key=lambda x: (x.due.due_on, x.row.assessment.id, x.due.kind))
    return items[:limit], max(0, len(items) - limit)


def counts(rows_: list[DueRow]) -> dict[str, int]:
    out = {"overdue": 0, "due_30": 0, "due_90": 0, "flag": 0}
    for r in rows_:
        for d in r.items:
            if d.status in out:
                out[d.status] += 1
        out["flag"] += r.needs_reassessment
    return out


def due_items(rows_: list[DueRow], *, horizon: str = "due_90") -> list[dict[str, Any]]:
    """What a scheduled job reports: every overdue item and those due within 30 or 90 days."""
    keep = {"overdue", "due_30"} | ({"due_90"} if horizon == "due_90" else set())
    out: list[dict[str, Any]] = []
    for r in rows_:
        for d in r.items:
            if d.status in keep:
                out.append({"assessment_id": r.assessment.id, "number": r.assessment.number, "title": r.title,
                            "kind": d.kind, "label": d.label, "due_on": d.due_on.isoformat(), "status": d.status})
        for flag in r.flags:
            if flag.startswith(REASSESS_FLAG):
                out.append({"assessment_id": r.assessment.id, "number": r.assessment.number, "title": r.title,
                            "kind": "flag", "label": flag, "due_on": None, "status": "flag"})
    return sorted(out, key=lambda x: (x["due_on"] or "0000", x["assessment_id"]))




def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def summary(d: DueRow) -> dict[str, Any]:
    """One 評価書 of a list as `spia list --json` and `GET /api/v1/assessments` give it (one builder: the two had
    drifted apart field by field)."""
    from app.services.assessment_list import KIND_LABEL

    q = d.q
    r, v = q.row, q.row.version
    return {"id": r.assessment.id, "number": r.assessment.number, "jimu": r.jimu.name, "department": r.department,
            "form": r.assessment.form, "form_label": FORM_LABEL[r.assessment.form], "version_id": v.id,
            "version": v.seq, "kind": v.kind, "kind_label": KIND_LABEL[v.kind], "form_version": v.form_version,
            "stage": v.stage, "stage_label": q.stage_label, "days_in_stage": q.days_in_stage,
            "next_action": q.next_action, "next_due": _iso(q.next_due), "published_on": _iso(v.published_on),
            "open_actions": r.open_actions, "open_conditions": d.open_conditions,
            "last_published_on": _iso(d.published_on), "next_review_due": _iso(d.next_review_due),
            "reassessment_due": _iso(d.reassessment_due), "flags": d.flags}
