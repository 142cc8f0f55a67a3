"""Fill the 評価実施手続 items (Ⅵ2/Ⅵ3/Ⅵ4, 重点 Ⅴ2/Ⅴ3) from the procedure records when a stage closes.

Only empty items are filled (the user's own words are never overwritten); the user confirms or edits them.
"""
from __future__ import annotations

from sqlmodel import Session, col, select

from app.domain import item_picker
from app.domain.answers import empty
from app.domain.forms import Definition
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.models import (
    Answer,
    Approval,
    Assessment,
    AssessmentVersion,
    Opinion,
    PublicComment,
    Review,
    ReviewCondition,
    pk,
)
from app.services import assessments, catalogue


def values(session: Session, version_id: int, d: Definition) -> dict[str, str]:
    out: dict[str, str] = {}
    comment = session.exec(select(PublicComment).where(PublicComment.version_id == version_id)
                           .order_by(col(PublicComment.id).desc())).first()
    if comment:
        opinions = session.exec(select(Opinion).where(Opinion.comment_id == comment.id)
                                .order_by(col(Opinion.position), col(Opinion.id))).all()
        out["comment.method"] = comment.method
        if comment.start_on and comment.end_on:
            days = (comment.end_on - comment.start_on).days + 1
            out["comment.period"] = f"{wareki(comment.start_on)}から{wareki(comment.end_on)}まで({days}日間)"
        out["comment.reason"] = comment.shortening_reason or "-"
        if opinions:
            changed = [o for o in opinions if o.led_to_change]
            lines = [f"意見の件数: {len(opinions)}件(うち評価書に反映したもの {len(changed)}件)"]
            lines += [f"・{_first_line(o.text)}" for o in opinions]
            out["comment.summary"] = "\n".join(lines)
            if changed:
                labels = []
                names = {f.uid: f.name for f in assessments.files(session, version_id)}
                for o in changed:
                    uid, item_id = item_picker.parse(o.changed_item)
                    where = d.item(item_id).display if item_id and d.has(item_id) else ""
                    where = f"{where}({names[uid]})" if where and uid in names else where
                    labels.append(f"・{where + ': ' if where else ''}{_first_line(o.response)}")
                out["comment.reflection"] = "\n".join(labels)
            else:
                out["comment.reflection"] = "寄せられた意見を踏まえて検討した結果、評価書の修正は行わなかった。"
        else:
            out["comment.summary"] = "意見なし"
            out["comment.reflection"] = "意見がなかったため、評価書の修正は行わなかった。"
    review = session.exec(select(Review).where(Review.version_id == version_id).order_by(col(Review.id).desc())).first()
    if review:
        if review.answered_on:
            out["review.date"] = review.answered_on.isoformat()
        out["review.method"] = review.method
        if review.result:
            conditions = session.exec(select(ReviewCondition).where(ReviewCondition.review_id == review.id)).all()
            text = f"「{review.result}」との答申を受けた。"
            if conditions:
                text += "\n答申の条件:\n" + "\n".join(f"・{c.text}" for c in conditions)
            out["review.result"] = text
    approval = session.exec(select(Approval).where(Approval.version_id == version_id)).first()
    if approval:
        if approval.applied_on:
            out["approval.applied_on"] = approval.applied_on.isoformat()
        if approval.review_notes:
            out["approval.notes"] = approval.review_notes
    return out


def _first_line(text: str, limit: int = 200) -> str:
    line = (text or "").strip().split("\n")[0]
    return line if len(line) <= limit else line[:limit] + "…"


def from_procedure(session: Session, *, actor: Actor, version: AssessmentVersion, assessment: Assessment,
                   prefix: str) -> list[str]:
    """Write the procedure values whose source starts with `prefix` into empty items; return the items filled."""
    d = catalogue.definition(assessment.form, version.form_version)
    computed = values(session, pk(version), d)
    stored = {a.item_id: a for a in session.exec(select(Answer).where(Answer.version_id == version.id,
                                                                      Answer.file_uid == "")).all()}
    filled = []
    for item in d.items():
        if not item.fill_from or not item.fill_from.startswith(prefix) or item.fill_from not in computed:
            continue
        row = stored.get(item.id) or Answer(version_id=pk(version), file_uid="", item_id=item.id)
        if row.id and not empty(item, row.value):
            continue
        row.value, row.updated_by_id = computed[item.fill_from], actor.user_id
        session.add(row)
        filled.append(item.id)
    session.flush()
    return filled
