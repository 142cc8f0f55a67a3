"""Shared helpers for the benchmarks: a prepared database, a real `spia serve`, a bounded load client."""
from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_PASSWORDS = {"admin": "Kanri-Demo-2025", "records": "Bunsho-Demo-2025", "shimin": "Juki-Demo-2025",
                  "zeimu": "Kazei-Demo-2025", "kodomo": "Teate-Demo-2025", "hoken": "Kokuho-Demo-2025",
                  "council": "Shingi-Demo-2025"}


def prepare_database(url: str | None = None, *, extra_jimu: int = 0, in_flight: bool = False) -> str:
    """Migrate and load the demo into `url` (default: a new SQLite file); return the URL. `in_flight`: the demo as
    `spia demo` loads it (with revisions in the middle of their procedure); without, figures compare with earlier
    runs. A PostgreSQL database named `test` or `postgres` is never wiped."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.demo import load_demo
    from app.migrate import upgrade

    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='spia-bench-')}/bench.db"
    elif url.startswith("postgresql"):
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        if make_url(url).database in ("test", "postgres"):
            raise SystemExit("refusing to use the database 'test' or 'postgres'")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session, today=date.today(), in_flight=in_flight)
    if extra_jimu:
        add_jimu(engine, extra_jimu)
    engine.dispose()
    return url


def add_jimu(engine, n: int) -> None:
    from sqlmodel import Session, select

    from app.domain.policy import SYSTEM
    from app.models import Department, Organisation
    from app.services import register
    from app.services.register import FileInput, JimuInput

    with Session(engine, expire_on_commit=False) as s:
        org = s.exec(select(Organisation)).first()
        depts = s.exec(select(Department).where(Department.parent_id.is_not(None))).all()
        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
        start = len(register.visible_jimu(s, actor=actor))
        for i in range(n):
            register.create(s, actor=actor, organisation_id=org.id, today=date.today(), data=JimuInput(
                name=f"負荷試験用の事務{start + i:05d}", department_id=str(depts[i % len(depts)].id), handlers=str(50 + i % 700),
                handlers_as_of="2025-04-01",
                files=[FileInput(name=f"ファイル{k}", subjects=str(3000 * (i % 50 + 1)), subjects_as_of="2025-04-01")
                       for k in range(2)]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(url: str, workers: int = 1):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SPIA_SECRET_KEY": "bench-secret-0123456789-0123456789-abcdef"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode())
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def signed_in_client(base: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    page = client.get("/login").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"csrftoken": token, "login_id": login, "password": DEMO_PASSWORDS[login]})
    assert r.status_code == 303, r.text
    client.headers["X-CSRFToken"] = token
    return client


class Recorder:
    def __init__(self):
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, name: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.samples.setdefault(name, []).append(seconds)
            if not ok:
                self.errors[name] = self.errors.get(name, 0) + 1

    def report(self, duration: float) -> list[dict]:
        rows = []
        for name, xs in sorted(self.samples.items()):
            xs = sorted(xs)
            rows.append({
                "endpoint": name, "requests": len(xs), "rps": round(len(xs) / duration, 1),
                "p50_ms": round(pct(xs, 50) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1),
                "p99_ms": round(pct(xs, 99) * 1000, 1), "errors": self.errors.get(name, 0),
            })
        return rows


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run_load(base: str, login: str, n_clients: int, actions, seconds: float) -> tuple[Recorder, float]:
    """A bounded asyncio load: each of n_clients signed-in clients loops over actions(idx, i) until time is up.

    `actions` yields (name, async fn(client) -> response, expected statuses).
    """
    import asyncio

    rec = Recorder()

    async def main() -> float:
        clients = []
        for _ in range(n_clients):
            sync = signed_in_client(base, login)
            client = httpx.AsyncClient(base_url=base, timeout=60, cookies=sync.cookies, headers=sync.headers)
            sync.close()
            clients.append(client)
        stop = time.monotonic() + seconds

        async def worker(idx: int, client: httpx.AsyncClient) -> None:
            i = 0
            while time.monotonic() < stop:
                for name, fn, expect in actions(idx, i):
                    t0 = time.perf_counter()
                    try:
                        r = await fn(client)
                        ok = r.status_code in expect
                    except httpx.HTTPError:
                        ok = False
                    rec.add(name, time.perf_counter() - t0, ok)
                i += 1

        t0 = time.monotonic()
        await asyncio.gather(*(worker(i, c) for i, c in enumerate(clients)))
        elapsed = time.monotonic() - t0
        for c in clients:
            await c.aclose()
        return elapsed

    return rec, asyncio.run(main())


def print_table(rows: list[dict]) -> None:
    cols = ["endpoint", "requests", "rps", "p50_ms", "p95_ms", "p99_ms", "errors"]
    print(" | ".join(f"{c:>14}" for c in cols))
    for r in rows:
        print(" | ".join(f"{r[c]!s:>14}" for c in cols))


def median_ms(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 1)


def fresh_postgres(url: str) -> str:
    """Drop and re-create the database named in `url` (never `test`, which the test suite owns)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.database in (None, "", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to re-create the database {u.database!r}; use a benchmark database of its own")
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()
    return url


def form_pairs(html: str) -> tuple[list[tuple[str, str]], str | None]:
    """The fields of #page-form as a browser would post them now, and the field the autosave will change."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").select_one("#page-form")
    if form is None:
        return [], None
    pairs: list[tuple[str, str]] = []
    for el in form.select("input[name], textarea[name], select[name]"):
        name = el["name"]
        if name == "csrftoken" or el.has_attr("disabled"):
            continue
        if el.name == "textarea":
            pairs.append((name, el.get_text()))
        elif el.name == "select":
            opt = el.select_one("option[selected]") or el.select_one("option")
            pairs.append((name, opt["value"] if opt else ""))
        elif el.get("type") in ("checkbox", "radio"):
            if el.has_attr("checked"):
                pairs.append((name, el.get("value", "on")))
        elif el.get("type") not in ("submit", "button"):
            pairs.append((name, el.get("value", "")))
    editable = [el["name"] for el in form.select("textarea[name]")
                if el["name"].startswith(("a|", "m|")) and not el.has_attr("disabled") and not el.has_attr("readonly")]
    return pairs, (editable[0] if editable else None)
