"""Double submits and lost updates against real server processes (issue 11 items 3 and 8).

Two `spia serve` processes share one scratch database (SQLite file or PostgreSQL); 12 clients, spread over both
processes, wait at a barrier and send the same request at once:

- PUT /api/v1/jimu/{id} with the same lock_version: exactly one 200, the rest 409, one edit stored;
- POST /assessments/{aid}/annual-reviews: one open review, never a 500;
- POST /assessments/{aid}/revise: exactly one new draft, never a 500.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.db import make_engine
from app.models import AnnualReview, Assessment, AssessmentVersion, Jimu
from tests.robustness.helpers import ServeProcess, WebClient, add_session, backend, scratch_database

CLIENTS = 12
JUKI = "住民基本台帳に関する事務"


@contextmanager
def servers(tmp_path, tag: str):
    with scratch_database(tmp_path, tag) as url:
        procs = [ServeProcess(url, log=tmp_path / f"serve-{tag}-{n}.log") for n in range(2)]
        try:
            for p in procs:
                p.start()
            engine = make_engine(url, **({} if url.startswith("sqlite") else {"poolclass": _null_pool()}))
            try:
                yield procs, engine
            finally:
                engine.dispose()
        finally:
            for p in procs:
                p.stop()


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


def clients_for(procs, engine, login: str) -> list[WebClient]:
    tokens = [add_session(engine, login) for _ in range(CLIENTS)]
    return [WebClient(procs[k % len(procs)].url, t) for k, t in enumerate(tokens)]


def at_once(clients: list[WebClient], send) -> list:
    """Every client sends at the same moment (barrier); returns the responses (or the exceptions)."""
    barrier = threading.Barrier(len(clients))
    out: list = [None] * len(clients)

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=60)
            out[k] = send(k, clients[k])
        except BaseException as exc:
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    for c in clients:
        c.close()
    errors = [r for r in out if isinstance(r, BaseException)]
    assert not errors, errors
    return out


def _assessment(engine, form: str) -> int:
    with Session(engine) as s:
        jid = s.exec(select(Jimu.id).where(Jimu.name == JUKI)).one()
        return s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()


def test_concurrent_jimu_puts_one_wins(tmp_path):
    with servers(tmp_path, "jimu") as (procs, engine):
        clients = clients_for(procs, engine, "records")
        with Session(engine) as s:
            jid = s.exec(select(Jimu.id).where(Jimu.name == JUKI)).one()
        current = clients[0].get(f"/api/v1/jimu/{jid}").json()
        keep = ("name", "department_id", "legal_basis", "status", "handlers", "handlers_as_of")
        body = {k: current[k] for k in keep}
        body["lock_version"] = current["lock_version"]
        body["files"] = [{k: f[k] for k in ("name", "kind", "subjects", "subjects_as_of", "staff_only")}
                         for f in current["files"]]

        def send(k, c):
            return c.api("PUT", f"/api/v1/jimu/{jid}", json={**body, "handlers": 100 + k})

        out = at_once(clients, send)
        statuses = Counter(r.status_code for r in out)
        print(f"\n[{backend()}] PUT /api/v1/jimu x{CLIENTS} over 2 processes: {dict(statuses)}")
        assert statuses == Counter({200: 1, 409: CLIENTS - 1}), statuses
        winner = next(k for k, r in enumerate(out) if r.status_code == 200)
        with Session(engine) as s:
            jimu = s.get(Jimu, jid)
            assert jimu.handlers == 100 + winner  # the one 200 is the edit that is stored
            assert jimu.lock_version == current["lock_version"] + 1
        loser = next(r for r in out if r.status_code == 409)
        assert "現在の版" in loser.json()["detail"]


def test_concurrent_annual_review_starts_open_one(tmp_path):
    with servers(tmp_path, "annual") as (procs, engine):
        aid = _assessment(engine, "full")
        clients = clients_for(procs, engine, "records")
        out = at_once(clients, lambda k, c: c.post_form(f"/assessments/{aid}/annual-reviews", []))
        statuses = Counter(r.status_code for r in out)
        print(f"\n[{backend()}] POST annual-reviews x{CLIENTS}: {dict(statuses)}")
        assert 500 not in statuses and set(statuses) <= {303, 409}, statuses
        with Session(engine) as s:
            n = s.exec(select(func.count()).select_from(AnnualReview).where(
                AnnualReview.assessment_id == aid, AnnualReview.completed_on.is_(None))).one()
        assert n == 1


def test_concurrent_revise_makes_one_draft(tmp_path):
    with servers(tmp_path, "revise") as (procs, engine):
        aid = _assessment(engine, "full")
        with Session(engine) as s:
            before = s.exec(select(func.count()).select_from(AssessmentVersion)
                            .where(AssessmentVersion.assessment_id == aid)).one()
        clients = clients_for(procs, engine, "records")
        out = at_once(clients, lambda k, c: c.post_form(f"/assessments/{aid}/revise", [("reason", "change")]))
        statuses = Counter(r.status_code for r in out)
        print(f"\n[{backend()}] POST revise x{CLIENTS}: {dict(statuses)}")
        assert 500 not in statuses and set(statuses) <= {303, 409}, statuses
        made = [r for r in out if r.status_code == 303 and "/changes" in r.headers.get("location", "")]
        assert len(made) == 1, [r.headers.get("location") for r in out]
        with Session(engine) as s:
            rows = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).all()
        assert len(rows) == before + 1
        assert sum(1 for v in rows if v.stage != "published") == 1


@pytest.fixture(autouse=True)
def _needs_spia():
    from tests.robustness.helpers import spia_command

    spia_command()
