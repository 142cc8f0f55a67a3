"""Issue 2 benchmark: threshold API and dashboard under 20 concurrent clients; SQL queries per dashboard.

    .venv/bin/python bench/foundation.py [--seconds 20] [--clients 20] [--database-url URL] [--workers 1]
"""
from __future__ import annotations

import argparse
import json

from common import add_jimu, prepare_database, print_table, run_load, serve


def query_counts() -> dict[int, int]:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.db import make_engine
    from app.main import build_asgi
    from app.querycount import count_queries

    url = prepare_database()
    engine = make_engine(url)
    app = build_asgi(Settings(database_url=url, secret_key="x" * 40), engine=engine)
    out = {}
    with TestClient(app) as c:
        import re

        token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"csrftoken": token, "login_id": "records", "password": "Bunsho-Demo-2025"})
        for target in (10, 500):
            have = len(c.get("/api/v1/jimu").json())
            add_jimu(engine, target - have)
            with count_queries(engine) as counter:
                assert c.get("/").status_code == 200
            out[target] = counter.count
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    url = prepare_database(args.database_url, extra_jimu=100)
    with serve(url, workers=args.workers) as base:
        def actions(idx, i):
            body = {"subjects": 1000 * (idx * 37 + i) % 500_000, "handlers": (i * 13) % 900}
            return [
                ("POST /api/v1/threshold", lambda c: c.post("/api/v1/threshold", json=body), {200}),
                ("GET / (dashboard, 104 事務)", lambda c: c.get("/"), {200}),
            ]

        rec, duration = run_load(base, "records", args.clients, actions, args.seconds)
    rows = rec.report(duration)
    print(f"{args.clients} clients, {duration:.1f} s, workers={args.workers}, db={url.split(':')[0]}")
    print_table(rows)
    counts = query_counts()
    print(f"SQL statements per dashboard request: {json.dumps(counts)}")


if __name__ == "__main__":
    main()
