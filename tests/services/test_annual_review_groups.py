"""app/services/annual.py for the grouped 見直し (issue 14 item 8): the outline (checklist, files → risks, Ⅳ),
the per-group bulk action that needs its confirmation, and the autosave of one answer with its lock."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, ValidationFailed
from app.models import AnnualReviewCheck, Assessment, AuditLog, Jimu, User, VersionFile
from app.services import annual
from app.services.auth import actor_for

TODAY = date(2026, 11, 23)


def _actor(s, login: str = "records"):
    return actor_for(s, s.exec(select(User).where(User.login_id == login)).one())


@pytest.fixture
def started(demo_engine):
    """A session and an open review of the 住基 全項目 (3 files): (session, actor, review)."""
    with Session(demo_engine, expire_on_commit=False) as s:
        actor = _actor(s)
        jid = s.exec(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務")).one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
        yield s, actor, annual.start(s, actor=actor, assessment_id=aid, today=TODAY)


def _state(s, review_id):
    s.expire_all()
    return [(c.id, c.status, c.lock_version) for c in s.exec(
        select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == review_id).order_by(AnnualReviewCheck.id))]


def test_outline_is_checklist_then_each_file_by_risk_then_iv(started):
    s, actor, review = started
    _, checks = annual.get(s, actor=actor, review_id=review.id)
    parts = annual.outline(s, review, checks)
    files = s.exec(select(VersionFile).where(VersionFile.version_id == review.version_id)
                   .order_by(VersionFile.position)).all()
    assert [p.key for p in parts][:4] == ["checklist", *[f.uid for f in files]]
    assert [p.title for p in parts][1:4] == [f"【{f.name}】" for f in files]
    assert parts[4].title.startswith("Ⅳ") and len(parts) == 5
    assert parts[0].total == 7 and [g.slug for g in parts[0].groups] == ["checklist"]
    # every question is in exactly one group, in the order of the review
    grouped = [c.id for g in annual.groups_of(parts) for c in g.checks]
    assert sorted(grouped) == sorted(c.id for c in checks) and len(set(grouped)) == len(checks) == 237
    # a file's groups are its risks: the same file, the same risk heading
    first = parts[1].groups[0]
    assert first.title == "2.特定個人情報の入手(情報提供ネットワークシステムを通じた入手を除く。) › リスク1: 目的外の入手が行われるリスク"
    assert {c.file_uid for c in first.checks} == {files[0].uid}
    assert {c.item_id.split(".")[2] for c in first.checks} == {"r1"}
    assert all(first.labels[c.id].endswith(("に対する措置)", "における措置)")) for c in first.checks)
    slugs = [g.slug for g in annual.groups_of(parts)]
    assert len(slugs) == len(set(slugs))  # unique, also across files with the same risks
    assert all(g.total == len(g.checks) and g.answered == 0 for g in annual.groups_of(parts))
    assert annual.open_group(parts) == "checklist"
    assert annual.open_group(parts, slugs[5]) == slugs[5] and annual.open_group(parts, "nonsense") == "checklist"


def test_group_bulk_needs_the_confirmed_count_and_answers_that_group_only(started):
    s, actor, review = started
    _, checks = annual.get(s, actor=actor, review_id=review.id)
    group = annual.groups_of(annual.outline(s, review, checks))[3]
    before = _state(s, review.id)
    audits = s.exec(select(AuditLog.id)).all()

    with pytest.raises(ValidationFailed) as exc:  # no confirmation: nothing changes
        annual.mark_group(s, actor=actor, review_id=review.id, slug=group.slug, confirmed=None)
    assert "確認" in exc.value.errors["confirm"] and f"未回答{group.total}件" in exc.value.errors["confirm"]
    s.rollback()
    with pytest.raises(Conflict, match="もう一度確認"):  # the count seen is not the count now
        annual.mark_group(s, actor=actor, review_id=review.id, slug=group.slug, confirmed=group.total + 1)
    s.rollback()
    assert _state(s, review.id) == before and s.exec(select(AuditLog.id)).all() == audits

    preview = annual.bulk_preview(s, actor=actor, review_id=review.id, slug=group.slug)
    assert preview.unanswered == group.total
    done, n = annual.mark_group(s, actor=actor, review_id=review.id, slug=group.slug, confirmed=str(preview.unanswered))
    assert n == group.total and done.slug == group.slug
    mine = {c.id for c in group.checks}
    after = _state(s, review.id)
    assert all((st, lv) == ("in_place", 2) for cid, st, lv in after if cid in mine)
    assert all((st, lv) == ("", 1) for cid, st, lv in after if cid not in mine)
    log = s.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert log.action == "answered" and group.title in log.note

    # again: nothing left to answer in it, and a confirmation of 0 is a no-op
    _, zero = annual.mark_group(s, actor=actor, review_id=review.id, slug=group.slug, confirmed=0)
    assert zero == 0 and _state(s, review.id) == after
    with pytest.raises(ValidationFailed):
        annual.mark_group(s, actor=actor, review_id=review.id, slug=group.slug, confirmed=0, status="partial")


def test_save_check_claims_its_lock_and_refuses_a_stale_one(started):
    s, actor, review = started
    _, checks = annual.get(s, actor=actor, review_id=review.id)
    c = checks[10]
    saved, changed = annual.save_check(s, actor=actor, review_id=review.id, check_id=c.id, status="in_place", note="",
                                       lock_version="1")
    assert changed and saved.lock_version == 2 and saved.answered_by_id == actor.user_id and saved.answered_at
    # unchanged: no claim (a stale lock does not matter when nothing would change)
    _, changed = annual.save_check(s, actor=actor, review_id=review.id, check_id=c.id, status="in_place", note="",
                                   lock_version="1")
    assert not changed and _state(s, review.id)[10][2] == 2
    # changed from the stale version: 409 naming who saved it; nothing changes
    other = _actor(s, "shimin")
    with pytest.raises(Conflict) as exc:
        annual.save_check(s, actor=other, review_id=review.id, check_id=c.id, status="not_in_place", note="未実施。",
                          lock_version="1")
    s.rollback()
    assert "さんが" in exc.value.message and "「実施中」" in exc.value.message
    assert exc.value.current["check_id"] == c.id
    assert [x for x in _state(s, review.id) if x[0] == c.id] == [(c.id, "in_place", 2)]
    # a shortfall needs its memo
    with pytest.raises(ValidationFailed) as bad:
        annual.save_check(s, actor=other, review_id=review.id, check_id=c.id, status="partial", note=" ", lock_version="2")
    assert "メモに記入" in bad.value.errors[f"note-{c.id}"]
    s.rollback()
    annual.save_check(s, actor=other, review_id=review.id, check_id=c.id, status="partial", note="一部。", lock_version="2")
    assert [x for x in _state(s, review.id) if x[0] == c.id] == [(c.id, "partial", 3)]


def test_a_completed_review_takes_no_answers(started):
    s, actor, review = started
    _, checks = annual.get(s, actor=actor, review_id=review.id)
    for g in annual.groups_of(annual.outline(s, review, checks)):
        annual.mark_group(s, actor=actor, review_id=review.id, slug=g.slug, confirmed=g.unanswered)
    annual.complete(s, actor=actor, review_id=review.id, outcome="no_change", findings="", completed_on="", today=TODAY)
    with pytest.raises(Conflict, match="完了した見直し"):
        annual.save_check(s, actor=actor, review_id=review.id, check_id=checks[0].id, status="", note="", lock_version="2")
    with pytest.raises(Conflict, match="完了した見直し"):
        annual.mark_group(s, actor=actor, review_id=review.id, slug="checklist", confirmed=0)
