"""`spia backup --out F` while clients write over HTTP, then `spia restore --from F` into an empty database.

Writers (real HTTP against the running app) keep saving two editor pages, creating 事務 with a new 評価書 and
registering 意見 (public comments) while the backup runs as a subprocess. Then:

- the restored database holds exactly the backup's content, table by table and row by row (SQLite: the backup file
  read directly; PostgreSQL: the COPY data inside the pg_dump archive against COPY of the restored tables);
- it is a snapshot from the middle of the writes: more audit rows than before, fewer than at the end, and no table
  larger than the live one; audit rows, 評価書 and 意見 in it are rows of the live database;
- it is consistent with its own audit log: every 評価書 and 意見 has its "created" row and vice versa, and replaying
  the page_saved rows over the state before the test gives exactly the saved pages and their lock numbers;
- restoring into a non-empty database is refused (exit code 5) unless --force; the restored database takes writes.
"""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.models import (
    Answer,
    Assessment,
    AuditLog,
    Department,
    Jimu,
    Opinion,
    PageLock,
    PublicComment,
    Snapshot,
)
from tests import dbutil
from tests.robustness.helpers import (
    WebClient,
    add_session,
    counts,
    dump,
    form_pairs,
    kokuho,
    orphans,
    pg_create,
    pg_drop,
    replace,
    scratch_name,
    skip_or_fail,
    spia,
    sqlite_integrity,
    which,
)

pytestmark = pytest.mark.slow

BEFORE_BACKUP = 8     # writes done before the backup starts
AFTER_BACKUP = 8      # and after it has finished
REPORT: dict = {}


def live_url(engine) -> str:
    return dbutil.TEST_DATABASE_URL if dbutil.is_postgres() else f"sqlite:///{engine.test_path}"


