"""The procedure services behind issue 11 items 13, 17 and 18, without HTTP: `procedure.fire` and its side effects."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.domain.policy import Actor
from app.errors import Conflict, ValidationFailed
from app.models import Assessment, AssessmentVersion, Council, Jimu, PublicComment, Review, Snapshot, StageEvent, User
from app.services import catalogue, comments, council, procedure
from tests.fill import complete

D = date(2026, 11, 23)


@pytest.fixture
def records(db) -> Actor:
    u = db.exec(select(User).where(User.login_id == "records")).one()
    return Actor(user_id=u.id, login_id=u.login_id, role="records", organisation_id=u.organisation_id)


def kokuho(db, form: str) -> tuple[Assessment, AssessmentVersion]:
    jid = db.exec(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務")).one()
    a = db.exec(select(Assessment).where(Assessment.jimu_id == jid, Assessment.form == form)).one()
    v = db.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)).one()
    return a, v


def go(db, actor, v, action, today=D, **kw):
    db.refresh(v)
    return procedure.fire(db, actor=actor, version_id=v.id, action=action, lock=str(v.stage_lock), today=today, **kw)


def to_review_revision(db, records) -> AssessmentVersion:
    _a, v = kokuho(db, "full")
    complete(db, catalogue.definition("full", v.form_version), v.id)
    db.commit()
    go(db, records, v, "submit_for_check")
    comments.setup(db, actor=records, version_id=v.id, method="市HP", start=D.isoformat(), end="2026-12-22", reason="",
                   today=D)
    go(db, records, v, "start_comment")
    go(db, records, v, "close_comment", today=date(2026, 11, 30), reason="事務の見直しが決まったため")
    cid = db.exec(select(Council.id)).first()
    council.setup_review(db, actor=records, version_id=v.id, council_id=str(cid), consulted_on="2026-12-01", method="諮問")
    go(db, records, v, "start_review", today=date(2026, 12, 1))
    council.record_answer(db, actor=records, version_id=v.id, result="適当", answered_on="2026-12-10", text="第1回",
                          conditions=[])
    go(db, records, v, "close_review", today=date(2026, 12, 10))
    return v


def test_reopen_review_opens_a_new_round_with_a_new_snapshot(db, records):
    v = to_review_revision(db, records)
    c = db.exec(select(PublicComment).where(PublicComment.version_id == v.id)).one()
    assert (c.closed_on, c.early_close_reason) == (date(2026, 11, 30), "事務の見直しが決まったため")
    go(db, records, v, "reopen_review", today=date(2026, 12, 15), reason="条件への対応を確認いただくため")
    old, new = db.exec(select(Review).where(Review.version_id == v.id).order_by(Review.id)).all()
    assert (old.round, old.answer_text, old.closed_on) == (1, "第1回", date(2026, 12, 10))
    assert (new.round, new.result, new.answered_on, new.closed_on) == (2, "", None, None)
    assert new.snapshot_id != old.snapshot_id
    assert db.get(Snapshot, new.snapshot_id).purpose == "council"
    assert council.current_review(db, v.id).id == new.id and [r.round for r in council.rounds(db, v.id)] == [1, 2]
    with pytest.raises(Conflict, match="答申"):
        go(db, records, v, "close_review", today=date(2026, 12, 16))
    db.rollback()
    with pytest.raises(Conflict, match="実施中は諮問の内容を変更できません"):
        council.setup_review(db, actor=records, version_id=v.id, council_id=str(new.council_id), consulted_on="2026-12-15",
                             method="x")
    db.rollback()
    council.record_answer(db, actor=records, version_id=v.id, result="適当", answered_on="2026-12-20", text="第2回",
                          conditions=[])
    go(db, records, v, "close_review", today=date(2026, 12, 20))
    db.refresh(v)
    assert v.stage == "review_revision"


def test_with_basic_moves_both_or_neither(db, records):
    v = to_review_revision(db, records)
    _, bv = kokuho(db, "basic")
    go(db, records, bv, "submit_for_check")
    from app.models import Answer

    for row in db.exec(select(Answer).where(Answer.version_id == bv.id, Answer.item_id == "I.1.2")).all():
        db.delete(row)  # the 基礎 is not finished (a required item is empty)
    db.commit()
    events = len(db.exec(select(StageEvent)).all())
    with pytest.raises(Conflict, match="未記入・不整合"):  # the 基礎 is still incomplete
        go(db, records, v, "submit", today=date(2026, 12, 21), on_date="2026-12-21", with_basic=True)
    db.rollback()
    db.refresh(bv)
    db.refresh(v)
    assert (bv.stage, v.stage, len(db.exec(select(StageEvent)).all())) == ("internal_check", "review_revision", events)
    complete(db, catalogue.definition("basic", bv.form_version), bv.id)
    db.commit()
    with pytest.raises(ValidationFailed):  # the 全項目's own date problem undoes the 基礎's step too
        go(db, records, v, "submit", today=date(2026, 12, 21), on_date="2026-13-01", with_basic=True)
    db.rollback()
    db.refresh(bv)
    assert bv.stage == "internal_check"
    go(db, records, v, "submit", today=date(2026, 12, 21), on_date="2026-12-21", with_basic=True)
    db.refresh(bv)
    db.refresh(v)
    assert (bv.stage, bv.submitted_on, v.stage) == ("submitted", date(2026, 12, 21), "submitted")
    assert db.exec(select(Snapshot).where(Snapshot.version_id == bv.id, Snapshot.purpose == "submission")).first()


def test_a_comment_period_in_the_past_is_refused_when_registered(db, records):
    _, v = kokuho(db, "full")
    with pytest.raises(ValidationFailed) as exc:
        comments.setup(db, actor=records, version_id=v.id, method="市HP", start="2026-10-20", end="2026-11-25", reason="",
                       today=date(2026, 12, 2))
    assert "過ぎています" in exc.value.errors["start_on"]


def test_the_basic_must_come_from_the_same_determination(db, records):
    from app.models import Determination

    v = to_review_revision(db, records)
    _, bv = kokuho(db, "basic")
    go(db, records, bv, "submit_for_check")
    go(db, records, bv, "submit", today=date(2026, 12, 21), on_date="2026-12-21")
    db.refresh(bv)
    other = db.exec(select(Determination.id).where(Determination.id != bv.determination_id)).first()
    bv.determination_id = other  # a 基礎 submitted under another しきい値判断 (e.g. before the counts changed)
    db.add(bv)
    db.commit()
    with pytest.raises(Conflict, match="別のしきい値判断"):
        go(db, records, v, "submit", today=date(2026, 12, 21), on_date="2026-12-21")
    db.rollback()
    bv.determination_id = v.determination_id
    db.add(bv)
    db.commit()
    go(db, records, v, "submit", today=date(2026, 12, 21), on_date="2026-12-21")
    db.refresh(v)
    assert v.stage == "submitted"
