"""The ※ question after a save costs a fixed number of statements, however many files and measures there are."""
from __future__ import annotations

from sqlmodel import Session, select

from app.domain.answers import field_name
from app.domain.policy import SYSTEM
from app.models import Answer, Assessment, AssessmentVersion, Jimu
from app.querycount import count_queries
from app.services import assessments
from tests.factories import page_form, replace


def juki(read) -> int:
    jid = read(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務"))[0]
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]


def save_cost(browser, engine, vid: int, uid: str, text: str) -> int:
    url = f"/versions/{vid}/edit/II~II.6?file={uid}"
    pairs, action = page_form(browser, url)
    pairs = replace(pairs, field_name("a", "II.6.1"), text)
    with count_queries(engine) as c:
        r = browser.post(action, pairs, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:300]
    assert "change-questions" in r.text
    return c.count


def test_question_after_save_does_not_grow_with_files(browser, read, demo_engine):
    aid = juki(read)
    browser.login_as("records")
    assert browser.post(f"/assessments/{aid}/revise", {"reason": "change"}).status_code == 303
    v2 = read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid, AssessmentVersion.seq == 2))[0]
    uid = read(select(Answer.file_uid).where(Answer.version_id == v2.id, Answer.item_id == "II.6.1"))[0]
    small = save_cost(browser, demo_engine, v2.id, uid, "保管場所の記載を改める(1)")
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": read(select(Assessment.organisation_id))[0]})
    with Session(demo_engine, expire_on_commit=False) as s:
        for n in range(4):
            assessments.add_file(s, actor=actor, version_id=v2.id, name=f"追加のファイル{n}")
    large = save_cost(browser, demo_engine, v2.id, uid, "保管場所の記載を改める(2)")
    assert small == large, (small, large)
    assert large <= 25
