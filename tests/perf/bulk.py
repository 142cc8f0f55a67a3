"""Grow a demo database to many 事務 and 評価書 fast: plain core INSERTs of rows cloned from the demo.

Every synthetic 事務 gets what a real one has — 特定個人情報ファイル, two しきい値判断, a 基礎項目評価書 and for
every other one a 全項目 (or 重点) 評価書 with versions in all stages (a published one often followed by a
draft revision), version files, answers, page locks, stage events, improvement actions (open, overdue,
closed), public comments, council reviews with open 答申 conditions and completed yearly reviews.
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy import func, select

from app.models import (
    AnnualReview,
    Answer,
    Assessment,
    AssessmentVersion,
    Council,
    Department,
    Determination,
    ImprovementAction,
    Jimu,
    Organisation,
    PageLock,
    PublicComment,
    Review,
    ReviewCondition,
    SpecificFile,
    StageEvent,
    VersionFile,
)
from tests import dbutil

# stage of the first version, per position in the cycle; published ones get a yearly review and, every other
# time, a second (draft) version
STAGES = ["published", "draft", "internal_check", "published", "public_comment", "submitted", "review_revision",
          "published", "comment_revision", "third_party_review"]
PATH = {  # the stage events that led to a stage (form 全項目 of a 地方公共団体等)
    "draft": [],
    "internal_check": [("submit_for_check", "draft", "internal_check")],
    "public_comment": [("submit_for_check", "draft", "internal_check"),
                       ("start_comment", "internal_check", "public_comment")],
    "comment_revision": [("submit_for_check", "draft", "internal_check"),
                         ("start_comment", "internal_check", "public_comment"),
                         ("close_comment", "public_comment", "comment_revision")],
    "third_party_review": [("submit_for_check", "draft", "internal_check"),
                           ("start_comment", "internal_check", "public_comment"),
                           ("close_comment", "public_comment", "comment_revision"),
                           ("start_review", "comment_revision", "third_party_review")],
    "review_revision": [("submit_for_check", "draft", "internal_check"),
                        ("start_comment", "internal_check", "public_comment"),
                        ("close_comment", "public_comment", "comment_revision"),
                        ("start_review", "comment_revision", "third_party_review"),
                        ("close_review", "third_party_review", "review_revision")],
    "submitted": [("submit_for_check", "draft", "internal_check"), ("submit", "internal_check", "submitted")],
    "published": [("submit_for_check", "draft", "internal_check"), ("submit", "internal_check", "submitted"),
                  ("publish", "submitted", "published")],
}
SIMPLE = {"public_comment", "comment_revision", "third_party_review", "review_revision"}  # 全項目 only
ANSWERS_PER_VERSION = 30
TABLES = [Jimu, SpecificFile, Determination, Assessment, AssessmentVersion, VersionFile, Answer, PageLock, StageEvent,
          ImprovementAction, PublicComment, Review, ReviewCondition, AnnualReview]


def _uid() -> str:
    return "f" + secrets.token_hex(5)


def assessment_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Assessment)).scalar_one()


def big_city(engine, *, jimu: int = 1_000, forms_per_jimu: int = 3, history: int = 8, batch: int = 50,
             progress=None) -> int:
    """A big city (issue 18): `jimu` synthetic 事務 with `forms_per_jimu` 評価書 each (基礎, 重点, 全項目) and
    revision chains of about `history` + 1.5 versions per 評価書 (`history` published ones before the current
    cycle; the current one in any stage, often followed by a draft revision). The default makes 1,000 事務,
    3,000 評価書 and about 30,000 versions. Inserted `batch` 事務 at a time (bounded memory); returns the 評価書 added.
    `progress(done, total)` is called after every batch."""
    start = assessment_count(engine)
    total = start + jimu * forms_per_jimu
    added = 0
    while start + added < total:
        added += grow(engine, min(total, start + added + batch * forms_per_jimu), forms_per_jimu=forms_per_jimu,
                      history=history)
        if progress:
            progress(added, total - start)
    return added


def grow(engine, total: int, *, forms_per_jimu: int | None = None, history: int = 0) -> int:
    """Add synthetic 事務 until the database holds `total` 評価書; return how many 評価書 were added.

    `forms_per_jimu` 1–3: every 事務 gets that many 評価書 (基礎, then 重点, then 全項目); by default 基礎 and, for every
    other 事務, a 全項目 or 重点. `history`: published versions before the current cycle (a revision chain)."""
    have = assessment_count(engine)
    if have >= total:
        return 0
    tmpl, _ = dbutil.demo_snapshot()
    with engine.connect() as conn:
        org_id = conn.execute(select(Organisation.id)).scalars().first()
        depts = list(conn.execute(select(Department.id).where(Department.parent_id.is_not(None))
                                  .order_by(Department.id)).scalars())
        council_id = conn.execute(select(Council.id)).scalars().first()
        next_id = {}
        for model in TABLES:
            if "id" in model.__table__.c:
                next_id[model] = count((conn.execute(select(func.max(model.id))).scalar() or 0) + 1)
        number = count((conn.execute(select(func.max(Assessment.number))).scalar() or 0) + 1)
        serial = count(conn.execute(select(func.count()).select_from(Jimu)).scalar_one())
    rows: dict[str, list[dict]] = {m.__tablename__: [] for m in TABLES}
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    today = dbutil.DEMO_TODAY

    def clone(model, source: dict, **values) -> dict:
        row = dict(source)  # shallow: nested values (JSON) are only inserted, never changed
        if "id" in model.__table__.c and "id" not in values:
            values["id"] = next(next_id[model])
        row.update(values)
        rows[model.__tablename__].append(row)
        return row

    by_id = {t: {r["id"]: r for r in tmpl[t]} for t in ("determination", "assessmentversion", "improvementaction",
                                                         "publiccomment", "review")}
    source_version = {"basic": 4, "focused": 7, "full": 5}  # 国保 基礎 (2 files), 住民税 重点, 国保 全項目 (2 files)
    templates = {form: [a for a in tmpl["answer"] if a["version_id"] == vid] for form, vid in source_version.items()}
    template_uids = {form: [f["uid"] for f in sorted((f for f in tmpl["versionfile"] if f["version_id"] == vid),
                                                     key=lambda f: f["position"])]
                     for form, vid in source_version.items()}
    page_locks = {form: [p for p in tmpl["pagelock"] if p["version_id"] == vid][:8]
                  for form, vid in source_version.items()}
    stage_event = tmpl["stageevent"][0]
    determinations = list(by_id["determination"].values())

    added = 0
    while have + added < total:
        k = next(serial)
        jimu = clone(Jimu, tmpl["jimu"][k % len(tmpl["jimu"])], organisation_id=org_id,
                     department_id=depts[k % len(depts)], name=f"負荷試験用の事務{k:05d}", status="active",
                     end_date=None, created_at=now, updated_at=now, lock_version=1)
        if k % 17 == 5:
            jimu.update(status="ended", end_date=date(2025, 3, 31))
        files = [clone(SpecificFile, tmpl["specificfile"][0], jimu_id=jimu["id"], position=p,
                       name=f"負荷試験用ファイル{k:05d}-{p}", subjects=3_000 * (k % 90 + 1) + p) for p in range(2)]
        dets = []
        for n, on in enumerate((date(2024, 4, 15), date(2026, 4, 15))):
            src = determinations[(k + n) % len(determinations)]
            dets.append(clone(Determination, src, jimu_id=jimu["id"], determined_on=on, created_at=now))
        if forms_per_jimu:
            forms = ["basic", "focused", "full"][:forms_per_jimu]
        else:
            forms = ["basic"] + ([("full", "focused")[k % 4 == 3]] if k % 2 == 0 else [])
        shared_number = next(number)
        for form in forms:
            if have + added >= total:
                break
            a = clone(Assessment, tmpl["assessment"][0], organisation_id=org_id, jimu_id=jimu["id"], form=form,
                      number=shared_number, created_at=now)
            added += 1
            stage = STAGES[(k + (form != "basic")) % len(STAGES)]
            if form != "full" and stage in SIMPLE:
                stage = "internal_check"
            versions = []
            for h in range(history):  # an older revision chain: 実施, then 修正 and every 5th a 再実施, all published
                versions.append(_version(clone, by_id, a, form, h + 1, "initial" if h == 0 else
                                         ("reassessment" if h % 5 == 0 else "correction"), "published",
                                         dets[0]["id"], now, today, based_on=versions[-1]["id"] if versions else None,
                                         published_on=date(2012, 4, 1) + timedelta(days=200 * h + a["id"] % 90)))
            first = _version(clone, by_id, a, form, history + 1, "reassessment" if history else "initial", stage,
                             dets[-1]["id"], now, today, based_on=versions[-1]["id"] if versions else None)
            versions.append(first)
            if stage == "published" and k % 2 == 1:
                versions.append(_version(clone, by_id, a, form, history + 2,
                                         "reassessment" if k % 4 == 1 else "correction",
                                         "draft", dets[-1]["id"], now, today, based_on=first["id"]))
            for v in versions:
                uids = [_uid() for _ in files]
                for p, f in enumerate(files):
                    clone(VersionFile, {}, version_id=v["id"], uid=uids[p], register_file_id=f["id"], name=f["name"],
                          position=p)
                remap = dict(zip(template_uids[form], uids, strict=False))  # 重点: 1 file in the demo
                for src in templates[form][:ANSWERS_PER_VERSION]:
                    value = src["value"]
                    if src["item_id"] == "cover.name":
                        value = f"{jimu['name']} {'基礎項目評価書' if form == 'basic' else '評価書'}"
                    if src["file_uid"] and src["file_uid"] not in remap:
                        continue
                    clone(Answer, src, version_id=v["id"], file_uid=remap.get(src["file_uid"], ""), value=value,
                          updated_at=now)
                for lock in page_locks[form]:
                    if lock["file_uid"] and lock["file_uid"] not in remap:
                        continue
                    clone(PageLock, lock, version_id=v["id"], file_uid=remap.get(lock["file_uid"], ""),
                          updated_at=now)
                for n, (action, src_stage, dst) in enumerate(PATH[v["stage"]]):
                    clone(StageEvent, stage_event, version_id=v["id"], action=action, from_stage=src_stage,
                          to_stage=dst, at=now - timedelta(days=60 - n), on_date=None, note="")
            working = versions[-1]
            if k % 3 == 0:  # 改善策: one open (every other one overdue) and one closed
                src = by_id["improvementaction"][1]
                clone(ImprovementAction, src, assessment_id=a["id"], version_id=working["id"], file_uid="",
                      due_on=today - timedelta(days=10) if k % 2 else today + timedelta(days=40), status="open",
                      created_at=now, updated_at=now)
                clone(ImprovementAction, src, assessment_id=a["id"], version_id=working["id"], file_uid="",
                      status="closed", closed_on=today - timedelta(days=30), close_note="完了(負荷試験)",
                      created_at=now, updated_at=now)
            if form == "full" and first["stage"] in SIMPLE | {"published"}:
                end = today + timedelta(days=5) if first["stage"] == "public_comment" else today - timedelta(days=120)
                clone(PublicComment, by_id["publiccomment"][1], version_id=first["id"], start_on=end - timedelta(days=29),
                      end_on=end, closed_on=None if first["stage"] == "public_comment" else end, snapshot_id=None,
                      created_at=now)
                if first["stage"] in ("third_party_review", "review_revision", "published"):
                    review = clone(Review, by_id["review"][1], version_id=first["id"], council_id=council_id,
                                   snapshot_id=None, created_at=now,
                                   result="条件付き適当" if first["stage"] == "review_revision" else "適当",
                                   closed_on=None if first["stage"] == "third_party_review" else today - timedelta(days=90))
                    if first["stage"] == "review_revision":
                        for n in range(2):
                            clone(ReviewCondition, {}, review_id=review["id"], text=f"答申の条件{n + 1}(負荷試験)",
                                  status="open" if n == 0 else "met", met_on=None if n == 0 else today, note="")
            if first["stage"] == "published" and k % 3 != 2:
                clone(AnnualReview, {}, assessment_id=a["id"], version_id=first["id"], started_on=date(2026, 5, 1),
                      completed_on=date(2026, 6, 1), reviewer_id=None, outcome="no_change", findings="",
                      next_version_id=None, created_at=now)
    dbutil.load_rows(engine, rows)
    return added


def _version(clone, by_id, a: dict, form: str, seq: int, kind: str, stage: str, det_id: int, now: datetime,
             today: date, based_on: int | None = None, published_on: date | None = None) -> dict:
    src = by_id["assessmentversion"][{"basic": 4, "focused": 7, "full": 5}[form]]
    frozen = stage not in ("draft", "comment_revision", "review_revision")
    if stage == "published" and published_on is None:
        published_on = date(2021 + a["id"] % 5, 3, 15)
    submitted_on = (published_on - timedelta(days=14)) if published_on else (today - timedelta(days=3)
                                                                            if stage == "submitted" else None)
    return clone(AssessmentVersion, src, assessment_id=a["id"], seq=seq, kind=kind, stage=stage, frozen=frozen,
                 stage_since=now - timedelta(days=(a["id"] * 7) % 40), stage_lock=1, based_on_id=based_on,
                 determination_id=det_id, submitted_on=submitted_on, published_on=published_on, approved_on=None,
                 revision_reason="" if seq == 1 else "review", planned_change_on=None, created_at=now)
