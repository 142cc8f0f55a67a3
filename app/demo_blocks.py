"""共通記載 of the demo city (assessments/demo/blocks.yaml). The blocks with `adopt` are taken, at that level, where the
demo 評価書 already hold their wording (no answer changes); the blocks with a `revision` are then revised once, so the
demo shows proposals."""
from __future__ import annotations

from sqlmodel import Session, col, select

from app.demo_data import Blocks
from app.domain.answer_types import holds_measures
from app.domain.policy import Actor
from app.models import Answer, Assessment, AssessmentVersion, TextBlock, pk
from app.services import assessments, catalogue, text_blocks


def seed(session: Session, blocks: Blocks, *, organisation_id: int) -> int:
    """Create the demo blocks once, record where the demo 評価書 already hold them, then revise some."""
    if session.exec(select(TextBlock).where(TextBlock.organisation_id == organisation_id)).first():
        return 0
    actor = Actor(user_id=None, login_id="demo", role="system", organisation_id=organisation_id)
    made = []
    for spec in blocks.blocks:
        data = {"title": spec.title, "kind": spec.kind, "note": spec.note, "active": True}
        data.update({"text": spec.text} if spec.kind == "text" else {"measures": spec.measures})
        made.append((text_blocks.save(session, actor=actor, data=data), spec.adopt))
    for a in session.exec(select(Assessment).where(Assessment.organisation_id == organisation_id)
                          .order_by(col(Assessment.number), col(Assessment.form))).all():
        v = assessments.current_version(session, pk(a))
        _adopt_all(session, a, v, made)
    session.commit()
    for spec, (block, _) in zip(blocks.blocks, made, strict=True):
        if spec.revision is None:
            continue
        data = {"title": block.title, "note": block.note, "active": True, "lock_version": block.lock_version,
                "reason": spec.revision.reason}
        data.update({"text": spec.revision.text} if block.kind == "text" else {"measures": spec.revision.measures})
        text_blocks.save(session, actor=actor, block_id=block.id, data=data)
    return len(made)


def _adopt_all(session: Session, a: Assessment, v: AssessmentVersion, made: list) -> None:
    d = catalogue.definition(a.form, v.form_version)
    for ans in session.exec(select(Answer).where(Answer.version_id == v.id).order_by(col(Answer.id))).all():
        if not d.has(ans.item_id):
            continue
        item = d.item(ans.item_id)
        for block, level in made:
            if level and (holds_measures(item) if block.kind == "measures" else item.type == "longtext"):
                text_blocks.adopt(session, block=block, version=v, file_uid=ans.file_uid, item_id=ans.item_id,
                                  level=level, value=ans.value)
