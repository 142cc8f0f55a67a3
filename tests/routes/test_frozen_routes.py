"""Issue 11 item 5 over HTTP: the 変更箇所 routes refuse a published version with 409 and change nothing."""
from __future__ import annotations

from sqlmodel import select

from app.models import Assessment, AssessmentVersion, ChangeRow, Jimu


def _published(read) -> tuple[int, int]:
    jid = read(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務"))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    v = read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)
             .order_by(AssessmentVersion.seq.desc()))[0]
    assert v.stage == "published"
    return aid, v.id


def _rows(read, aid):
    return sorted((r.id, r.item_label, r.before_text, r.after_text)
                  for r in read(select(ChangeRow).where(ChangeRow.assessment_id == aid)))


def test_change_rows_of_a_published_version_are_refused(browser, read):
    aid, vid = _published(read)
    browser.login_as("records")
    before = _rows(read, aid)
    add = {"item_label": "公表後に追加", "before_text": "前", "after_text": "後", "timing": "事前"}
    for url in (f"/assessments/{aid}/changes", f"/versions/{vid}/changes/row"):
        r = browser.post(url, add)
        assert r.status_code == 409, (url, r.status_code)
        assert "公表済" in r.text and "編集できません" in r.text
    if before:
        rid = before[0][0]
        for url in (f"/assessments/{aid}/changes", f"/versions/{vid}/changes/row"):
            assert browser.post(url, {"id": str(rid), "delete": "1"}).status_code == 409
    r = browser.post(f"/versions/{vid}/changes/merge", {"row": [str(x[0]) for x in before[:2]] or ["1", "2"]})
    assert r.status_code == 409
    assert browser.post(f"/versions/{vid}/changes/generate").status_code == 409
    assert _rows(read, aid) == before
