"""A 重点/全項目評価書 goes out together with its 基礎項目評価書 (issue 11 item 17).

When the しきい値判断 behind a 重点/全項目 version requires the 基礎項目評価書 too, the 重点/全項目 is submitted only
once that 基礎 (same 事務, same 評価書番号) is submitted, and published only once it is published — or both move
in one transaction with 「基礎と一緒に提出・公表」 (`procedure.fire(..., with_basic=True)`).
"""
from __future__ import annotations

from sqlmodel import Session, select

from app.domain import workflow
from app.models import Assessment, AssessmentVersion, Determination

STEP = {"submit": "提出", "publish": "公表"}
REACHED = {"submit": ("submitted", "published"), "publish": ("published",)}


def basic_of(session: Session, a: Assessment) -> Assessment | None:
    if a.form not in ("focused", "full"):
        return None
    return session.exec(select(Assessment).where(Assessment.jimu_id == a.jimu_id, Assessment.form == "basic")).first()


def companions(session: Session, a: Assessment) -> list[Assessment]:
    """The other 評価書 of the same 事務 (the 基礎 for a 重点/全項目 and the reverse), for links both ways."""
    return list(session.exec(select(Assessment).where(Assessment.jimu_id == a.jimu_id, Assessment.id != a.id)
                             .order_by(Assessment.id)).all())


def applies(session: Session, a: Assessment, v: AssessmentVersion, action: str) -> bool:
    """True when this step of this version needs its 基礎 (a 修正 is re-submitted on its own)."""
    if action not in STEP or a.form not in ("focused", "full") or v.kind == "correction":
        return False
    det = session.get(Determination, v.determination_id) if v.determination_id else None
    return det is None or "basic" in (det.required or [])


def basic_version(session: Session, a: Assessment) -> AssessmentVersion | None:
    from app.services.assessments import current_version

    basic = basic_of(session, a)
    return current_version(session, basic.id) if basic else None


def problem(session: Session, a: Assessment, v: AssessmentVersion, action: str) -> str | None:
    """None when the 基礎 has reached this step already (or none is needed), else why not (Japanese)."""
    if not applies(session, a, v, action):
        return None
    step = STEP[action]
    bv = basic_version(session, a)
    if bv is None:
        return (f"この事務の基礎項目評価書がありません。しきい値判断により基礎項目評価書も必要です。"
                f"基礎項目評価書を作成し、一緒に{step}してください。")
    if bv.determination_id and v.determination_id and bv.determination_id != v.determination_id:
        return (f"基礎項目評価書(第{bv.seq}版)は別のしきい値判断に基づいています。この{STEP[action]}には、同じしきい値判断に"
                f"基づく基礎項目評価書の版が必要です(基礎項目評価書を改訂してください)。")
    if bv.stage in REACHED[action]:
        return None
    return (f"同じ評価書番号({a.number})の基礎項目評価書がまだ{step}されていません"
            f"(現在の段階: {workflow.stage_label(bv.stage)})。先に基礎項目評価書を{step}するか、"
            f"「基礎と一緒に{step}」を使ってください。")
