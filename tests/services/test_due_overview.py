"""Issue 18: the home page's deadlines and the 期限管理 screen's figures come from aggregates (due.dated_items),
not from every row of due.rows — and give exactly what the rows give, for a user who sees everything and for a
department user, on the demo grown with synthetic 事務 (all stages, 改善策, 意見公募, ended 事務)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from app.models import User
from app.services import due
from app.services.auth import actor_for
from tests import dbutil
from tests.perf import bulk


@pytest.fixture
def grown(demo_engine):
    bulk.grow(demo_engine, 90)
    return demo_engine


def _key(deadlines):
    return [(x.row.assessment.id, x.due.kind, x.due.due_on, x.due.status, x.due.label) for x in deadlines]


@pytest.mark.parametrize("login", ["records", "hoken", "admin"])
@pytest.mark.parametrize("shift", [0, 200, 2_000])  # the demo's day, later, and years later (most overdue)
def test_overview_and_upcoming_match_the_rows(grown, login, shift):
    today = dbutil.DEMO_TODAY + timedelta(days=shift)
    with Session(grown) as s:
        actor = actor_for(s, s.exec(select(User).where(User.login_id == login)).one())
        rows = due.rows(s, actor=actor, today=today)
        assert len(rows) > 10
        ov = due.overview(s, actor=actor, today=today)
        assert ov.counts == due.counts(rows)
        assert ov.ids == [r.assessment.id for r in rows]
        assert ov.attention == [r.assessment.id for r in rows if r.attention]
        for limit in (1, 12, 40):
            shown, more = due.upcoming_deadlines(s, actor=actor, today=today, limit=limit)
            expected, expected_more = due.upcoming(rows, limit=limit)
            assert _key(shown) == _key(expected)
            assert more == expected_more
        for horizon in ("due_30", "due_90"):
            assert due.due_items(due.attention_rows(s, actor=actor, today=today), horizon=horizon) == \
                due.due_items(rows, horizon=horizon)
        dept = rows[0].jimu.department_id
        shown, more = due.upcoming_deadlines(s, actor=actor, today=today, department_id=dept)
        expected, expected_more = due.upcoming(due.rows(s, actor=actor, today=today, department_id=dept))
        assert (_key(shown), more) == (_key(expected), expected_more)


def test_a_flag_counts_like_the_rows(grown):
    """Raise a 事務's register above what is published: the 「再実施が必要」 flag is counted the same way."""
    from app.models import Jimu, SpecificFile

    with Session(grown) as s:
        actor = actor_for(s, s.exec(select(User).where(User.login_id == "records")).one())
        for j in s.exec(select(Jimu).where(Jimu.name.like("負荷試験用%"))).all()[:6]:
            j.handlers = 900
            for f in s.exec(select(SpecificFile).where(SpecificFile.jimu_id == j.id)).all():
                f.subjects = 400_000
                s.add(f)
            s.add(j)
        s.commit()
        today = date(2026, 11, 23)
        rows = due.rows(s, actor=actor, today=today)
        ov = due.overview(s, actor=actor, today=today)
        assert ov.counts["flag"] > 0
        assert ov.counts == due.counts(rows)
        assert ov.attention == [r.assessment.id for r in rows if r.attention]
