"""一括変更 on the demo: the example campaign's plan (a table), apply all-or-nothing and idempotent, reopening."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.domain.policy import Actor
from app.errors import Forbidden
from app.models import (
    Answer,
    AssessmentVersion,
    AuditLog,
    Campaign,
    CampaignLink,
    ChangeClass,
    ChangeRow,
    User,
)
from app.services import campaigns, completeness, revisions

EXAMPLE = Path(__file__).resolve().parents[2] / "assessments" / "demo" / "campaigns" / "gov_cloud.yaml"
AS_OF = date(2026, 11, 23)
JUKI, ZEI, JIDOU, KOKUHO = ("住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務", "児童手当の支給に関する事務",
                            "国民健康保険に関する事務")
BASIC_STEPS = [("draft", "2027-02-24"), ("internal_check", "2027-03-10"), ("submitted", "2027-03-24"),
               ("published", "2027-03-31")]
FULL_STEPS = [("draft", "2026-10-29"), ("internal_check", "2026-11-12"), ("public_comment", "2026-11-26"),
              ("comment_revision", "2026-12-26"), ("third_party_review", "2027-01-09"),
              ("review_revision", "2027-03-10"), ("submitted", "2027-03-24"), ("published", "2027-03-31")]

# (事務, form): status, kind, 提出時期, procedure (stage, latest start), warnings, edits not applied, changed items
EXPECTED = {
    (JUKI, "full"): ("ready", "reassessment", "事前", FULL_STEPS, 3, [],
                     {"I.2.1", "II.4.rows", "II.6.1", "III.7.r1.6.how", "IV.2.how"}),
    (JUKI, "basic"): ("ready", "correction", "事前", BASIC_STEPS, 0, [], {"I.1.3"}),
    (ZEI, "focused"): ("ready", "reassessment", "事前", BASIC_STEPS, 0, [9],
                       {"I.2.name", "II.4.rows", "II.6.1", "III.7.r1.m"}),
    (ZEI, "basic"): ("ready", "correction", "事前", BASIC_STEPS, 0, [], {"I.1.3"}),
    (JIDOU, "basic"): ("ready", "correction", "事前", BASIC_STEPS, 0, [], {"I.1.3"}),
    (KOKUHO, "full"): ("skipped", "", "", [], 0, [], set()),
    (KOKUHO, "basic"): ("skipped", "", "", [], 0, [], set()),
}


def actor_of(db, login="records") -> Actor:
    u = db.exec(select(User).where(User.login_id == login)).one()
    return Actor(user_id=u.id, login_id=u.login_id, role=u.role, organisation_id=u.organisation_id,
                 department_ids=frozenset())


def example() -> dict:
    return campaigns.read_yaml(EXAMPLE.read_text("utf-8"))


def test_the_example_plan_on_the_demo(db):
    rows, missing = campaigns.plan(db, actor=actor_of(db), spec=campaigns.parse(example()), as_of=AS_OF)
    assert missing == []
    got = {(r.jimu.name, r.assessment.form): r.as_dict(AS_OF) for r in rows}
    assert set(got) == set(EXPECTED)
    for key, (status, kind, timing, steps, warnings, not_applied, items) in EXPECTED.items():
        d = got[key]
        assert (d["status"], d["kind"], d["timing"]) == (status, kind, timing), key
        assert [(s["stage"], s["latest_start"]) for s in d["procedure"]] == steps, key
        assert len(d["warnings"]) == warnings, (key, d["warnings"])
        assert [p["edit"] for p in d["not_applied"]] == not_applied, key
        assert {c["item_id"] for c in d["changes"]} == items, key
    full = got[(JUKI, "full")]
    assert [s["passed"] for s in full["procedure"]][:3] == [True, True, False]
    assert full["procedure"][2]["latest_start_wareki"] == "令和8年11月26日"
    assert "IV.2.how" in got[(ZEI, "focused")]["not_applied"][0]["message"]
    assert "作成中" in got[(KOKUHO, "full")]["note"]
    starred = [c for c in full["changes"] if c["important"]]
    assert starred and all(c["class"] == "important" for c in starred)


def counts(read) -> dict:
    return {m.__name__: read(select(func.count()).select_from(m))[0]
            for m in (AssessmentVersion, Answer, ChangeRow, ChangeClass, CampaignLink, AuditLog, Campaign)}


def test_apply_creates_one_version_each_and_twice_changes_nothing(db, read):
    actor = actor_of(db)
    c = campaigns.save(db, actor=actor, raw=example())
    result = campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF)
    assert len(result.created) == 5
    kinds = {(r.jimu.name, r.assessment.form): v.kind for r, v in result.created}
    assert kinds == {k: e[1] for k, e in EXPECTED.items() if e[0] == "ready"}
    full_v = next(v for r, v in result.created if r.assessment.form == "full")
    assert full_v.stage == "draft" and full_v.revision_reason == "change" and full_v.planned_change_on == date(2027, 4, 1)
    rows = read(select(ChangeRow).where(ChangeRow.assessment_id == full_v.assessment_id,
                                        ChangeRow.version_seq == full_v.seq))
    assert len(rows) == 5 and all(r.timing == "事前" and r.changed_on == date(2027, 4, 1) for r in rows)
    assert all(r.timing_note.startswith("標準準拠システムへの移行とガバメントクラウドの利用: 地方公共団体情報システム")
               for r in rows)
    for r, v in result.created:  # each new version is ready for its procedure (no ※ question, no gap, rows complete)
        assert completeness.evaluate_version(db, v, r.assessment, AS_OF)[0] == [], r.jimu.name
    before = counts(read)
    again = campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF)
    assert again.created == [] and {r.status for r in again.rows} == {"applied", "skipped"}
    assert counts(read) == before
    assert campaigns.save(db, actor=actor, raw=example()).id == c.id and counts(read) == before


def test_a_failure_midway_writes_nothing(db, read, monkeypatch):
    actor = actor_of(db)
    c = campaigns.save(db, actor=actor, raw=example())
    before = counts(read)
    real, calls = revisions.generate_rows, []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected failure on the third 評価書")
        return real(*args, **kw)

    monkeypatch.setattr(revisions, "generate_rows", failing)
    with pytest.raises(RuntimeError):
        campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF)
    assert counts(read) == before
    monkeypatch.setattr(revisions, "generate_rows", real)
    assert len(campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF).created) == 5


def test_reopening_adds_a_later_target_the_same_way(db, read):
    actor = actor_of(db)
    raw = example() | {"targets": {"assessments": [{"jimu": JIDOU, "form": "basic"}]}}
    c = campaigns.save(db, actor=actor, raw=raw)
    assert len(campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF).created) == 1
    raw["targets"]["jimu"] = [ZEI]
    assert campaigns.save(db, actor=actor, raw=raw).id == c.id
    result = campaigns.apply(db, actor=actor, campaign_id=c.id, today=AS_OF)
    assert sorted(r.assessment.form for r, _ in result.created) == ["basic", "focused"]
    assert read(select(func.count()).select_from(CampaignLink))[0] == 3


def test_staff_cannot_plan_or_apply(db):
    staff = actor_of(db, "shimin")
    with pytest.raises(Forbidden):
        campaigns.plan(db, actor=staff, spec=campaigns.parse(example()), as_of=AS_OF)
    with pytest.raises(Forbidden):
        campaigns.save(db, actor=staff, raw=example())
