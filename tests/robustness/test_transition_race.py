"""Records officers firing the same stage transition at the same moment: exactly one succeeds, every time.

Each round every officer loads the overview page (the stage lock is in the form), waits at a barrier and posts the
same transition over real HTTP; the requests overlap in time. Rounds alternate 庁内確認に回す / 作成中に戻す, so the
race is repeated many times on one assessment. The loser gets 409 and nothing of its attempt is recorded.
"""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from app.models import AssessmentVersion, AuditLog, StageEvent
from tests import dbutil
from tests.robustness.helpers import WebClient, add_session, kokuho

ROUNDS = {2: 16, 5: 6}
ACTIONS = ("submit_for_check", "withdraw")
REPORT: dict[int, dict] = {}


def _transition_form(html: str, action: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    button = soup.select_one(f"form.transition button[data-action='{action}']")
    assert button is not None, f"no {action} button"
    form = button.find_parent("form")
    return {i["name"]: i.get("value", "") for i in form.select("input[name]") if i["name"] != "csrftoken"}


@pytest.mark.parametrize("officers", [2, 5])
def test_same_transition_at_once_exactly_one_succeeds(live, demo_engine, officers):
    aid, vid, _ = kokuho(demo_engine)
    logins = ["records"] + [f"records{n}" for n in range(2, officers + 1)]
    tokens = [add_session(demo_engine, "records")] + [add_session(demo_engine, "records", clone_as=login)
                                                       for login in logins[1:]]
    clients = [WebClient(live.url, t) for t in tokens]
    with Session(demo_engine) as s:
        v = s.get(AssessmentVersion, vid)
        start_lock, start_stage = v.stage_lock, v.stage
        start_events = len(s.exec(select(StageEvent).where(StageEvent.version_id == vid)).all())
        start_audits = len(s.exec(select(AuditLog).where(AuditLog.entity_id == str(vid),
                                                         AuditLog.action.startswith("stage:"))).all())
    assert start_stage == "draft"

    barrier = threading.Barrier(officers)
    results: dict[tuple[int, int], tuple[int, float, float, str]] = {}
    errors: list[BaseException] = []

    def officer(k: int) -> None:
        client = clients[k]
        try:
            for rnd in range(ROUNDS[officers]):
                action = ACTIONS[rnd % 2]
                page = client.get(f"/assessments/{aid}")
                assert page.status_code == 200, page.status_code
                form = _transition_form(page.text, action)
                if action == "withdraw":
                    form["reason"] = f"記載を見直すため(第{rnd}回・{logins[k]})"
                barrier.wait(timeout=60)
                t0 = time.monotonic()
                r = client.post_form(f"/versions/{vid}/transition", list(form.items()))
                t1 = time.monotonic()
                # a refusal is Post/Redirect/Get too: 303 back to the 評価書 page, marked X-Transition: refused
                outcome = 409 if r.headers.get("X-Transition") == "refused" else r.status_code
                results[(rnd, k)] = (outcome, t0, t1, r.headers.get("X-Transition-Status", "") if outcome == 409 else "")
                if outcome == 409:
                    assert r.status_code == 303 and r.headers["location"] == f"/assessments/{aid}#procedure"
                barrier.wait(timeout=60)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=officer, args=(k,)) for k in range(officers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    for c in clients:
        c.close()
    assert not errors, errors

    rounds = ROUNDS[officers]
    winners, overlapping = [], 0
    for rnd in range(rounds):
        row = [results[(rnd, k)] for k in range(officers)]
        statuses = sorted(s for s, *_ in row)
        assert statuses == [303] + [409] * (officers - 1), f"round {rnd}: {statuses}"
        winners.append(next(k for k in range(officers) if results[(rnd, k)][0] == 303))
        for status, _, _, refused_with in row:
            if status == 409:
                assert refused_with == "409"
        # the requests were in flight at the same time (all started before the first one was answered)
        if max(t0 for _, t0, _, _ in row) < min(t1 for _, _, t1, _ in row):
            overlapping += 1
    assert overlapping >= rounds * 3 // 4, f"only {overlapping}/{rounds} rounds were truly concurrent"

    with Session(demo_engine) as s:
        v = s.get(AssessmentVersion, vid)
        events = s.exec(select(StageEvent).where(StageEvent.version_id == vid)
                        .order_by(StageEvent.at, StageEvent.id)).all()[start_events:]
        audits = s.exec(select(AuditLog).where(AuditLog.entity == "assessment_version", AuditLog.entity_id == str(vid),
                                               AuditLog.action.startswith("stage:")).order_by(AuditLog.id)).all()
    # one event, one audit row and one lock step per round: the losers left nothing behind
    assert v.stage_lock == start_lock + rounds
    assert v.stage == ("draft" if rounds % 2 == 0 else "internal_check")
    assert [e.action for e in events] == [ACTIONS[r % 2] for r in range(rounds)]
    assert [e.actor_login for e in events] == [logins[w] for w in winners]
    stage = start_stage
    for e in events:
        assert e.from_stage == stage
        stage = e.to_stage
    assert len(audits) == start_audits + rounds
    assert [a.action for a in audits[-rounds:]] == [f"stage:{ACTIONS[r % 2]}" for r in range(rounds)]
    assert [a.actor_login for a in audits[-rounds:]] == [logins[w] for w in winners]

    won = Counter(logins[w] for w in winners)
    REPORT[officers] = {"backend": "postgresql" if dbutil.is_postgres() else "sqlite", "rounds": rounds,
                        "won": dict(won), "lost": rounds * (officers - 1), "overlapping": overlapping}
    print(f"\n[transition race] {officers} officers: {REPORT[officers]}")
