"""2, 5 and 20 clients saving the same editor page at once over real HTTP.

Every save is answered 200 (autosave) / 303 (plain submit) or 409 (stale page lock) — never anything else — and no
accepted save is lost: replaying the audit log from the state before the test reproduces the final answers, every
accepted save appears in it exactly once and changed only what its client changed, from the value its client saw.
"""
from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, select

from app.models import Answer, AuditLog, PageLock
from app.services import catalogue
from tests.robustness.helpers import WebClient, add_session, backend, form_pairs, kokuho, replace

PAGE = "II~II.3"  # Ⅱ 3.特定個人情報の入手・使用: a page per file, ten text items
ROUNDS = {2: 6, 5: 4, 20: 2}       # lock-step rounds: everyone posts the same lock at once
FREE = {2: 12, 5: 6, 20: 2}        # then free-running saves per client (reload and retry after a 409)
REPORT: dict[int, dict] = {}


@dataclass
class Attempt:
    client: int
    phase: str
    item: str
    token: str
    base_lock: int
    base_value: str
    status: int
    new_lock: int | None = None
    body: str = field(default="", repr=False)


def _text_items(vid_form_version: str, pairs) -> list[str]:
    d = catalogue.definition("full", vid_form_version)
    names = {k for k, _ in pairs}
    return [i.id for i in d.page(PAGE).walk()
            if i.type in ("text", "longtext") and f"a|{i.id}" in names and f"p|{i.id}" in names]


def _scope_values(engine, vid: int, uid: str) -> dict[str, object]:
    with Session(engine) as s:
        return {a.item_id: a.value for a in s.exec(select(Answer).where(Answer.version_id == vid,
                                                                        Answer.file_uid == uid)).all()}


