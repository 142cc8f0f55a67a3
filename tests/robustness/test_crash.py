"""kill -9 of `spia serve` in the middle of a large import and of a large editor save.

The server runs as a subprocess on a database of its own (a SQLite file, or a PostgreSQL database when the suite
runs on PostgreSQL). Each run posts a large request, waits until the database shows the request's transaction writing
(SQLite: frames appear in the emptied WAL file; PostgreSQL: the server's backend has a transaction id), waits a chosen
fraction of the measured write window and SIGKILLs the server's process group. Then:

- SQLite `PRAGMA integrity_check` is ok and no foreign key points nowhere (on both backends);
- the assessment is exactly as before the request or exactly as the request intended (files, page locks, answers,
  audit rows), and every other table has the row counts of one of the two states;
- the restarted server serves the editor page on the recovered database.

A last complete import shows that the database still takes writes. The figures are printed (pytest -s).
"""
from __future__ import annotations

import copy
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from app.domain.answers import parse_page
from app.services import catalogue, jsonio
from tests import dbutil
from tests.robustness.helpers import (
    ServeProcess,
    WebClient,
    counts,
    kokuho,
    orphans,
    scratch_database,
    sqlite_integrity,
    version_state,
)

pytestmark = pytest.mark.slow

IMPORT_FILES = 12            # extra 特定個人情報ファイル in the imported JSON
IMPORT_TEXT = 6_000          # characters in each long text of them
SAVE_ROWS = 200              # rows in each of the two repeating groups of Ⅱ5 (the form's maximum)
SAVE_TEXT = 200              # characters in each long text of a row
IMPORT_KILLS = (0.0, 0.35, 0.7, 1.5)   # fractions of the write window (1.5: about when the answer is sent)
SAVE_KILLS = (0.0, 0.6)
SAVE_PAGE = "II~II.5"
GROUPS = ("II.5.provide", "II.5.transfer")
REPORT: list[dict] = []


# ------------------------------------------------------------------ watching the server's transaction

class Probe:
    """Looks at the database from outside the server: is a write transaction in progress?"""

    def __init__(self, url: str):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.path = make_url(url).database
            self.wal = self.path + "-wal"
        else:
            import psycopg

            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn, autocommit=True)

    def close(self) -> None:
        if not self.sqlite:
            self.conn.close()

    def reset(self) -> None:
        """Before a request: an empty WAL, so that any frame in it is the request's."""
        if self.sqlite:
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                assert busy == 0, "could not empty the WAL"
            finally:
                conn.close()

    def writing(self) -> bool:
        if self.sqlite:
            try:
                return os.path.getsize(self.wal) > 0
            except FileNotFoundError:
                return False
        return self._others(writing=True) > 0

    def in_transaction(self) -> bool:
        if self.sqlite:
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                conn.close()
        return self._others(writing=True) > 0

    def settle(self, timeout: float = 30) -> None:
        """After the kill: wait until PostgreSQL has ended the dead server's backends (rolling back their work)."""
        if self.sqlite:
            return
        deadline = time.monotonic() + timeout
        while self._others() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self._others() == 0, "the killed server's backends are still there"

    def _others(self, writing: bool = False) -> int:
        q = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
             + (" AND backend_xid IS NOT NULL" if writing else ""))
        return self.conn.execute(q).fetchone()[0]


# ------------------------------------------------------------------ the two large requests

@dataclass
class Request:
    name: str
    send: Callable[[WebClient], Any]     # returns the response
    ok: int                              # the status of a complete request
    after: dict                          # version_state the request intends


def import_request(client: WebClient, base_doc: dict, aid: int, before: dict, tag: str) -> Request:
    doc = copy.deepcopy(base_doc)
    d = catalogue.definition("full", doc["version"]["form_version"])
    first = doc["files"][0]["uid"]
    template = [e for e in base_doc["answers"] if e["file"] == first]
    for k in range(IMPORT_FILES):
        uid = f"x{tag}f{k:02d}"
        doc["files"].append({"uid": uid, "name": f"取込試験ファイル{k}({tag})", "position": 10 + k})
        for e in template:
            e = {**copy.deepcopy(e), "file": uid}
            if d.item(e["item"]).type == "longtext":
                e["value"] = (f"【{tag}・{k}】" + "特定個人情報ファイルの取扱いに関する記載。" * 400)[:IMPORT_TEXT]
            doc["answers"].append(e)
    for e in doc["answers"]:
        if e["file"] == "" and d.item(e["item"]).type == "longtext":
            e["value"] = f"【{tag}】{e['value'] or ''}"
    raw = json.dumps(doc, ensure_ascii=False).encode()
    clean = jsonio.validate(json.loads(raw))
    files = sorted(doc["files"], key=lambda f: f.get("position", 0))
    old_locks = {(p, f): n for p, f, n in before["locks"]}
    uids = [f["uid"] for f in files]
    after = {
        "files": sorted((f["uid"], f["name"], pos) for pos, f in enumerate(files)),
        # an import moves every page lock on (a page opened before it cannot save over it)
        "locks": sorted((p.id, uid, old_locks.get((p.id, uid), 0) + 1)
                        for p in d.pages for uid in (uids if p.scope == "file" else [""])),
        "answers": {(e["file"], e["item"]): (_plain(e["value"]), e["withheld"], e["withheld_reason"])
                    for e in clean["answers"]},
    }

    def send(c: WebClient):
        return c.api("POST", f"/api/v1/assessments/import?into={aid}", content=raw,
                     headers={"Content-Type": "application/json"})

    return Request(f"import ({len(raw) / 1e6:.1f} MB JSON, {len(doc['answers'])} answers)", send, 201, after)


