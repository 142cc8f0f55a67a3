"""Issue 18: CPU time and SQL statements per request for the pages of bench/load.py, in one process (no server).

    .venv/bin/python bench/cpu.py [--repeat 15] [--database-url URL] [--profile NAME] [--json]

Loads the demo as `spia demo` does (the procedures in flight) into a new SQLite file (or `--database-url`, whose
public schema is dropped and re-created; never the database `test`), signs in `hoken` / `records` on a
TestClient and, for each endpoint, reports the SQL statements of one request and the median of
time.process_time() over `--repeat` requests (the CPU the request costs in this process, whatever else the
machine runs). `--profile NAME` only repeats the endpoint whose label starts with NAME, for a sampling profiler:
`py-spy record --format raw -o out.txt -- .venv/bin/python bench/cpu.py --profile overview --repeat 200`.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time

import common
from common import DEMO_PASSWORDS, ROOT  # noqa: F401  (ROOT puts the project on sys.path)

LOCK = re.compile(r'id="lock" value="(\d+)"')


def client_for(app, login: str):
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"csrftoken": token, "login_id": login, "password": DEMO_PASSWORDS[login]})
    assert r.status_code == 303, r.text[:300]
    c.headers["X-CSRFToken"] = token
    return c


def endpoints(url: str) -> tuple[dict, list[tuple[str, str, str]]]:
    """The ids bench/load.py uses and the (label, login, path) of each page."""
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models import Assessment, AssessmentVersion, Jimu, VersionFile

    engine = make_engine(url)
    with Session(engine) as s:
        def latest(name: str, form: str):
            jid = s.exec(select(Jimu.id).where(Jimu.name == name)).one()
            aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()
            v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)
                       .order_by(AssessmentVersion.seq.desc())).first()
            uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == v.id)
                         .order_by(VersionFile.position)).first()
            return aid, v.id, uid

        k_aid, k_vid, k_uid = latest("国民健康保険に関する事務", "full")
        _, j_vid, j_uid = latest("住民基本台帳に関する事務", "full")
    engine.dispose()
    edit = f"/versions/{k_vid}/edit/III~III.3?file={k_uid}"
    ids = {"edit": edit}
    return ids, [
        ("editor (国保 draft, to edit)", "hoken", edit),
        ("editor (住基 全項目 Ⅲ, read-only)", "records", f"/versions/{j_vid}/edit/III~III.3?file={j_uid}"),
        ("home /", "hoken", "/"),
        ("queue", "records", "/queue"),
        ("overview (hoken)", "hoken", f"/assessments/{k_aid}"),
        ("overview (records)", "records", f"/assessments/{k_aid}"),
    ]


def form_pairs(html: str) -> tuple[list[tuple[str, str]], str]:
    pairs, field = common.form_pairs(html)
    assert field is not None, "the page has no editable text field"
    return pairs, field


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--profile", default="")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import os

    os.environ.setdefault("SPIA_RENDER_PROCESSES", "0")
    url = common.prepare_database(args.database_url, in_flight=True)  # as `spia demo` (and bench/load.py)
    from app.config import Settings
    from app.db import make_engine
    from app.main import build_asgi
    from app.querycount import count_queries

    engine = make_engine(url)
    app = build_asgi(Settings(database_url=url, secret_key="bench-secret-0123456789-0123456789-abcdef",
                              environment="test"), engine=engine)
    ids, pages = endpoints(url)
    clients = {login: client_for(app, login) for login in ("hoken", "records")}

    # the autosave: the editor page's form posted back with one field changed (htmx), as bench/load.py does
    hoken = clients["hoken"]
    pairs, field = form_pairs(hoken.get(ids["edit"]).text)
    lock = next(v for k, v in pairs if k == "lock")
    original = next(v for k, v in pairs if k == field)
    state = {"n": 0, "lock": lock}

    def save():
        state["n"] += 1
        body: dict[str, list[str]] = {}
        done = False
        for k, v in pairs:
            if k == field and not done:
                v, done = f"{original} 〔CPU {state['n']}〕", True
            body.setdefault(k, []).append(state["lock"] if k == "lock" else v)
        r = hoken.post(ids["edit"], data=body, headers={"HX-Request": "true"})
        m = LOCK.search(r.text)
        if m:
            state["lock"] = m.group(1)
        return r

    calls = [(label, (lambda c=clients[login], p=path: c.get(p))) for label, login, path in pages]
    calls.append(("autosave (htmx POST)", save))
    rows = []
    for label, call in calls:
        if args.profile and not label.startswith(args.profile):
            continue
        for _ in range(2):  # warm: templates compiled, form definitions read
            assert call().status_code == 200, label
        if args.profile:
            for _ in range(args.repeat):  # for a sampling profiler on this process (py-spy record -- python ...)
                call()
            continue
        with count_queries(engine) as counter:
            r = call()
        assert r.status_code == 200, (label, r.status_code, r.text[:300])
        cpu = []
        for _ in range(args.repeat):
            t0 = time.process_time()
            call()
            cpu.append(time.process_time() - t0)
        rows.append({"endpoint": label, "sql": counter.count, "cpu_ms": round(statistics.median(cpu) * 1000, 1),
                     "bytes": len(r.content)})
    if args.profile:
        return
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for row in rows:
            print(f"{row['endpoint']:<34} {row['sql']:>4} SQL  {row['cpu_ms']:>7} ms CPU  {row['bytes']:>8} bytes")


if __name__ == "__main__":
    main()
