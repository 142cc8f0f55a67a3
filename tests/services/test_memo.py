"""The per-request memo (app/services/memo.py): rows read once, and never served after a write in the session."""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Answer, Assessment, AssessmentVersion, Jimu
from app.querycount import count_queries
from app.services import memo
from app.services.answers import version_values


def kokuho_version(session: Session) -> AssessmentVersion:
    jid = session.exec(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務")).one()
    aid = session.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
    return session.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).first()


def test_read_once_then_dropped_by_a_write(demo_engine):
    with Session(demo_engine) as s:
        v = kokuho_version(s)
        with count_queries(demo_engine) as q:
            first = version_values(s, v.id)
            again = version_values(s, v.id)
        assert q.count == 1 and first == again
        again[""]["x"] = "changed by a caller"  # each caller gets dicts of its own
        assert "x" not in version_values(s, v.id)[""]
        row = s.exec(select(Answer).where(Answer.version_id == v.id, Answer.file_uid == "")).first()
        row.value = "書き換えた記載"
        s.add(row)
        # an unflushed change: the read autoflushes and sees it, as the query always did
        assert version_values(s, v.id)[""][row.item_id] == "書き換えた記載"
        with count_queries(demo_engine) as q:
            version_values(s, v.id)
        assert q.count == 1  # the flush dropped what was remembered; read afresh once, then remembered
        s.rollback()
        assert version_values(s, v.id)[""][row.item_id] != "書き換えた記載"


def test_core_update_drops_the_memo(demo_engine):
    from sqlalchemy import update

    with Session(demo_engine) as s:
        v = kokuho_version(s)
        before = version_values(s, v.id)
        item = next(iter(before[""]))
        s.exec(update(Answer).where(Answer.version_id == v.id, Answer.file_uid == "", Answer.item_id == item)
               .values(value="一括で書き換えた記載"))
        assert version_values(s, v.id)[""][item] == "一括で書き換えた記載"
        assert memo.once(s, "k", lambda: 1) == 1 and memo.once(s, "k", lambda: 2) == 1
        s.commit()
        assert memo.once(s, "k", lambda: 2) == 2