def save_request(client: WebClient, vid: int, uid: str, form_version: str, before: dict, tag: str) -> Request:
    url = f"/versions/{vid}/edit/{SAVE_PAGE}?file={uid}"
    # the lock the user's open page carries (read from the database: rendering 400 rows is slow)
    lock = str(next(n for p, f, n in before["locks"] if (p, f) == (SAVE_PAGE, uid)))
    d = catalogue.definition("full", form_version)
    pairs = [("lock", lock)]
    for group in GROUPS:
        item = d.item(group)
        pairs.append((f"p|{group}", "1"))
        for n in range(SAVE_ROWS):
            rid = f"r{tag}{n:03d}"
            pairs.append((f"r|{group}", rid))
            for child in item.children:
                key = f"a|{group}|{rid}|{child.id}"
                if child.type == "text":
                    pairs.append((key, f"提供先{n}({tag})"))
                elif child.type == "longtext":
                    pairs.append((key, (f"【{tag}・{n}】" + "提供・移転の内容の記載。" * 100)[:SAVE_TEXT]))
                elif child.type == "choice":
                    pairs.append((key, child.choices[n % len(child.choices)].label))
    fields: dict[str, list[str]] = {}
    for k, v in pairs:
        fields.setdefault(k, []).append(v)
    parsed = parse_page(d.page(SAVE_PAGE), fields)
    assert not parsed.errors, parsed.errors
    answers = dict(before["answers"])
    for group in GROUPS:
        old = answers.get((uid, group))
        answers[(uid, group)] = (_plain(parsed.values[group]), *(old[1:] if old else (False, "")))
    locks = [(p, f, n + 1 if (p, f) == (SAVE_PAGE, uid) else n) for p, f, n in before["locks"]]
    after = {"files": before["files"], "locks": sorted(locks), "answers": answers}
    size = sum(len(k) + len(v.encode()) for k, v in pairs)

    def send(c: WebClient):
        return c.post_form(url, pairs)

    return Request(f"editor save ({SAVE_ROWS}×{len(GROUPS)} rows, {size / 1e6:.1f} MB)", send, 303, after)


def _plain(v):
    from tests.robustness.helpers import _plain as plain

    return plain(v)


# ------------------------------------------------------------------ one run

