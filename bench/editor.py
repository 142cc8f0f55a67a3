"""Issue 3 benchmark: editor save latency (p50/p95) and the editor page of the demo 全項目 (3 files).

    .venv/bin/python bench/editor.py [--saves 200] [--database-url URL]

Saves go to the demo 国保 draft (全項目, 2 files) over HTTP against `spia serve`; the page timing uses the
demo 住基 全項目 (3 files). SQL statements per request are counted in-process.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time

from common import pct, prepare_database, serve, signed_in_client


def version_ids(url: str) -> tuple[int, str, int, str]:
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models import Assessment, AssessmentVersion, Jimu, VersionFile

    engine = make_engine(url)
    with Session(engine) as s:
        def vid(name):
            jid = s.exec(select(Jimu.id).where(Jimu.name == name)).one()
            aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
            v = s.exec(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == aid)).one()
            uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == v).order_by(VersionFile.position)).first()
            return v, uid
        kokuho, k_uid = vid("国民健康保険に関する事務")
        juki, j_uid = vid("住民基本台帳に関する事務")
    engine.dispose()
    return kokuho, k_uid, juki, j_uid


def form_pairs(html: str) -> list[tuple[str, str]]:
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").select_one("#page-form")
    pairs = []
    for el in form.select("input[name], textarea[name]"):
        if el.get("type") in ("checkbox", "radio") and not el.has_attr("checked"):
            continue
        pairs.append((el["name"], el.get_text() if el.name == "textarea" else el.get("value", "")))
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    url = prepare_database(args.database_url)
    kokuho, k_uid, juki, j_uid = version_ids(url)
    with serve(url) as base:
        c = signed_in_client(base, "hoken")
        page = f"/versions/{kokuho}/edit/III~III.3?file={k_uid}"
        pairs = form_pairs(c.get(page).text)
        lock = dict(pairs)["lock"]
        times = []
        for i in range(args.saves):
            body = [(k, v) for k, v in pairs if k not in ("lock", "m|III.3.r1.atena|staff")]
            body += [("lock", lock), ("m|III.3.r1.atena|staff", f"自動保存の測定 {i}")]
            form: dict[str, list[str]] = {}
            for k, v in body:
                form.setdefault(k, []).append(v)
            t0 = time.perf_counter()
            r = c.post(page, data=form, headers={"HX-Request": "true"})
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text[:300]
            lock = re.search(r'id="lock" value="(\d+)"', r.text).group(1)
        times.sort()
        print(f"autosave (国保 全項目 Ⅲ3, {args.saves} saves): p50 {pct(times, 50) * 1000:.1f} ms, "
              f"p95 {pct(times, 95) * 1000:.1f} ms")
        r = signed_in_client(base, "shimin")
        for name, path in (("Ⅲ3 (per file)", f"/versions/{juki}/edit/III~III.3?file={j_uid}"),
                           ("Ⅰ 基本情報", f"/versions/{juki}/edit/I")):
            r.get(path)
            ts = []
            for _ in range(args.pages):
                t0 = time.perf_counter()
                assert r.get(path).status_code == 200
                ts.append(time.perf_counter() - t0)
            ts.sort()
            print(f"editor page 住基 全項目 {name}: median {statistics.median(ts) * 1000:.1f} ms, "
                  f"p95 {pct(ts, 95) * 1000:.1f} ms")
    print(f"SQL statements: {query_counts(url, juki, j_uid)}")


def query_counts(url: str, juki: int, uid: str) -> dict[str, int]:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.db import make_engine
    from app.main import build_asgi
    from app.querycount import count_queries

    engine = make_engine(url)
    app = build_asgi(Settings(database_url=url, secret_key="x" * 40), engine=engine)
    out = {}
    with TestClient(app) as c:
        token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"csrftoken": token, "login_id": "shimin", "password": "Juki-Demo-2025"})
        for name, path in (("editor page Ⅲ3", f"/versions/{juki}/edit/III~III.3?file={uid}"),
                           ("editor page Ⅰ", f"/versions/{juki}/edit/I")):
            with count_queries(engine) as q:
                c.get(path)
            out[name] = q.count
    engine.dispose()
    return out


if __name__ == "__main__":
    main()
