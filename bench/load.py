"""Issue 7 §5 load benchmark: N concurrent users for S seconds against `spia serve --workers 2` (loopback only).

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--workers 2] [--think 1.0] [--sqlite] [--json [F]]

The benchmark builds its own database — PostgreSQL `bench_load` on 127.0.0.1:5432 (dropped and re-created;
`--pg-url` to change it) or, with `--sqlite`, a new SQLite file — runs `spia db upgrade` and `spia demo`, starts
`spia serve` as a subprocess, signs the demo users in, and stops everything when the time is up.

Each user (even: 保険年金課 `hoken`, odd: 総務・文書担当 `records`, each with a session of its own) owns one
page with free text of the demo 国保 drafts (全項目 and 基礎, per file where the page is per file; the Ⅲ risk pages
first) and loops like a person at a desk, with a random pause of `--think` seconds (±50 %) between requests
(after an unrecorded warm-up):

    open its editor page → autosave ×3 (htmx POST with the current lock; a 409 re-reads the page and goes on)
    → home (/) → records queue (/queue) → the 評価書 overview → [records: the 住基 全項目 Ⅲ page, read-only]
    → every 3rd round (--export-every): the Word export (edition=full) of a demo 全項目
      (hoken: 国保, 2 files; records: 住基, 3 files)

409s are counted apart from errors (they only happen when more users than pages share one, or with --shared).
Targets: page p95 ≤ 100 ms, save p95 ≤ 50 ms, export p95 ≤ 1 s, 0 errors (exit code 1 when one is missed).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import ROOT, form_pairs, free_port, fresh_postgres, pct, signed_in_client

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
TARGETS_MS = {"page": 100.0, "save": 50.0, "export": 1000.0}
SAVES_PER_ROUND = 3
EP_PAGE = "GET editor page (国保 draft, to edit)"
EP_SAVE = "POST autosave (htmx)"
EP_READONLY = "GET editor page (住基 全項目 Ⅲ, read-only)"
EP_HOME = "GET / (home)"
EP_QUEUE = "GET /queue"
EP_OVERVIEW = "GET /assessments/{id} (overview)"
EP_EXPORT_K = "GET export docx (国保 全項目, 2 files)"
EP_EXPORT_J = "GET export docx (住基 全項目, 3 files)"
LOCK = re.compile(r'id="lock" value="(\d+)"')
KIND = {EP_PAGE: "page", EP_READONLY: "page", EP_HOME: "page", EP_QUEUE: "page", EP_OVERVIEW: "page",
        EP_SAVE: "save", EP_EXPORT_K: "export", EP_EXPORT_J: "export"}


# ------------------------------------------------------------------ database and server

def spia_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("spia")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]


class Server:
    """`spia db upgrade`, `spia demo`, then `spia serve --workers W` on a free loopback port; stopped on exit."""

    def __init__(self, url: str, workers: int):
        self.url, self.workers = url, workers
        self.env = {k: v for k, v in os.environ.items() if k != "SPIA_USER"}
        self.env.update(DATABASE_URL=url, SPIA_SECRET_KEY="bench-secret-0123456789-0123456789-abcdef")
        self.log = Path(tempfile.mkstemp(prefix="spia-load-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def __enter__(self) -> Server:
        for args in (["db", "upgrade"], ["demo"]):
            done = subprocess.run(spia_cmd() + args, cwd=ROOT, env=self.env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"spia {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(spia_cmd() + ["serve", "--host", "127.0.0.1", "--port", str(port),
                                                       "--workers", str(self.workers)],
                                         cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"spia serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"spia serve did not answer /healthz within 60 s:\n{self.log.read_text()}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------ what the users work on

@dataclass
class Target:
    vid: int
    page_id: str
    uid: str = ""

    @property
    def path(self) -> str:
        return f"/versions/{self.vid}/edit/{self.page_id}" + (f"?file={self.uid}" if self.uid else "")


@dataclass
class Demo:
    kokuho_full_aid: int
    kokuho_full_vid: int
    juki_full_aid: int
    juki_full_vid: int
    juki_page: str
    targets: list[Target]


def demo_ids(url: str) -> Demo:
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models import Assessment, AssessmentVersion, Jimu, VersionFile
    from app.services import catalogue

    engine = make_engine(url)
    with Session(engine) as s:
        def latest(jimu_name: str, form: str) -> tuple[int, AssessmentVersion, list[str]]:
            jid = s.exec(select(Jimu.id).where(Jimu.name == jimu_name)).one()
            aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()
            v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)
                       .order_by(AssessmentVersion.seq.desc())).first()
            uids = list(s.exec(select(VersionFile.uid).where(VersionFile.version_id == v.id)
                               .order_by(VersionFile.position)).all())
            return aid, v, uids

        k_aid, k_full, k_uids = latest("国民健康保険に関する事務", "full")
        _, k_basic, kb_uids = latest("国民健康保険に関する事務", "basic")
        j_aid, j_full, j_uids = latest("住民基本台帳に関する事務", "full")
        targets = []
        for v, form, uids in ((k_full, "full", k_uids), (k_basic, "basic", kb_uids)):
            for p in catalogue.definition(form, v.form_version).pages:
                for uid in (uids if p.scope == "file" else [""]):
                    targets.append(Target(v.id, p.id, uid))
    engine.dispose()
    return Demo(k_aid, k_full.id, j_aid, j_full.id, f"III~III.3?file={j_uids[0]}", targets)


# ------------------------------------------------------------------ the editor form, as a browser posts it

def editable_targets(base: str, login: str, targets: list[Target]) -> list[Target]:
    """The pages with a free-text field the autosave can change (checked once over HTTP, before the clock starts)."""
    client = signed_in_client(base, login)
    out = []
    for t in targets:
        r = client.get(t.path)
        if r.status_code == 200 and form_pairs(r.text)[1]:
            out.append(t)
    client.close()
    return out


# ------------------------------------------------------------------ recording

@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, name: str, seconds: float, outcome: str, detail: str = "") -> None:
        self.samples.setdefault(name, []).append(seconds)
        if outcome == "409":
            self.conflicts[name] = self.conflicts.get(name, 0) + 1
        elif outcome != "ok":
            self.errors[name] = self.errors.get(name, 0) + 1
            if len(self.examples) < 10:
                self.examples.append(f"{name}: {detail}")

    def rows(self, duration: float) -> list[dict]:
        order = list(KIND)
        out = []
        for name in sorted(self.samples, key=lambda n: order.index(n) if n in order else 99):
            xs = sorted(self.samples[name])
            out.append({"endpoint": name, "kind": KIND.get(name, "page"), "count": len(xs),
                        "rps": round(len(xs) / duration, 2),
                        "p50_ms": round(pct(xs, 50) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1),
                        "p99_ms": round(pct(xs, 99) * 1000, 1), "max_ms": round(xs[-1] * 1000, 1),
                        "errors": self.errors.get(name, 0), "conflicts_409": self.conflicts.get(name, 0)})
        return out

    def verdict(self) -> dict:
        out = {}
        for kind, limit in TARGETS_MS.items():
            xs = sorted(x for n, v in self.samples.items() if KIND.get(n, "page") == kind for x in v)
            p95 = round(pct(xs, 95) * 1000, 1) if xs else None
            out[f"{kind}_p95_ms"] = {"value": p95, "target": limit, "ok": p95 is not None and p95 <= limit}
        errors = sum(self.errors.values())
        out["errors"] = {"value": errors, "target": 0, "ok": errors == 0}
        return out


# ------------------------------------------------------------------ one user

@dataclass
class User:
    idx: int
    login: str
    target: Target
    client: httpx.AsyncClient
    pairs: list[tuple[str, str]] = field(default_factory=list)
    field_name: str = ""
    original: str = ""
    lock: str = ""
    saves: int = 0


async def timed(stats: Stats, name: str, call, expect=(200,)) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r = await call()
    except httpx.HTTPError as exc:
        stats.add(name, time.perf_counter() - t0, "error", f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - t0
    if r.status_code in expect:
        stats.add(name, elapsed, "ok")
    elif r.status_code == 409 and name == EP_SAVE:
        stats.add(name, elapsed, "409")
    else:
        stats.add(name, elapsed, "error", f"HTTP {r.status_code} {r.request.url.path}: {r.text[:200]!r}")
    return r


async def open_page(stats: Stats, u: User, *, reparse: bool = False) -> bool:
    """GET the user's page; read the form once (and after a 409), otherwise only the current lock."""
    r = await timed(stats, EP_PAGE, lambda: u.client.get(u.target.path))
    if r is None or r.status_code != 200:
        return False
    if u.pairs and not reparse:
        m = LOCK.search(r.text)
        u.lock = m.group(1) if m else u.lock
        return True
    pairs, name = form_pairs(r.text)
    if not name:
        return False
    u.pairs, u.field_name = pairs, name
    u.lock = next((v for k, v in pairs if k == "lock"), "")
    u.original = re.sub(r" 〔負荷試験 \d+-\d+〕$", "", next(v for k, v in pairs if k == name))
    return True


