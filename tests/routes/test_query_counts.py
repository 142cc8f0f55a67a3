"""Pages issue a constant number of SQL statements however much data there is (no N+1)."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.domain.policy import SYSTEM
from app.models import Department, Organisation
from app.querycount import count_queries
from app.services import register
from app.services.register import FileInput, JimuInput


def add_jimu(engine, n: int) -> None:
    with Session(engine, expire_on_commit=False) as s:
        org = s.exec(select(Organisation)).first()
        dept = s.exec(select(Department).where(Department.name == "市民課")).first()
        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
        for i in range(n):
            register.create(s, actor=actor, organisation_id=org.id, today=date(2026, 11, 1), data=JimuInput(
                name=f"試験用の事務{i:04d}", department_id=str(dept.id), handlers="10", handlers_as_of="2026-04-01",
                files=[FileInput(name=f"ファイル{k}", subjects="5000", subjects_as_of="2026-04-01") for k in range(3)]))


def queries_for(browser, engine, url: str) -> int:
    with count_queries(engine) as counter:
        assert browser.get(url).status_code == 200
    return counter.count


def test_dashboard_and_list_queries_do_not_grow(browser, demo_engine):
    browser.login_as("records")
    small = {url: queries_for(browser, demo_engine, url) for url in ("/", "/jimu", "/api/v1/jimu")}
    add_jimu(demo_engine, 40)
    large = {url: queries_for(browser, demo_engine, url) for url in ("/", "/jimu", "/api/v1/jimu")}
    assert small == large, (small, large)
    # ホーム also lists the user's deadlines (due.rows over the 評価書 the user may see, issue 14 item 10): about ten
    # more statements, a fixed number whatever the number of 事務 / 評価書 (20 since issue 18: rows read once per
    # request, app/services/memo.py)
    assert large["/"] <= 20 and large["/jimu"] <= 12 and large["/api/v1/jimu"] <= 12, large
