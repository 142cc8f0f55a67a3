"""The demo shows the whole life of a 評価書 (issue 14 item 15): `spia list` on the demo shows procedures in flight,
made through the services (stage events by the 文書担当, audit entries), and the legal bases are real text."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.models import (
    Answer,
    AuditLog,
    ChangeRow,
    Finding,
    ImprovementAction,
    Jimu,
    Meeting,
    Opinion,
    PublicComment,
    Review,
    StageEvent,
)
from tests import dbutil

runner = CliRunner()


@pytest.fixture
def life_engine(engine):
    """The whole demo, as `spia demo` loads it (the shared `demo_engine` leaves the procedures in flight out)."""
    rows, _ = dbutil.demo_snapshot(in_flight=True)
    dbutil.load_rows(engine, rows)
    return engine


@pytest.fixture
def read(life_engine):
    from sqlmodel import Session

    def run(stmt):
        with Session(life_engine) as s:
            return list(s.exec(stmt).all())

    return run


def _list(engine, monkeypatch, *, load: bool = False) -> list[dict]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        if load:
            r = runner.invoke(app, ["demo", "--today", dbutil.DEMO_TODAY.isoformat()])
            assert r.exit_code == 0 and "デモデータを登録しました" in r.stdout, r.output
        r = runner.invoke(app, ["list", "--json"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_spia_demo_then_list_shows_five_stages(engine, monkeypatch):
    rows = _list(engine, monkeypatch, load=True)
    by = {(r["jimu"], r["form"]): r for r in rows}
    stages = {r["stage"] for r in rows}
    assert len(stages) >= 5, stages
    assert by[("住民基本台帳に関する事務", "full")]["stage"] == "public_comment"
    assert by[("住民基本台帳に関する事務", "full")]["kind"] == "reassessment"
    assert by[("住民基本台帳に関する事務", "full")]["days_in_stage"] >= 12  # dated the day the comment started
    assert by[("個人住民税の賦課徴収に関する事務", "focused")]["stage"] == "third_party_review"
    assert by[("児童手当の支給に関する事務", "basic")]["stage"] == "internal_check"
    assert by[("児童手当の支給に関する事務", "basic")]["kind"] == "correction"
    assert by[("国民健康保険に関する事務", "full")]["stage"] == "draft"
    assert by[("住民基本台帳に関する事務", "basic")]["stage"] == "published"
    assert by[("国民健康保険に関する事務", "full")]["open_actions"] >= 1  # an open 改善策


def test_procedures_in_flight_were_made_through_the_services(read, life_engine, monkeypatch):
    rows = {(r["jimu"], r["form"]): r for r in _list(life_engine, monkeypatch)}
    juki = rows[("住民基本台帳に関する事務", "full")]["version_id"]
    zeimin = rows[("個人住民税の賦課徴収に関する事務", "focused")]["version_id"]
    jidou = rows[("児童手当の支給に関する事務", "basic")]

    comment = read(select(PublicComment).where(PublicComment.version_id == juki))[0]
    assert comment.snapshot_id and (comment.end_on - comment.start_on).days >= 30
    opinions = read(select(Opinion).where(Opinion.comment_id == comment.id))
    assert len(opinions) == 2 and [bool(o.response) for o in opinions] == [True, False]

    review = read(select(Review).where(Review.version_id == zeimin))[0]
    assert review.snapshot_id and review.consulted_on and not review.answered_on
    meeting = read(select(Meeting).where(Meeting.review_id == review.id))
    findings = read(select(Finding).where(Finding.review_id == review.id))
    assert len(meeting) == 1 and len(findings) == 1 and findings[0].status == "open"
    assert findings[0].meeting_id == meeting[0].id

    change_rows = read(select(ChangeRow).where(ChangeRow.assessment_id == jidou["id"],
                                               ChangeRow.version_seq == jidou["version"]))
    assert change_rows and all(r.timing == "事後" and r.timing_note and r.changed_on for r in change_rows)
    assert any("高校生年代" in r.after_text for r in change_rows)

    for vid, actions in ((juki, ["submit_for_check", "start_comment"]), (zeimin, ["submit_for_check", "start_review"]),
                         (jidou["version_id"], ["submit_for_check"])):
        events = read(select(StageEvent).where(StageEvent.version_id == vid).order_by(StageEvent.id))
        assert [e.action for e in events] == actions and {e.actor_login for e in events} == {"records"}
        audited = read(select(AuditLog).where(AuditLog.entity == "assessment_version", AuditLog.entity_id == vid))
        assert {f"stage:{a}" for a in actions} <= {a.action for a in audited}
        assert "page_saved" in {a.action for a in audited}  # the edit went through the editor's save
    assert read(select(ImprovementAction).where(ImprovementAction.status == "open"))


def test_legal_bases_cite_the_act_not_an_ellipsis(read):
    jimu = read(select(Jimu))
    assert len(jimu) == 4
    for j in jimu:
        assert "…" not in j.legal_basis and "項番" not in j.legal_basis
    basis = {j.name: j.legal_basis for j in jimu}
    assert "地方税の賦課徴収に関する事務であって主務省令で定めるもの" in basis["個人住民税の賦課徴収に関する事務"]
    assert "国民健康保険法による保険給付の支給又は保険料の徴収" in basis["国民健康保険に関する事務"]
    assert "第7条(住民票の記載事項)" in basis["住民基本台帳に関する事務"]
    # what the exports print: the 評価書 answers pre-filled from the register carry the same text
    printed = [json.dumps(a.value, ensure_ascii=False) for a in read(select(Answer).where(Answer.item_id.like("%.basis")))]
    assert len(printed) >= 6 and not any("…" in t for t in printed)
    assert any("地方税の賦課徴収に関する事務であって主務省令で定めるもの" in t for t in printed)
