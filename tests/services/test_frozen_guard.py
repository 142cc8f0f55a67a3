"""Issue 11 item 5: one guard (assessments.ensure_writable) in front of every write to a version's content.

Each write service is called on a published (frozen) version and on versions in stages whose text may not change
(庁内確認, 提出済, 承認済): every call is refused with a Conflict (409, Japanese reason) and nothing is written.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from app.domain import workflow
from app.domain.answers import ParsedPage
from app.errors import Conflict
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ChangeClass,
    ChangeRow,
    ImprovementAction,
    Jimu,
    PageLock,
    UnmappedAnswer,
    User,
    VersionFile,
)
from app.services import answers, assessments, changes, jsonio, revisions
from app.services.auth import actor_for

TODAY = date(2026, 11, 23)
JUKI, KOKUHO = "住民基本台帳に関する事務", "国民健康保険に関する事務"
WATCHED = (Answer, ChangeRow, VersionFile, PageLock, ChangeClass, UnmappedAnswer, ImprovementAction, AssessmentVersion)


def _aid(s: Session, jimu: str, form: str = "full") -> int:
    jid = s.exec(select(Jimu.id).where(Jimu.name == jimu)).one()
    return s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()


def _latest(s: Session, aid: int) -> AssessmentVersion:
    return s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)
                  .order_by(AssessmentVersion.seq.desc())).first()


def _state(engine) -> dict:
    with Session(engine) as s:
        out = {m.__name__: s.exec(select(func.count()).select_from(m)).one() for m in WATCHED}
        out["answers"] = sorted((a.id, repr(a.value), a.withheld) for a in s.exec(select(Answer)).all())
        out["rows"] = sorted((r.id, r.item_label, r.before_text) for r in s.exec(select(ChangeRow)).all())
        out["files"] = sorted((f.id, f.name, f.position) for f in s.exec(select(VersionFile)).all())
        out["versions"] = sorted((v.id, v.kind, v.planned_change_on) for v in s.exec(select(AssessmentVersion)).all())
        return out


def _page(s: Session, v: AssessmentVersion, a: Assessment) -> tuple[str, str, str]:
    """A page of the version with an answered text item: (page id, file uid, item id)."""
    d = answers.version_definition(v, a.form)
    for page in d.pages:
        uid = ""
        if page.scope == "file":
            uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == v.id)).first()
        for item in page.walk():
            if item.type in ("text", "textarea") and not item.readonly:
                return page.id, uid, item.id
    raise AssertionError("no text item")


def _writes(s: Session, actor, v: AssessmentVersion, a: Assessment):
    """Every service that writes a version's content, as (name, call)."""
    page_id, uid, item_id = _page(s, v, a)
    lock = str(s.get(PageLock, (v.id, page_id, uid)).lock)
    vf = s.exec(select(VersionFile).where(VersionFile.version_id == v.id)).first()
    exported = jsonio.export_version(s, actor=actor, version_id=v.id)
    unmapped = UnmappedAnswer(version_id=v.id, old_item_id="x", label="旧様式の項目", text="旧様式の記載")
    row = ChangeRow(assessment_id=a.id, version_seq=v.seq, item_label="この版の変更箇所", before_text="前")
    s.add_all([unmapped, row])
    s.commit()
    yield "answers.save_page", lambda: answers.save_page(
        s, actor=actor, version_id=v.id, page_id=page_id, file_uid=uid, lock=lock, today=TODAY,
        parsed=ParsedPage(values={item_id: "凍結後の書換え"}))
    yield "answers.save_page(非公表)", lambda: answers.save_page(
        s, actor=actor, version_id=v.id, page_id=page_id, file_uid=uid, lock=lock, today=TODAY,
        parsed=ParsedPage(withheld={item_id: (True, "セキュリティ上の理由")}))
    yield "assessments.add_file", lambda: assessments.add_file(s, actor=actor, version_id=v.id, name="追加ファイル")
    yield "assessments.remove_file", lambda: assessments.remove_file(s, actor=actor, version_id=v.id, uid=vf.uid)
    yield "assessments.move_file", lambda: assessments.move_file(s, actor=actor, version_id=v.id, uid=vf.uid,
                                                                 direction="down")
    yield "assessments.rename_file", lambda: assessments.rename_file(s, actor=actor, version_id=v.id, uid=vf.uid,
                                                                     name="改名")
    yield "changes.save_row(add)", lambda: changes.save_row(
        s, actor=actor, assessment_id=a.id, today=TODAY,
        data={"item_label": "公表後に追加", "before_text": "前", "after_text": "後", "timing": "事前"})
    yield "changes.save_row(delete)", lambda: changes.save_row(
        s, actor=actor, assessment_id=a.id, today=TODAY, data={"id": str(row.id), "delete": "1"})
    yield "changes.save_row(edit)", lambda: changes.save_row(
        s, actor=actor, assessment_id=a.id, today=TODAY, data={"id": str(row.id), "item_label": "書換え"})
    yield "revisions.merge_rows", lambda: revisions.merge_rows(s, actor=actor, assessment_id=a.id, row_ids=[1, 2])
    yield "revisions.generate_rows", lambda: revisions.generate_rows(s, actor=actor, version_id=v.id, today=TODAY)
    yield "revisions.classify", lambda: revisions.classify(s, actor=actor, version_id=v.id, file_uid=uid,
                                                           item_id=item_id, cls="important")
    yield "revisions.set_planned_change", lambda: revisions.set_planned_change(
        s, actor=actor, version_id=v.id, planned_change_on=date(2027, 4, 1), today=TODAY)
    yield "revisions.resolve_unmapped", lambda: revisions.resolve_unmapped(
        s, actor=actor, unmapped_id=unmapped.id, resolution="別の項目に記載")
    yield "jsonio.import_version(into)", lambda: jsonio.import_version(s, actor=actor, data=exported, into=a.id)