class Writers:
    """Threads writing through the app until stopped; `done` counts accepted writes."""

    def __init__(self, base_url: str, engine):
        self.base_url, self.engine = base_url, engine
        self.stop = threading.Event()
        self.done = 0
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.pages: list[tuple[int, str, str]] = []

    def _count(self) -> None:
        with self.lock:
            self.done += 1

    def _loop(self, fn, *args) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                fn(n, *args)
                n += 1
        except BaseException as exc:
            self.errors.append(exc)

    def prepare(self) -> None:
        _aid, vid, uids = kokuho(self.engine)
        with Session(self.engine) as s:
            juki = s.exec(select(PublicComment)).scalars().first()
            # the demo's comment period predates the system: give it the snapshot of the published text
            juki.snapshot_id = s.exec(select(Snapshot.id).where(Snapshot.version_id == juki.version_id)).scalars().first()
            s.add(juki)
            s.commit()
            juki_vid = juki.version_id
            dept = s.exec(select(Department.id).where(Department.name == "こども家庭課")).scalars().one()
        self.pages = [(vid, "I", ""), (vid, "II~II.3", uids[1])]
        self.specs = [
            (self._save, WebClient(self.base_url, add_session(self.engine, "hoken")), self.pages[0], "I.1.2"),
            (self._save, WebClient(self.base_url, add_session(self.engine, "records")), self.pages[1], "II.3.3"),
            (self._create, WebClient(self.base_url, add_session(self.engine, "kodomo")), dept),
            (self._opinion, WebClient(self.base_url, add_session(self.engine, "records")), juki_vid),
        ]

    def run(self) -> None:
        for fn, *args in self.specs:
            t = threading.Thread(target=self._loop, args=(fn, *args), daemon=True)
            self.threads.append(t)
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.done < n and time.monotonic() < deadline and not self.errors:
            time.sleep(0.02)
        assert not self.errors, self.errors
        assert self.done >= n, f"writers managed {self.done} writes"

    # --- the writes

    def _save(self, n: int, client: WebClient, page: tuple[int, str, str], item: str) -> None:
        vid, page_id, uid = page
        url = f"/versions/{vid}/edit/{page_id}" + (f"?file={uid}" if uid else "")
        r = client.get(url)
        assert r.status_code == 200, r.status_code
        pairs, _ = form_pairs(r.text)
        r = client.post_form(url, replace(pairs, f"a|{item}", f"{page_id}の保存{n}(バックアップ中の書き込み)"),
                             headers={"HX-Request": "true"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        self._count()

    def _create(self, n: int, client: WebClient, dept: int) -> None:
        name = f"バックアップ試験{n}に関する事務"
        body = {"name": name, "department_id": dept, "handlers": 20, "handlers_as_of": "2026-04-01",
                "files": [{"name": f"試験{n}ファイル", "subjects": 5000, "subjects_as_of": "2026-04-01"}]}
        r = client.api("POST", "/api/v1/jimu", json=body)
        assert r.status_code == 201, r.text
        jid = r.json()["id"]
        assert client.api("POST", f"/api/v1/jimu/{jid}/determinations", json={}).status_code == 201
        r = client.post_form(f"/jimu/{jid}/assessments/new", [("forms", "basic")])
        assert r.status_code == 303, (r.status_code, r.text[:300])
        self._count()

    def _opinion(self, n: int, client: WebClient, vid: int) -> None:
        r = client.post_form(f"/versions/{vid}/comment", [
            ("what", "opinion"), ("received_on", "2020-12-01"), ("channel", "電子メール"),
            ("text", f"意見{n}:委託先の監督について具体的に記載してください。"), ("submitter", f"市民{n}"),
        ])
        assert r.status_code == 303, (r.status_code, r.text[:300])
        self._count()


# ------------------------------------------------------------------ comparing databases

def pg_archive_lines(path: Path) -> dict[str, list[str]]:
    """The rows inside a pg_dump custom archive, per table, as COPY text lines."""
    out = subprocess.run([which("pg_restore"), "--data-only", "-f", "-", str(path)], capture_output=True, text=True,
                         check=True).stdout
    tables: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if current is None:
            if line.startswith("COPY public."):
                current = line.split()[1].split(".", 1)[1].strip('"')
                tables[current] = []
        elif line == "\\.":
            current = None
        else:
            tables[current].append(line)
    return {k: sorted(v) for k, v in tables.items()}


def pg_table_lines(url: str, names) -> dict[str, list[str]]:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    out = {}
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for name in names:
            data = bytearray()
            with cur.copy(f'COPY public."{name}" TO STDOUT') as copy:
                for chunk in copy:
                    data += chunk
            out[name] = sorted(data.decode().splitlines())
    return out


def assert_consistent_with_audit(url: str, initial: dict, pages) -> dict:
    """The database agrees with its own audit log (see the module docstring); returns a few figures."""
    from app.db import make_engine

    eng = make_engine(url)
    try:
        with Session(eng) as s:
            log = s.exec(select(AuditLog)).scalars().all()
            new_log = [e for e in log if e.id not in initial["audit_ids"]]
            created = {e.entity: set() for e in new_log}
            for e in new_log:
                if e.action == "created":
                    created[e.entity].add(int(e.entity_id))
            assessments = set(s.exec(select(Assessment.id)).scalars()) - initial["assessment_ids"]
            opinions = set(s.exec(select(Opinion.id)).scalars())
            jimu = set(s.exec(select(Jimu.id)).scalars()) - initial["jimu_ids"]
            assert assessments == created.get("assessment", set())
            assert opinions == created.get("opinion", set())
            assert jimu == created.get("jimu", set())
            saves = 0
            for vid, page_id, uid in pages:
                rows = sorted((e for e in new_log if e.action == "page_saved" and e.entity_id == str(vid)
                               and e.note.startswith(f"page={page_id} file={uid} ")),
                              key=lambda e: int(e.note.rsplit("lock=", 1)[1]))
                start_lock = initial["locks"][(vid, page_id, uid)]
                assert [int(e.note.rsplit("lock=", 1)[1]) for e in rows] == list(
                    range(start_lock + 1, start_lock + 1 + len(rows)))
                assert s.get(PageLock, (vid, page_id, uid)).lock == start_lock + len(rows)
                state = dict(initial["answers"][(vid, uid)])
                for e in rows:
                    for item, after in e.after.items():
                        before = e.before[item]
                        assert state.get(item) == (before["value"] if before else None)
                        state[item] = after["value"]
                now = {a.item_id: a.value for a in s.exec(select(Answer).where(Answer.version_id == vid,
                                                                               Answer.file_uid == uid)).scalars()}
                assert now == state, f"page {page_id}: answers differ from the replayed audit log"
                saves += len(rows)
        return {"assessments": len(assessments), "opinions": len(opinions), "page_saves": saves,
                "audit_rows": len(log)}
    finally:
        eng.dispose()


def initial_state(engine, pages) -> dict:
    with Session(engine) as s:
        return {
            "audit_ids": set(s.exec(select(AuditLog.id)).scalars()),
            "assessment_ids": set(s.exec(select(Assessment.id)).scalars()),
            "jimu_ids": set(s.exec(select(Jimu.id)).scalars()),
            "locks": {p: s.get(PageLock, p).lock for p in pages},
            "answers": {(vid, uid): {a.item_id: a.value for a in s.exec(
                select(Answer).where(Answer.version_id == vid, Answer.file_uid == uid)).scalars()}
                for vid, _, uid in pages},
        }


# ------------------------------------------------------------------ the test

def test_backup_while_writing_restores_to_an_equal_consistent_database(live, demo_engine, tmp_path):
    pg = dbutil.is_postgres()
    if pg and not (which("pg_dump") and which("pg_restore")):
        skip_or_fail("pg_dump / pg_restore not found (apt-get install postgresql-client)")
    url = live_url(demo_engine)
    before_counts = counts(demo_engine)
    writers = Writers(live.url, demo_engine)
    writers.prepare()
    initial = initial_state(demo_engine, writers.pages)
    writers.run()
    restored_name = scratch_name("restore") if pg else None
    try:
        writers.wait_for(BEFORE_BACKUP)
        out = tmp_path / ("spia.dump" if pg else "spia-backup.db")
        at_start = writers.done
        r = spia("backup", "--out", str(out), database_url=url)
        assert r.returncode == 0, r.stderr
        assert "バックアップを作成しました" in r.stdout
        during = writers.done - at_start
        writers.wait_for(writers.done + AFTER_BACKUP)
    finally:
        writers.finish()
    assert not writers.errors, writers.errors
    live_counts = counts(demo_engine)
    live_rows = dump(demo_engine, only=["auditlog", "assessment", "assessmentversion", "opinion"])

    try:
        # restore into an empty database
        target = pg_create(restored_name) if pg else f"sqlite:///{tmp_path / 'restored.db'}"
        r = spia("restore", "--from", str(out), database_url=target)
        assert r.returncode == 0, r.stderr
        assert "復元しました" in r.stdout

        # 1. the restored database is the backup's content, row for row
        if pg:
            archive = pg_archive_lines(out)
            assert "auditlog" in archive and "answer" in archive
            assert pg_table_lines(target, archive) == archive
        else:
            assert sqlite_integrity(out) == "ok" and sqlite_integrity(make_url(target).database) == "ok"
            assert dump(target) == dump(f"sqlite:///{out}")
        assert orphans(target) == []

        # 2. a snapshot from the middle of the writes, made of rows of the live database
        restored_counts = counts(target)
        assert all(restored_counts[t] <= live_counts[t] for t in live_counts), (restored_counts, live_counts)
        assert before_counts["auditlog"] < restored_counts["auditlog"] < live_counts["auditlog"]
        restored_rows = dump(target, only=list(live_rows))
        for table, rows in restored_rows.items():
            assert set(rows) <= set(live_rows[table]), f"{table}: restored rows that the live database never had"

        # 3. consistent with its own audit log
        figures = assert_consistent_with_audit(target, initial, writers.pages)
        live_figures = assert_consistent_with_audit(url, initial, writers.pages)
        assert figures["audit_rows"] < live_figures["audit_rows"]

        # 4. a non-empty database is not overwritten unless --force; the restored database takes writes
        refused = spia("restore", "--from", str(out), database_url=target)
        assert refused.returncode == 5 and "空ではありません" in refused.stderr and "--force" in refused.stderr
        assert counts(target) == restored_counts
        forced = spia("restore", "--from", str(out), "--force", database_url=target)
        assert forced.returncode == 0, forced.stderr
        assert counts(target) == restored_counts
        missing = spia("restore", "--from", str(tmp_path / "nothing.db"), database_url=target)
        assert missing.returncode == 4 and "見つかりません" in missing.stderr
        _write_once(target)

        REPORT.update(backend="postgresql" if pg else "sqlite", writes=writers.done, writes_during_backup=during,
                      restored=figures, live=live_figures,
                      rows={t: (restored_counts[t], live_counts[t]) for t in
                            ("auditlog", "assessment", "assessmentversion", "answer", "opinion", "pagelock")})
        print(f"\n[backup/restore] {REPORT}")
    finally:
        if pg:
            pg_drop(restored_name)


def _write_once(url: str) -> None:
    """An audit row and an answer written through the ORM: keys and sequences continue after the restore."""
    from app.db import make_engine
    from app.services import audit

    eng = make_engine(url)
    try:
        with Session(eng) as s:
            audit.record(s, actor=None, entity="restore", entity_id=0, action="checked", note="復元後の書き込み")
            s.commit()
    finally:
        eng.dispose()
