"""The records queue: every 評価書 with its stage, days in stage, the next action and its due date."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain import workflow
from app.domain.deadlines import status_of
from app.domain.policy import Actor
from app.models import AssessmentVersion, Organisation, PublicComment, Review, ReviewCondition, pk
from app.services import assessment_list
from app.services.procedure import custom_steps

CHECK_DAYS = 14       # 庁内確認 is expected to take at most two weeks
PUBLISH_DAYS = 14     # 提出 → 公表 「速やかに」


@dataclass
class QueueRow:
    row: assessment_list.AssessmentRow
    stage_label: str
    days_in_stage: int
    next_action: str
    next_due: date | None
    due_status: str


def rows(session: Session, *, actor: Actor, today: date, department_id: int | None = None,
         stage: str = "", assessment_id: int | None = None, form: str = "", limit: int | None = None,
         offset: int = 0, assessment_ids: list[int] | None = None) -> list[QueueRow]:
    """`limit`/`offset`: one page of the list (in the order of assessment_list.rows); `assessment_ids`: only these."""
    listed = assessment_list.rows(session, actor=actor, department_id=department_id, stage=stage, form=form,
                                  assessment_id=assessment_id, limit=limit, offset=offset,
                                  assessment_ids=assessment_ids)
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    custom = custom_steps(session, pk(org)) if org else []
    vids = [r.version.id for r in listed]
    comments = {c.version_id: c for c in session.exec(select(PublicComment)
                                                      .where(col(PublicComment.version_id).in_(vids)))} if vids else {}
    reviews = {r.version_id: r for r in session.exec(select(Review).where(col(Review.version_id).in_(vids)))} \
        if vids else {}
    open_conditions = dict(session.exec(select(ReviewCondition.review_id, func.count()).where(
        col(ReviewCondition.review_id).in_([r.id for r in reviews.values()]), ReviewCondition.status == "open")
        .group_by(col(ReviewCondition.review_id))).all()) if reviews else {}
    out = []
    for r in listed:
        v = r.version
        since = v.stage_since.date() if v.stage_since else today
        action, due = _next(v, comments.get(v.id), reviews.get(v.id), open_conditions, since, today)
        out.append(QueueRow(r, workflow.stage_label(v.stage, custom), (today - since).days, action, due,
                            status_of(due, today) if due else ""))
    return out


def _next(v: AssessmentVersion, comment: PublicComment | None, review: Review | None, open_conditions: dict[int, int],
          since: date, today: date) -> tuple[str, date | None]:
    n = open_conditions.get(pk(review), 0) if review else 0
    return next_step(v.stage, v.submitted_on, comment.end_on if comment else None, n, since)


def next_step(stage: str, submitted_on: date | None, comment_end: date | None, open_conditions: int,
              since: date) -> tuple[str, date | None]:
    """The next action of a version in `stage` and its due date (None: no date)."""
    if stage == "draft":
        return "担当課が作成し、庁内確認に回す", None
    if stage == "internal_check":
        return "庁内確認を終える", since + timedelta(days=CHECK_DAYS)
    if stage == "public_comment":
        return "意見公募を終了する", (comment_end + timedelta(days=1)) if comment_end else None
    if stage == "comment_revision":
        return "意見を反映し、次の手続へ", None
    if stage == "third_party_review":
        return "答申を受けて第三者点検を終える", None
    if stage == "review_revision":
        return ((f"答申の条件{open_conditions}件に対応する" if open_conditions else "個人情報保護委員会に提出する"),
                None)
    if stage == "ppc_approval":
        return "委員会の承認を記録する", None
    if stage == "approved":
        return "個人情報保護委員会に提出する", None
    if stage == "submitted":
        base = submitted_on or since
        return "公表する", base + timedelta(days=PUBLISH_DAYS)
    if stage.startswith("custom:"):
        return "独自の手続を完了する", None
    return "", None
