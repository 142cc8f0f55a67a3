"""Issue 11 item 8: every "one open X per Y" rule is a partial unique index, and a double submit that gets past the
service's own check (two requests reading "none open" at once) answers 409, never 500.

The race itself is reproduced over HTTP in tests/robustness/test_integrity_races.py; here each rule is checked
deterministically: the index refuses a second open row, and each service turns that refusal into a Conflict.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import Conflict
from app.models import (
    AnnualReview,
    Approval,
    Assessment,
    AssessmentVersion,
    Council,
    ImprovementAction,
    Jimu,
    PublicComment,
    Review,
    User,
)
from app.services import annual, approval, assessments, comments, council, revisions
from app.services.auth import actor_for

TODAY = date(2026, 11, 23)


def _aid(s, name: str, form: str = "full") -> int:
    jid = s.exec(select(Jimu.id).where(Jimu.name == name)).one()
    return s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()


def _latest(s, aid: int) -> AssessmentVersion:
    return assessments.current_version(s, aid)


def _records(s):
    return actor_for(s, s.exec(select(User).where(User.login_id == "records")).one())


JUKI, KOKUHO = "住民基本台帳に関する事務", "国民健康保険に関する事務"


def _second_open_rows(s):
    """A second open row for each rule, next to an existing open one (by index name)."""
    juki, kokuho = _aid(s, JUKI), _aid(s, KOKUHO)
    pub = _latest(s, juki)
    draft = _latest(s, kokuho)
    return {
        "ux_assessmentversion_working": lambda: [
            AssessmentVersion(assessment_id=kokuho, seq=draft.seq + 1, form_version=draft.form_version)],
        "ux_annualreview_open": lambda: [AnnualReview(assessment_id=juki, version_id=pub.id, started_on=TODAY),
                                         AnnualReview(assessment_id=juki, version_id=pub.id, started_on=TODAY)],
        "ux_publiccomment_open": lambda: [PublicComment(version_id=draft.id), PublicComment(version_id=draft.id)],
        "ux_review_open": lambda: [Review(version_id=draft.id, council_id=s.exec(select(Council.id)).first()),
                                   Review(version_id=draft.id, council_id=s.exec(select(Council.id)).first())],
        "ux_approval_version": lambda: [Approval(version_id=draft.id), Approval(version_id=draft.id)],
        "ux_improvementaction_open": lambda: [
            ImprovementAction(assessment_id=kokuho, version_id=draft.id, item_id="X.1", content="a"),
            ImprovementAction(assessment_id=kokuho, version_id=draft.id, item_id="X.1", content="b")],
    }


@pytest.mark.parametrize("index", ["ux_assessmentversion_working", "ux_annualreview_open", "ux_publiccomment_open",
                                   "ux_review_open", "ux_approval_version", "ux_improvementaction_open"])
def test_the_database_refuses_a_second_open_row(demo_engine, index):
    with Session(demo_engine) as s:
        rows = _second_open_rows(s)[index]()
        with pytest.raises(IntegrityError) as exc:  # noqa: PT012 - the second open row fails on its flush
            for r in rows:
                s.add(r)
                s.flush()
        assert index in str(exc.value) or "UNIQUE" in str(exc.value)


def test_closed_rows_do_not_count(demo_engine):
    """The indexes are partial: closed reviews / comments / actions and published versions may repeat."""
    with Session(demo_engine) as s:
        juki = _aid(s, JUKI)
        pub = _latest(s, juki)
        for _ in range(3):
            s.add(AnnualReview(assessment_id=juki, version_id=pub.id, started_on=TODAY, completed_on=TODAY))
            s.add(PublicComment(version_id=pub.id, closed_on=TODAY))
            s.add(ImprovementAction(assessment_id=juki, version_id=pub.id, item_id="Y.1", status="closed"))
        s.flush()


def test_services_turn_the_index_into_a_conflict(demo_engine, monkeypatch):
    """Each service's own "is one open?" read is made to miss (as when two requests read at once)."""
    with Session(demo_engine, expire_on_commit=False) as s:
        actor = _records(s)
        kokuho = _aid(s, KOKUHO)
        draft = _latest(s, kokuho)
        cid = s.exec(select(Council.id)).first()
        s.add_all([PublicComment(version_id=draft.id, method="先行"), Review(version_id=draft.id, council_id=cid),
                   Approval(version_id=draft.id)])
        s.commit()
        monkeypatch.setattr(comments, "current", lambda *_: None)
        monkeypatch.setattr(council, "current_review", lambda *_: None)
        monkeypatch.setattr(approval, "current", lambda *_: None)
        calls = {
            "comments.setup": lambda: comments.setup(s, actor=actor, version_id=draft.id, method="ホームページ",
                                                     start="2026-12-01", end="2026-12-31", reason=""),
            "council.setup_review": lambda: council.setup_review(s, actor=actor, version_id=draft.id,
                                                                 council_id=str(cid), consulted_on="2026-11-20",
                                                                 method="諮問"),
            "approval.save": lambda: approval.save(s, actor=actor, version_id=draft.id, applied_on="2026-11-20",
                                                   notes=""),
        }
        for _name, call in calls.items():
            with pytest.raises(Conflict, match="先に登録しました"):
                call()
            s.rollback()


