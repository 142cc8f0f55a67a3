"""一括変更 at scale: the demo's published 評価書 cloned to N (default 200), then the example campaign
(assessments/demo/campaigns/gov_cloud.yaml, targets and values widened to every clone) planned and applied.

    PYTHONPATH=. .venv/bin/python bench/campaign.py [--n 200] [--url postgresql+psycopg://...]

Prints the plan time, the apply time (one transaction) and the re-apply time (nothing to do). The clones copy the
rows of the published versions (jimu, assessment, version, files, answers, page locks), so each clone is a real
評価書 to the services.
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import date

from common import ROOT, prepare_database

SOURCES = ("住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務", "児童手当の支給に関する事務")


def _clone(conn, table, row: dict, **over) -> int:
    from sqlalchemy import insert

    data = {k: v for k, v in row.items() if k != "id"} | over
    return conn.execute(insert(table).values(**data).returning(table.c.id)).scalar_one() if "id" in row else \
        conn.execute(insert(table).values(**data))


def clone(engine, n: int) -> dict[str, str]:
    """Copies of the three demo 事務 and their published 評価書 until there are `n` 評価書; {clone: source name}."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    t = SQLModel.metadata.tables
    made: dict[str, str] = {}
    with engine.begin() as conn:
        number = conn.execute(select(t["assessment"].c.number).order_by(t["assessment"].c.number.desc())).first()[0]
        k, total = 0, 0
        while total < n:
            k += 1
            for name in SOURCES:
                if total >= n:
                    break
                jimu = conn.execute(select(t["jimu"]).where(t["jimu"].c.name == name)).mappings().one()
                new_name = f"{name}(複製{k})"
                jid = _clone(conn, t["jimu"], dict(jimu), name=new_name)
                made[new_name] = name
                for a in conn.execute(select(t["assessment"]).where(t["assessment"].c.jimu_id == jimu["id"])).mappings():
                    if total >= n:
                        break
                    number += 1
                    aid = _clone(conn, t["assessment"], dict(a), jimu_id=jid, number=number)
                    v = conn.execute(select(t["assessmentversion"]).where(
                        t["assessmentversion"].c.assessment_id == a["id"]).order_by(
                        t["assessmentversion"].c.seq.desc())).mappings().first()
                    vid = _clone(conn, t["assessmentversion"], dict(v), assessment_id=aid, based_on_id=None)
                    for table in ("versionfile", "answer", "pagelock"):
                        for row in conn.execute(select(t[table]).where(t[table].c.version_id == v["id"])).mappings():
                            _clone(conn, t[table], dict(row), version_id=vid)
                    total += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.domain.policy import Actor
    from app.models import User
    from app.services import campaigns

    url = prepare_database(args.url)
    engine = make_engine(url)
    made = clone(engine, args.n)
    raw = campaigns.read_yaml((ROOT / "assessments" / "demo" / "campaigns" / "gov_cloud.yaml").read_text("utf-8"))
    raw["targets"] = {"jimu": sorted(made)}
    raw["values"] = {clone: raw["values"][src] for clone, src in made.items() if src in raw["values"]}
    today = date.today()
    with Session(engine, expire_on_commit=False) as s:
        u = s.exec(select(User).where(User.login_id == "records")).one()
        actor = Actor(user_id=u.id, login_id=u.login_id, role="records", organisation_id=u.organisation_id)
        t0 = time.perf_counter()
        rows, _ = campaigns.plan(s, actor=actor, spec=campaigns.parse(raw), as_of=today)
        t_plan = time.perf_counter() - t0
        c = campaigns.save(s, actor=actor, raw=raw)
        t0 = time.perf_counter()
        result = campaigns.apply(s, actor=actor, campaign_id=c.id, today=today)
        t_apply = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = campaigns.apply(s, actor=actor, campaign_id=c.id, today=today)
        t_again = time.perf_counter() - t0
    load = os.getloadavg()
    print(f"database: {url.split('@')[-1]}  評価書 planned: {len(rows)}  ready: "
          f"{sum(r.status == 'ready' for r in rows)}  load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
          f"  cpus: {os.cpu_count()}")
    print(f"plan  (dry run, {len(rows)} 評価書): {t_plan:7.2f} s")
    print(f"apply ({len(result.created)} new versions, one transaction): {t_apply:7.2f} s "
          f"({t_apply / max(len(result.created), 1) * 1000:.0f} ms per 評価書)")
    print(f"apply again (nothing to do, {len(again.created)} created): {t_again:7.2f} s")


if __name__ == "__main__":
    main()
