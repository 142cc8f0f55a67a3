"""A 重点/全項目評価書 goes out together with its 基礎項目評価書 (issue 11 item 17).

When the しきい値判断 behind a 重点/全項目 version requires the 基礎項目評価書 too, the 重点/全項目 is submitted only
once that 基礎 (same 事務, same 評価書番号) is submitted, and published only once it is published — or both move
in one transaction with 「基礎と一緒に提出・公表」 (`procedure.fire(..., with_basic=True)`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.domain import workflow
from app.models import Assessment, AssessmentVersion, Determination, pk

STEP = {"submit": "提出", "publish": "公表"}
REACHED = {"submit": ("submitted", "published"), "publish": ("published",)}


def basic_of(session: Session, a: Assessment) -> Assessment | None:
    if a.form not in ("focused", "full"):
        return None
    return session.exec(select(Assessment).where(Assessment.jimu_id == a.jimu_id, Assessment.form == "basic")).first()


def companions(session: Session, a: Assessment) -> list[Assessment]:
    """The other 評価書 of the same 事務 (the 基礎 for a 重点/全項目 and the reverse), for links both ways."""
    return list(session.exec(select(Assessment).where(Assessment.jimu_id == a.jimu_id, Assessment.id != a.id)
                             .order_by(col(Assessment.id))).all())


def applies(session: Session, a: Assessment, v: AssessmentVersion, action: str) -> bool:
    """True when this step of this version needs its 基礎 (a 修正 is re-submitted on its own)."""
    if action not in STEP or a.form not in ("focused", "full") or v.kind == "correction":
        return False
    det = session.get(Determination, v.determination_id) if v.determination_id else None
    return det is None or "basic" in (det.required or [])


def basic_version(session: Session, a: Assessment) -> AssessmentVersion | None:
    from app.services.assessments import current_version

    basic = basic_of(session, a)
    return current_version(session, pk(basic)) if basic else None


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


# --- The pair as screens show it (issue 14 items 1-2) ------------------------------------------------------------

FORM_ORDER = ("basic", "focused", "full")


@dataclass(frozen=True)
class Member:
    """One 評価書 of a 事務's pair (or one the determination asks for that does not exist yet)."""

    form: str
    required: bool | None                # the determination asks for it (義務, or the chosen 任意実施); None: none
    assessment: Assessment | None        # None: not created yet
    version: AssessmentVersion | None    # its current version
    stage: str                           # 作成中 / 意見公募中 / … / 公表済 (with the municipality's own steps)
    percent: int | None                  # % answered, as the editor's 完成度
    other_determination: bool            # its current version rests on another しきい値判断
    current: bool                        # the page this is shown on is this 評価書

    @property
    def label(self) -> str:
        from app.domain.forms import FORM_LABEL

        return FORM_LABEL[self.form]


@dataclass(frozen=True)
class NextStep:
    kind: str       # create | open
    label: str      # 「評価書を作成」 / 「全項目評価書を開く」
    url: str
    forms: str      # 「基礎項目評価書・全項目評価書」: what it creates / opens
    stage: str = "" # the stage of the one it opens


def wanted_forms(det: Determination | None) -> list[str]:
    """The forms a determination asks for: what it requires and the higher level chosen voluntarily."""
    if det is None:
        return []
    forms = set(det.required or [])
    if det.voluntary_level:
        forms |= {"basic", det.voluntary_level}
    return [f for f in FORM_ORDER if f in forms]


def members(session: Session, *, jimu_id: int, det: Determination | None, today: date, current_id: int | None = None,
            custom: list[workflow.CustomStep] | tuple[workflow.CustomStep, ...] = (),
            known: dict[int, int] | None = None) -> list[Member]:
    """The 事務's 評価書 with each one's stage and progress, plus the forms `det` asks for that are not created yet.
    Progress is the editor's 完成度 (`editor.progress`); `known`: {version id: percent} the caller has computed
    already in this request (the 評価書 page, for its own version), not computed again."""
    from app.services.editor import progress

    wanted = wanted_forms(det)
    existing = list(session.exec(select(Assessment).where(Assessment.jimu_id == jimu_id)).all())
    by_form: dict[str, list[Assessment]] = {}
    for a in existing:
        by_form.setdefault(a.form, []).append(a)
    out: list[Member] = []
    for form in FORM_ORDER:
        found = sorted(by_form.get(form, []), key=pk)
        if not found and form in wanted:
            out.append(Member(form, True, None, None, "未作成", None, False, False))
        for a in found:
            from app.services.assessments import current_version

            v = current_version(session, pk(a))
            if v is not None and known and v.id in known:
                pct: int | None = known[v.id]
            else:
                pct = progress(session, version=v, assessment=a, today=today) if v else None
            other = bool(det and v and v.determination_id and v.determination_id != det.id)
            out.append(Member(form, (form in wanted) if det else None, a, v, workflow.stage_label(v.stage, custom) if v else "-", pct,
                              other, a.id == current_id))
    return out


def next_step(jimu_id: int, found: list[Member], *, can_create: bool) -> NextStep | None:
    """What to do after the しきい値判断: create the forms it asks for that do not exist yet, else open the first
    one still in progress (None when everything asked for is published)."""
    missing = [m for m in found if m.required and m.assessment is None]
    if missing:
        if not can_create:
            return None
        query = "&".join(f"forms={m.form}" for m in missing)
        return NextStep("create", "評価書を作成", f"/jimu/{jimu_id}/assessments/new?{query}",
                        "・".join(m.label for m in missing))
    open_ = [m for m in found if m.required and m.version and m.version.stage != "published" and not m.current]
    if not open_:
        return None
    # the one furthest from done; on a tie the 重点/全項目 (the 基礎 goes out with it)
    m = min(open_, key=lambda m: (m.percent if m.percent is not None else 0, -FORM_ORDER.index(m.form)))
    if m.assessment is None:  # a member with a version always has its 評価書
        return None
    return NextStep("open", f"{m.label}を開く", f"/assessments/{pk(m.assessment)}", m.label, m.stage)