def test_revise_with_a_draft_in_between_is_a_conflict(demo_engine, monkeypatch):
    """改訂 whose "is the current version published?" read missed a concurrent draft: 409 from the index."""
    with Session(demo_engine, expire_on_commit=False) as s:
        actor = _records(s)
        juki = _aid(s, JUKI)
        pub = _latest(s, juki)
        revisions.revise(s, actor=actor, assessment_id=juki, reason="change")
        monkeypatch.setattr(assessments, "current_version", lambda *_: pub)
        with pytest.raises(Conflict, match="作成中・手続中の版"):
            revisions.revise(s, actor=actor, assessment_id=juki, reason="change")
        s.rollback()
        working = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == juki,
                                                         AssessmentVersion.stage != "published")).all()
        assert len(working) == 1


def test_annual_review_start_twice_returns_the_open_one(demo_engine):
    with Session(demo_engine, expire_on_commit=False) as s:
        actor = _records(s)
        juki = _aid(s, JUKI)
        first = annual.start(s, actor=actor, assessment_id=juki, today=TODAY)
        again = annual.start(s, actor=actor, assessment_id=juki, today=TODAY)
        assert again.id == first.id


def test_an_integrity_error_that_escapes_is_a_409_page(browser, read, monkeypatch):
    """The safety net in main.py: a unique violation no service caught is a Japanese 409, not a 500."""
    from app.routes import exports as export_routes

    def boom(*_a, **_k):
        raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed: x"))

    monkeypatch.setattr(export_routes.changes, "save_row", boom)
    aid = read(select(Assessment.id))[0]
    browser.login_as("records")
    r = browser.post(f"/assessments/{aid}/changes", {"item_label": "x"})
    assert r.status_code == 409 and "同時に行われた他の操作" in r.text


def test_double_registration_of_a_jimu_is_a_conflict(demo_engine, monkeypatch):
    """Two 事務 registrations with one name that both passed the name check: the second is a 409."""
    from app.services import register

    with Session(demo_engine, expire_on_commit=False) as s:
        actor = _records(s)
        existing = s.exec(select(Jimu).where(Jimu.name == JUKI)).one()
        clean = {"name": existing.name, "department_id": existing.department_id, "legal_basis": "", "status": "active",
                 "handlers": 0, "handlers_as_of": None, "dedup_subjects": None, "dedup_note": "", "files": []}
        monkeypatch.setattr(register, "validate", lambda *a, **k: dict(clean))
        with pytest.raises(Conflict, match="先に登録しました"):
            register.create(s, actor=actor, organisation_id=existing.organisation_id, data=None, today=TODAY)
        s.rollback()
        assert len(s.exec(select(Jimu).where(Jimu.name == JUKI)).all()) == 1