def with_first(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    out, done = [], False
    for k, v in pairs:
        if k == name and not done:
            v, done = value, True
        out.append((k, v))
    return out


async def autosave(stats: Stats, u: User) -> None:
    u.saves += 1
    text = f"{u.original} 〔負荷試験 {u.idx}-{u.saves}〕"
    # the browser posts the whole page; only the first occurrence of the field changes (the other measures of a
    # list keep their text)
    body: dict[str, list[str]] = {}
    for k, v in with_first(u.pairs, u.field_name, text):
        body.setdefault(k, []).append(u.lock if k == "lock" else v)
    r = await timed(stats, EP_SAVE, lambda: u.client.post(u.target.path, data=body, headers={"HX-Request": "true"}))
    if r is None:
        return
    if r.status_code == 200:
        m = LOCK.search(r.text)
        if m:
            u.lock = m.group(1)
        u.pairs = with_first(u.pairs, u.field_name, text)
    elif r.status_code == 409:  # someone else saved this page: re-read it (new lock, their text) and go on
        await open_page(stats, u, reparse=True)


async def think(mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(random.uniform(0.5 * mean, 1.5 * mean))


async def user_loop(u: User, demo: Demo, stats: Stats, stop: float, mean_think: float, export_every: int) -> None:
    c = u.client
    rnd = 0
    await asyncio.sleep(random.uniform(0, max(mean_think, 0.05)))  # users do not all start on the same tick
    while time.monotonic() < stop:
        rnd += 1
        if await open_page(stats, u):
            for _ in range(SAVES_PER_ROUND):
                await think(mean_think)
                if time.monotonic() >= stop:
                    return
                await autosave(stats, u)
        steps = [(EP_HOME, "/"), (EP_QUEUE, "/queue"), (EP_OVERVIEW, f"/assessments/{demo.kokuho_full_aid}")]
        if u.login == "records":
            steps.append((EP_READONLY, f"/versions/{demo.juki_full_vid}/edit/{demo.juki_page}"))
        if export_every and rnd % export_every == u.idx % export_every:
            vid, name = ((demo.juki_full_vid, EP_EXPORT_J) if u.login == "records"
                         else (demo.kokuho_full_vid, EP_EXPORT_K))
            steps.append((name, f"/versions/{vid}/export?edition=full&format=docx"))
        for name, path in steps:
            await think(mean_think)
            if time.monotonic() >= stop:
                return
            await timed(stats, name, lambda p=path: c.get(p))
        await think(mean_think)


async def run(base: str, demo: Demo, targets: list[Target], args) -> tuple[Stats, float]:
    stats = Stats()
    users = []
    for i in range(args.users):
        login = "hoken" if i % 2 == 0 else "records"
        sync = signed_in_client(base, login)
        client = httpx.AsyncClient(base_url=base, timeout=60, cookies=sync.cookies, headers=sync.headers,
                                   follow_redirects=False)
        sync.close()
        target = targets[0] if args.shared else targets[i % len(targets)]
        users.append(User(i, login, target, client))
    # warm-up (not recorded): every worker compiles its templates and reads the form definitions once
    scratch = Stats()

    async def warm(u: User) -> None:
        await open_page(scratch, u)
        paths = ["/", "/queue", f"/assessments/{demo.kokuho_full_aid}"]
        if u.login == "records":
            paths.append(f"/versions/{demo.juki_full_vid}/edit/{demo.juki_page}")
        if u.idx < 4:  # a few exports only: twenty at once would just be a burst before the clock starts
            vid = demo.juki_full_vid if u.login == "records" else demo.kokuho_full_vid
            paths.append(f"/versions/{vid}/export?edition=full&format=docx")
        for path in paths:
            await u.client.get(path)

    await asyncio.gather(*(warm(u) for u in users))
    if scratch.errors:
        raise SystemExit("warm-up failed: " + "; ".join(scratch.examples))
    t0 = time.monotonic()
    stop = t0 + args.seconds
    await asyncio.gather(*(user_loop(u, demo, stats, stop, args.think, args.export_every) for u in users))
    elapsed = time.monotonic() - t0
    for u in users:
        await u.client.aclose()
    return stats, elapsed


# ------------------------------------------------------------------ report

def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text, width: int, left: bool) -> str:
    text = str(text)
    pad = " " * max(0, width - _width(text))
    return text + pad if left else pad + text


def print_report(rows: list[dict], verdict: dict, header: str) -> None:
    print(header)
    cols = [("endpoint", "endpoint", 42), ("count", "count", 6), ("rps", "req/s", 6), ("p50_ms", "p50 ms", 8),
            ("p95_ms", "p95 ms", 8), ("p99_ms", "p99 ms", 8), ("max_ms", "max ms", 8), ("errors", "errors", 6),
            ("conflicts_409", "409", 5)]
    print("| " + " | ".join(_cell(label, w, k == "endpoint") for k, label, w in cols) + " |")
    print("|" + "|".join(("-" * (w + 1) + ("-" if k == "endpoint" else ":")) for k, _, w in cols) + "|")
    for r in rows:
        print("| " + " | ".join(_cell(r[k], w, k == "endpoint") for k, _, w in cols) + " |")
    parts = []
    for key, v in verdict.items():
        unit = "" if key == "errors" else " ms"
        parts.append(f"{key} {v['value']}{unit} (target {'=' if key == 'errors' else '≤'} {v['target']:g}{unit}) "
                     f"{'OK' if v['ok'] else 'MISSED'}")
    print("targets: " + "; ".join(parts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    ap.add_argument("--seconds", type=float, default=60, help="duration of the measurement (default 60)")
    ap.add_argument("--workers", type=int, default=2, help="spia serve --workers (default 2)")
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean pause between a user's requests in seconds, ±50%% (default 1.0; 0 = no pause)")
    ap.add_argument("--export-every", type=int, default=3, metavar="N",
                    help="each user exports a Word file every N rounds (default 3; 0 = never)")
    ap.add_argument("--sqlite", action="store_true", help="a new SQLite file instead of PostgreSQL")
    ap.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL database to re-create and use (default {PG_URL})")
    ap.add_argument("--shared", action="store_true", help="all users autosave the same page (many 409s)")
    ap.add_argument("--json", nargs="?", const="-", metavar="FILE", help="also write a JSON summary (to stdout: -)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    random.seed(args.seed)

    tmp = None
    if args.sqlite:
        tmp = tempfile.mkdtemp(prefix="spia-load-")
        url = f"sqlite:///{tmp}/load.db"
    else:
        url = fresh_postgres(args.pg_url)
    db_label = "SQLite" if args.sqlite else "PostgreSQL " + url.rsplit("/", 1)[-1]
    try:
        with Server(url, args.workers) as server:
            demo = demo_ids(url)
            targets = editable_targets(server.base, "hoken", demo.targets)
            # spread the users over the 評価書: the heavy Ⅲ pages first, then the rest
            targets.sort(key=lambda t: (not t.page_id.startswith("III"), t.vid != demo.kokuho_full_vid))
            cpu0 = time.process_time()
            stats, elapsed = asyncio.run(run(server.base, demo, targets, args))
            client_cpu = time.process_time() - cpu0
            log_tail = server.log.read_text(errors="replace")[-3000:] if stats.errors else ""
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = stats.rows(elapsed)
    verdict = stats.verdict()
    total = sum(r["count"] for r in rows)
    header = (f"{args.users} users × {elapsed:.1f} s, think {args.think:g} s, spia serve --workers {args.workers}, "
              f"{db_label}; {total} requests ({total / elapsed:.1f}/s); "
              f"{'1 editor page shared by all' if args.shared else f'{min(len(targets), args.users)} editor pages'}; "
              f"{os.cpu_count()} CPUs, load client used "
              f"{client_cpu:.1f} s CPU")
    print_report(rows, verdict, header)
    if stats.examples:
        print("first errors:\n  " + "\n  ".join(stats.examples))
        if log_tail:
            print("server log (tail):\n" + log_tail)
    if args.json:
        summary = {"users": args.users, "seconds": round(elapsed, 2), "workers": args.workers, "think_s": args.think,
                   "database": "sqlite" if args.sqlite else "postgresql", "requests": total,
                   "rps": round(total / elapsed, 2), "cpus": os.cpu_count(), "client_cpu_s": round(client_cpu, 2),
                   "export_every": args.export_every, "shared": args.shared, "endpoints": rows, "targets": verdict,
                   "ok": all(v["ok"] for v in verdict.values()), "errors_sample": stats.examples}
        text = json.dumps(summary, ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
            print(f"JSON summary: {args.json}")
    return 0 if all(v["ok"] for v in verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