def _freeze(engine, aid: int, stage: str) -> None:
    with Session(engine) as s:
        v = _latest(s, aid)
        s.exec(update(AssessmentVersion).where(AssessmentVersion.id == v.id)
               .values(stage=stage, frozen=stage == "published"))
        s.commit()


@pytest.mark.parametrize("stage", ["published", "submitted", "internal_check", "approved"])
def test_every_content_write_is_refused_on_a_frozen_version(demo_engine, stage):
    assert not workflow.editable(stage)
    with Session(demo_engine) as s:
        aid = _aid(s, KOKUHO)
    _freeze(demo_engine, aid, stage)
    with Session(demo_engine, expire_on_commit=False) as s:
        actor = actor_for(s, s.exec(select(User).where(User.login_id == "records")).one())
        v = _latest(s, aid)
        a = s.get(Assessment, aid)
        calls = list(_writes(s, actor, v, a))
        before = _state(demo_engine)
        refused = []
        for name, call in calls:
            with pytest.raises(Conflict) as exc:
                call()
            s.rollback()
            assert "編集できません" in exc.value.message and workflow.STAGE_LABEL[stage] in exc.value.message, name
            refused.append(name)
        assert _state(demo_engine) == before
    assert len(refused) == 15, refused


def test_the_guard_lets_a_working_draft_through(demo_engine):
    """The same services still write a draft (the guard refuses by stage, not by service)."""
    with Session(demo_engine, expire_on_commit=False) as s:
        aid = _aid(s, KOKUHO)
        actor = actor_for(s, s.exec(select(User).where(User.login_id == "records")).one())
        v = _latest(s, aid)
        assert workflow.editable(v.stage)
        vf = assessments.add_file(s, actor=actor, version_id=v.id, name="下書きに追加")
        assessments.rename_file(s, actor=actor, version_id=v.id, uid=vf.uid, name="下書きで改名")
        row = changes.save_row(s, actor=actor, assessment_id=aid, today=TODAY,
                               data={"item_label": "下書きの変更", "before_text": "前", "after_text": "後"})
        assert row is not None and row.version_seq == v.seq


def test_change_rows_of_a_published_version_cannot_be_added_or_deleted(demo_engine):
    """The reproduced defect: 変更箇所 rows added to / deleted from the published 住基 全項目評価書."""
    with Session(demo_engine, expire_on_commit=False) as s:
        aid = _aid(s, JUKI)
        v = _latest(s, aid)
        assert v.stage == "published"
        actor = actor_for(s, s.exec(select(User).where(User.login_id == "records")).one())
        with pytest.raises(Conflict, match="公表済"):
            changes.save_row(s, actor=actor, assessment_id=aid, today=TODAY,
                             data={"item_label": "公表後に追加", "before_text": "前", "after_text": "後"})
        s.rollback()
        assert s.exec(select(func.count()).select_from(ChangeRow).where(ChangeRow.assessment_id == aid)).one() == \
            len(changes.rows_of(s, aid))