def run(server: ServeProcess, probe: Probe, token: str, make: Callable[[WebClient, dict], Request], vid: int,
        kill_after: float | None) -> dict:
    """Post the request; kill the server `kill_after` seconds after the transaction starts writing (None: no kill)."""
    started = time.monotonic()
    client = WebClient(server.url, token, timeout=300)
    before = version_state(server.database_url, vid)
    before_counts = counts(server.database_url)
    req = make(client, before)
    prepared = time.monotonic() - started
    probe.reset()
    box: dict[str, Any] = {}

    def go():
        try:
            box["response"] = req.send(client)
        except Exception as exc:
            box["error"] = exc
        box["done"] = time.monotonic()

    t0 = time.monotonic()
    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    while not probe.writing() and thread.is_alive():
        time.sleep(0.001)
    t_write = time.monotonic()
    assert thread.is_alive() or "response" in box, box
    result: dict[str, Any] = {"request": req.name, "prepare": round(prepared, 2), "write_started": round(t_write - t0, 3)}
    if kill_after is None:
        thread.join(timeout=300)
        r = box["response"]
        assert r.status_code == req.ok, r.text[:500]
        result["write_window"] = box["done"] - t_write
        state = version_state(server.database_url, vid)
        assert _outcome(state, before, req.after) == "after"
        client.close()
        return result
    time.sleep(kill_after)
    result["in_transaction_at_kill"] = probe.in_transaction()
    result["answered_before_kill"] = "response" in box
    server.kill9()
    thread.join(timeout=30)
    client.close()
    probe.settle()
    result["kill_at"] = round(time.monotonic() - t0, 3)

    # the database after the crash, before anything else touches it
    if server.database_url.startswith("sqlite"):
        assert sqlite_integrity(make_url(server.database_url).database) == "ok"
    assert orphans(server.database_url) == []
    state = version_state(server.database_url, vid)
    outcome = _outcome(state, before, req.after)
    assert outcome in ("before", "after"), outcome
    expected_counts = before_counts if outcome == "before" else None
    now_counts = counts(server.database_url)
    if expected_counts is not None:
        assert now_counts == expected_counts, "other tables changed although the request was rolled back"
    if result["answered_before_kill"]:
        assert outcome == "after", "an answered request must be durable"
    result["outcome"] = outcome

    # restart: the server comes up on the recovered database and serves the assessment
    server.start()
    check = WebClient(server.url, token)
    page = check.get(f"/versions/{vid}/edit/cover")
    assert page.status_code == 200, page.text[:300]
    exported = check.get(f"/api/v1/versions/{vid}/json")
    assert exported.status_code == 200 and len(exported.json()["answers"]) == len(state["answers"])
    check.close()
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _outcome(state: dict, before: dict, after: dict) -> str:
    core = {k: state[k] for k in ("files", "locks", "answers")}
    if core == {k: before[k] for k in ("files", "locks", "answers")} and state["audit_rows"] == before["audit_rows"]:
        return "before"
    if core == after and state["audit_rows"] == before["audit_rows"] + 1:
        return "after"
    diff = {k: (len(state[k]), len(before[k]), len(after[k])) for k in ("files", "locks", "answers")}
    wrong = [key for key, val in state["answers"].items()
             if val != before["answers"].get(key) and val != after["answers"].get(key)]
    return f"neither before nor after: sizes (now, before, after) {diff}, audit {state['audit_rows']} " \
           f"vs {before['audit_rows']}; answers matching neither: {wrong[:5]}"


# ------------------------------------------------------------------ the test

def test_kill9_mid_import_and_mid_save_leaves_before_or_after(tmp_path: Path):
    token = dbutil.demo_snapshot()[1]["hoken"]
    with scratch_database(tmp_path, "crash") as url:
        from sqlmodel import Session

        from app.db import make_engine
        from app.domain.policy import SYSTEM
        from app.models import Assessment, AssessmentVersion

        eng = make_engine(url)
        aid, vid, uids = kokuho(eng)
        with Session(eng) as s:
            form_version = s.get(AssessmentVersion, vid).form_version
            org_id = s.get(Assessment, aid).organisation_id
            base_doc = jsonio.export_version(s, actor=SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org_id}),
                                             version_id=vid)
        eng.dispose()
        server = ServeProcess(url, log=tmp_path / "serve.log").start()
        probe = Probe(url)
        tags = iter(range(1000))

        def make_import(c, before):
            return import_request(c, base_doc, aid, before, f"i{next(tags)}")

        def make_save(c, before):
            return save_request(c, vid, uids[0], form_version, before, f"s{next(tags)}")

        try:
            # calibration: complete requests, which also check that the intended "after" is what the server does
            w_import = run(server, probe, token, make_import, vid, None)["write_window"]
            w_save = run(server, probe, token, make_save, vid, None)["write_window"]
            plan = [("import", f * w_import) for f in IMPORT_KILLS] + [("save", f * w_save) for f in SAVE_KILLS]
            plan = [plan[i] for i in (0, 4, 1, 2, 5, 3)]  # interleaved
            for kind, delay in plan:
                r = run(server, probe, token, make_import if kind == "import" else make_save, vid, delay)
                r["kill_after_write_start"] = round(delay, 3)
                REPORT.append(r)
            # the recovered database takes a complete write again
            run(server, probe, token, make_save, vid, None)
        finally:
            server.stop()
            probe.close()
        print(f"\n[crash] backend={'postgresql' if dbutil.is_postgres() else 'sqlite'} "
              f"write windows: import {w_import:.3f}s, save {w_save:.3f}s")
        for r in REPORT:
            print(f"[crash] {r}")
        assert len(REPORT) == len(IMPORT_KILLS) + len(SAVE_KILLS)
        rolled_back = [r for r in REPORT if r["outcome"] == "before" and r["in_transaction_at_kill"]]
        assert len(rolled_back) >= 3, "too few kills landed inside a writing transaction to show anything"