@pytest.mark.parametrize("n_clients", [2, 5, 20])
def test_concurrent_saves_are_applied_or_409_and_never_lost(live, demo_engine, n_clients):
    _aid, vid, uids = kokuho(demo_engine)
    uid = uids[0]
    url = f"/versions/{vid}/edit/{PAGE}?file={uid}"
    # half the clients are the department's staff, half the records office; each has a session of its own
    tokens = [add_session(demo_engine, "hoken" if c % 2 == 0 else "records") for c in range(n_clients)]
    clients = [WebClient(live.url, t) for t in tokens]
    first = clients[0].get(url)
    assert first.status_code == 200, first.text[:300]
    pairs, action = form_pairs(first.text)
    assert action == url
    with Session(demo_engine) as s:
        from app.models import AssessmentVersion

        form_version = s.get(AssessmentVersion, vid).form_version
        initial_lock = s.get(PageLock, (vid, PAGE, uid)).lock
    items = _text_items(form_version, pairs)
    assert len(items) >= 8, items
    initial = _scope_values(demo_engine, vid, uid)

    attempts: list[Attempt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n_clients)

    def one_save(c: int, client: WebClient, phase: str, n: int) -> Attempt:
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        pairs, _ = form_pairs(page.text)
        base_lock = int(dict(pairs)["lock"])
        item = items[c % len(items)]
        base_value = dict(pairs)[f"a|{item}"]
        token = f"client{c}-{phase}{n}-{random.getrandbits(32):08x}"
        htmx = c % 2 == 0  # autosave (htmx, 200) or the plain 保存 button (303)
        if phase == "round":
            barrier.wait(timeout=60)
        r = client.post_form(url, replace(pairs, f"a|{item}", token),
                             headers={"HX-Request": "true"} if htmx else {})
        new_lock = None
        if r.status_code == 200:
            m = re.search(r'id="lock"[^>]*value="(\d+)"', r.text)
            new_lock = int(m.group(1)) if m else None
        return Attempt(c, phase, item, token, base_lock, base_value, r.status_code, new_lock,
                       r.text if r.status_code not in (200, 303, 409) else "")

    def run(c: int) -> None:
        client = clients[c]
        try:
            for n in range(ROUNDS[n_clients]):
                a = one_save(c, client, "round", n)
                with lock:
                    attempts.append(a)
                barrier.wait(timeout=60)  # the round is over for everyone before the next GET
            for n in range(FREE[n_clients]):
                a = one_save(c, client, "free", n)
                with lock:
                    attempts.append(a)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    for client in clients:
        client.close()
    assert not errors, errors
    assert all(not t.is_alive() for t in threads)

    # 1. every answer is 200 / 303 / 409 — never a 500, never anything else
    statuses = Counter(a.status for a in attempts)
    odd = [a for a in attempts if a.status not in (200, 303, 409)]
    assert not odd, [(a.status, a.body[:300]) for a in odd]
    assert len(attempts) == n_clients * (ROUNDS[n_clients] + FREE[n_clients])
    accepted = [a for a in attempts if a.status in (200, 303)]
    rejected = [a for a in attempts if a.status == 409]

    # 2. in a lock-step round all clients post the same lock: exactly one wins
    for n in range(ROUNDS[n_clients]):
        rnd = [a for a in attempts if a.phase == "round" and a.token.split("-")[1] == f"round{n}"]
        assert len({a.base_lock for a in rnd}) == 1, "clients of one round loaded the same version"
        assert sum(a.status in (200, 303) for a in rnd) == 1, [(a.client, a.status) for a in rnd]
    # an autosave answers with the next lock number
    assert all(a.new_lock == a.base_lock + 1 for a in accepted if a.status == 200)

    # 3. the audit log: one row per accepted save, consecutive locks, each changing exactly its client's item
    with Session(demo_engine) as s:
        log = s.exec(select(AuditLog).where(AuditLog.entity == "assessment_version", AuditLog.entity_id == str(vid),
                                            AuditLog.action == "page_saved",
                                            AuditLog.note.startswith(f"page={PAGE} file={uid} "))
                     .order_by(AuditLog.id)).all()
        final_lock = s.get(PageLock, (vid, PAGE, uid)).lock
    assert len(log) == len(accepted)
    assert [int(e.note.rsplit("lock=", 1)[1]) for e in log] == list(range(initial_lock + 1,
                                                                           initial_lock + 1 + len(log)))
    assert final_lock == initial_lock + len(accepted)
    by_token = {a.token: a for a in accepted}
    logged_tokens = []
    for e in log:
        assert set(e.after) == set(e.before), e.after
        assert len(e.after) == 1, f"a save changed items its client did not touch: {sorted(e.after)}"
        (item, after), = e.after.items()
        token = after["value"]
        logged_tokens.append(token)
        a = by_token.get(token)
        assert a is not None, f"audit row for a save no client saw accepted: {token}"
        assert a.item == item
        before = e.before[item]
        assert (before["value"] if before else "") == a.base_value, "the save overwrote a value its client never saw"
    assert sorted(logged_tokens) == sorted(by_token), "every accepted save is in the audit log exactly once"

    # 4. replay the audit log over the state before the test: it must give the final answers
    state = dict(initial)
    for e in log:
        for item, after in e.after.items():
            before = e.before[item]
            assert state.get(item) == (before["value"] if before else None), f"broken chain at {item}"
            state[item] = after["value"]
    final = _scope_values(demo_engine, vid, uid)
    assert final == state
    # the last accepted save of each item is what the page now holds; refused saves left no trace
    for item in items:
        last = [e for e in log if item in e.after]
        if last:
            assert final[item] == last[-1].after[item]["value"]
    stored = {v for v in final.values() if isinstance(v, str)}
    assert not any(a.token in stored for a in rejected)
    assert not any(a.token in logged_tokens for a in rejected)

    REPORT[n_clients] = {"backend": backend(),
                         "attempts": len(attempts), "applied": len(accepted), "409": len(rejected),
                         "statuses": dict(statuses)}
    print(f"\n[concurrent saves] {n_clients} clients: {REPORT[n_clients]}")
