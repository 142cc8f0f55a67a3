"""移行登録: a 評価書 published before this system, registered as published without pretending it went through
our procedure (issue 15 §3).

A 移行登録 version has kind "migration", stage 公表済 and is frozen; its 公表日 (and 提出日) come from the
計画管理書 or are entered by the records section, and one stage event records who registered it. Its 公表日
drives the 見直し and 再実施 clocks like any publication. Only records and administrators (and the local CLI)
may register one: never staff, staff API tokens or a JSON import (jsonimport always creates an ordinary draft).
A version registered from a sheet row has no content: it is shown as 「内容未取込」. The next revision of such a
評価書 is an ordinary version through the full procedure (revisions.revise).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from app.domain.policy import Actor
from app.domain.wareki import BadDate, parse_date, wareki
from app.errors import Conflict, Forbidden, ValidationFailed
from app.models import Answer, Assessment, AssessmentVersion, AuditLog, StageEvent, pk
from app.models.base import utcnow
from app.services import assessments, audit, catalogue, locking, memo

KIND = "migration"
LABEL = "移行登録(手続の記録なし)"
NO_CONTENT = "内容未取込"
DENIED = "移行登録は総務・文書担当と管理者だけが行えます。"
NOTHING_TO_PRINT = ("この版は計画管理書から移行登録したもので、評価書の内容を取り込んでいません(内容未取込)。"
                    "公表した評価書のファイルを取り込んでから出力してください。")
NOT_IMPORTED = ("移行登録できるのは、取り込んだ評価書の作成中の版だけです"
                "(この版は取り込んだものではないか、既に手続に入っています)。")


def can_register(actor: Actor) -> bool:
    return actor.role in ("admin", "records", "system")


def require(actor: Actor) -> None:
    if not can_register(actor):
        raise Forbidden(DENIED)


def add_sheet_version(session: Session, *, actor: Actor, assessment: Assessment, published_on: date,
                      submitted_on: date | None, source: str) -> AssessmentVersion:
    """The first version of a 評価書 known only from a 計画管理書 row: published, frozen, without content."""
    require(actor)
    d = catalogue.catalogue().latest(assessment.form)
    v = AssessmentVersion(assessment_id=pk(assessment), seq=1, form_version=d.version, kind=KIND, stage="published",
                          frozen=True, published_on=published_on, submitted_on=submitted_on,
                          created_by_id=actor.user_id)
    session.add(v)
    session.flush()
    _event(session, actor, v, "", f"{LABEL}。{source}から登録({NO_CONTENT})。")
    return v


def _event(session: Session, actor: Actor, v: AssessmentVersion, from_stage: str, note: str) -> None:
    session.add(StageEvent(version_id=pk(v), action="migrate", from_stage=from_stage, to_stage="published",
                           on_date=v.published_on, actor_id=actor.user_id, actor_login=actor.login_id, note=note[:2000]))
    session.flush()


def was_imported(session: Session, version_id: int) -> bool:
    """True if the version's content came from a file (JSON / DOCX / a filled 評価書): the audit log says so."""
    return memo.once(session, ("imported", version_id), lambda: session.exec(select(AuditLog.id).where(
        AuditLog.entity == "assessment_version", AuditLog.entity_id == str(version_id),
        col(AuditLog.action).startswith("import")).limit(1)).first() is not None)


def offer(session: Session, actor: Actor, v: AssessmentVersion) -> bool:
    """Whether the 評価書 page offers 「移行登録」 for this version."""
    return can_register(actor) and v.stage == "draft" and was_imported(session, pk(v))


def register_draft(session: Session, *, actor: Actor, version_id: int, published_on: str, submitted_on: str,
                   today: date) -> AssessmentVersion:
    """Register an imported working draft as 移行登録: published on the dates given, frozen, by `actor`."""
    require(actor)
    v = session.get(AssessmentVersion, version_id)
    if v is None:
        raise ValidationFailed({"version": "評価書の版が見つかりません。"})
    a, _ = assessments.get(session, actor=actor, assessment_id=v.assessment_id, edit=True)
    assessments.lock_assessment(session, pk(a))
    session.refresh(v)
    if v.stage != "draft" or not was_imported(session, pk(v)):
        raise Conflict(NOT_IMPORTED)
    pub, sub = check_dates(published_on, submitted_on, today)
    before = audit.jsonable(v)
    v.kind, v.stage, v.frozen, v.stage_since = KIND, "published", True, utcnow()
    v.published_on, v.submitted_on = pub, sub
    v.stage_lock += 1
    with locking.unique_or_conflict(session, NOT_IMPORTED):
        session.add(v)
    _event(session, actor, v, "draft", f"{LABEL}。取り込んだ内容を、公表日 {wareki(pub)} の評価書として登録。")
    audit.record(session, actor=actor, entity="assessment", entity_id=a.id, action="migrated", before=before,
                 after={**audit.jsonable(v), "label": LABEL}, note=LABEL)
    session.commit()
    return v


def check_dates(published_on: str, submitted_on: str, today: date) -> tuple[date, date | None]:
    errors: dict[str, str] = {}
    pub: date | None = None
    sub: date | None = None
    try:
        pub = parse_date(published_on, label="公表日")
        if pub > today:
            errors["published_on"] = "公表日に未来の日付は指定できません。"
    except BadDate as exc:
        errors["published_on"] = str(exc)
    if submitted_on.strip():
        try:
            sub = parse_date(submitted_on, label="提出日")
            if sub > today:
                errors["submitted_on"] = "提出日に未来の日付は指定できません。"
            elif pub and sub > pub:
                errors["submitted_on"] = "提出日は公表日以前の日付にしてください。"
        except BadDate as exc:
            errors["submitted_on"] = str(exc)
    if errors or pub is None:  # pub is None only when it could not be read (an error above)
        raise ValidationFailed(errors)
    return pub, sub


def without_content(session: Session, versions: Sequence[AssessmentVersion | None]) -> set[int]:
    """Ids of the 移行登録 versions among `versions` that hold no answer at all (「内容未取込」)."""
    ids = [pk(v) for v in versions if v is not None and v.kind == KIND]
    if not ids:
        return set()
    filled = set(session.exec(select(Answer.version_id).where(col(Answer.version_id).in_(ids)).distinct()).all())
    return set(ids) - filled


def label(v: AssessmentVersion | None, missing: set[int]) -> str:
    """「移行登録(手続の記録なし)」, with 「内容未取込」 when the version has no content; "" for other versions."""
    if v is None or v.kind != KIND:
        return ""
    return f"{LABEL}・{NO_CONTENT}" if v.id in missing else LABEL
