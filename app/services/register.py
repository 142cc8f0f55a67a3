"""事務 register: list, create, edit and end 事務 with their 特定個人情報ファイル."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import threshold as th
from app.domain.policy import (
    Actor,
    can_edit_department,
    can_register_jimu,
    can_view_department,
    department_denial,
    register_denial,
)
from app.domain.text import text_problem
from app.domain.wareki import BadDate, parse_date
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import Department, Jimu, SpecificFile, pk
from app.models.base import MAX_ID, utcnow
from app.services import audit, locking, scope

FILE_KINDS = {
    "system": "システム用ファイル",
    "other_electronic": "その他の電子ファイル(表計算ファイル等)",
    "manual": "手作業処理用ファイル",
}
STALE_JIMU = "この事務は他の利用者により更新されています。最新の内容を確認してから、もう一度保存してください。"
STATUSES = {"planned": "計画中", "active": "実施中", "ended": "終了"}
MAX_FILES = 50


@dataclass
class FileInput:
    name: str = ""
    kind: str = "system"
    subjects: str = ""
    subjects_as_of: str = ""
    staff_only: bool = False
    id: int | None = None


@dataclass
class JimuInput:
    name: str = ""
    department_id: str = ""
    legal_basis: str = ""
    status: str = "active"
    handlers: str = ""
    handlers_as_of: str = ""
    dedup_subjects: str = ""
    dedup_note: str = ""
    lock_version: str = ""
    files: list[FileInput] = field(default_factory=list)


def get_jimu(session: Session, *, actor: Actor, jimu_id: int, edit: bool = False) -> Jimu:
    jimu = session.get(Jimu, jimu_id) if 1 <= jimu_id <= MAX_ID else None  # beyond INTEGER: no such row
    if jimu is None or not scope.same_body(actor, jimu.organisation_id):
        raise NotFound("事務が見つかりません。")
    allowed = can_edit_department if edit else can_view_department
    if not allowed(actor, jimu.department_id):
        raise Forbidden(department_denial(actor, "事務"))
    return jimu


def files_of(session: Session, jimu_id: int) -> list[SpecificFile]:
    return list(session.exec(
        select(SpecificFile).where(SpecificFile.jimu_id == jimu_id).order_by(col(SpecificFile.position), col(SpecificFile.id))
    ).all())


def visible_jimu(session: Session, *, actor: Actor, department_id: int | None = None,
                 jimu_id: int | None = None) -> list[Jimu]:
    q = scope.visible(select(Jimu).order_by(col(Jimu.department_id), col(Jimu.id)), actor,
                      organisation=Jimu.organisation_id, department=Jimu.department_id)
    if q is None:
        return []
    if department_id:
        q = q.where(Jimu.department_id == department_id)
    if jimu_id:
        q = q.where(Jimu.id == jimu_id)
    return list(session.exec(q).all())


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").casefold()


def validate(session: Session, *, actor: Actor, organisation_id: int, data: JimuInput,
             today: date, jimu_id: int | None = None) -> dict[str, Any]:
    """Return clean values or raise ValidationFailed with one Japanese message per field."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    problem = text_problem(name, label="事務の名称", max_len=200, required=True)
    if problem:
        errors["name"] = problem
    else:
        others = session.exec(select(Jimu.id, Jimu.name).where(Jimu.organisation_id == organisation_id)).all()
        if any(_key(n) == _key(name) and i != jimu_id for i, n in others):
            errors["name"] = f"事務「{name}」は既に登録されています(同じ評価実施機関で事務の名称は重複できません)。"
    dept_id = _int_or_none(data.department_id)
    dept = session.get(Department, dept_id) if dept_id else None
    if dept is None or dept.organisation_id != organisation_id:
        errors["department_id"] = "担当部署を選択してください。"
    elif not can_edit_department(actor, dept.id):
        errors["department_id"] = "自分の所属部署以外を担当部署にすることはできません。"
    problem = text_problem(data.legal_basis, label="法令上の根拠", max_len=4000)
    if problem:
        errors["legal_basis"] = problem
    if data.status not in ("planned", "active"):
        errors["status"] = "状態は「計画中」または「実施中」を選択してください(終了は「事務終了」から登録します)。"
    handlers = _count(data.handlers, "取扱者数", th.MAX_HANDLERS, errors, "handlers")
    handlers_as_of = _as_of(data.handlers_as_of, "取扱者数のいつ時点の計数か", today, errors, "handlers_as_of")
    files = _files(data.files, today, errors)
    dedup = None
    if data.dedup_subjects.strip():
        dedup = _count(data.dedup_subjects, "重複を除いた対象人数", th.MAX_SUBJECTS, errors, "dedup_subjects")
        counted = [f for f in files if not f["staff_only"]]
        if "dedup_subjects" not in errors and counted:
            if dedup > sum(f["subjects"] for f in counted):
                errors["dedup_subjects"] = "重複を除いた対象人数は、各ファイルの対象人数の合計以下にしてください。"
            elif dedup < max(f["subjects"] for f in counted):
                errors["dedup_subjects"] = "重複を除いた対象人数は、最も多いファイルの対象人数以上にしてください。"
        if not data.dedup_note.strip():
            errors["dedup_note"] = "重複を除いた対象人数を入力する場合は、算定方法の説明を入力してください。"
    problem = text_problem(data.dedup_note, label="算定方法の説明", max_len=1000)
    if problem:
        errors["dedup_note"] = problem
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name, "department_id": dept_id, "legal_basis": data.legal_basis.strip(), "status": data.status,
        "handlers": handlers, "handlers_as_of": handlers_as_of, "dedup_subjects": dedup,
        "dedup_note": data.dedup_note.strip(), "files": files,
    }


def _int_or_none(raw: str) -> int | None:
    """An id typed or posted as text; None when it is no integer or outside the id range (names no row)."""
    try:
        n = int(str(raw).strip())
    except ValueError:
        return None
    return n if 1 <= n <= MAX_ID else None


def _count(raw: str, label: str, maximum: int, errors: dict[str, str], key: str) -> int:
    try:
        return th.parse_count(raw, label, maximum)
    except ValueError as exc:
        errors[key] = str(exc)
        return 0


def _as_of(raw: str, label: str, today: date, errors: dict[str, str], key: str) -> date | None:
    if not raw.strip():
        errors[key] = f"{label}を入力してください。"
        return None
    try:
        value = parse_date(raw, label=label)
    except BadDate as exc:
        errors[key] = str(exc)
        return None
    if value > today:
        errors[key] = f"{label}に未来の日付は指定できません。"
    return value


def _files(rows: list[FileInput], today: date, errors: dict[str, str]) -> list[dict[str, Any]]:
    rows = [r for r in rows if r.name.strip() or r.subjects.strip() or r.id]
    if not rows:
        errors["files"] = "特定個人情報ファイルを1つ以上登録してください。"
        return []
    if len(rows) > MAX_FILES:
        errors["files"] = f"特定個人情報ファイルは{MAX_FILES}件までです。"
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, r in enumerate(rows):
        name = r.name.strip()
        problem = text_problem(name, label=f"ファイル{i + 1}の名称", max_len=200, required=True)
        if problem:
            errors[f"files-{i}-name"] = problem
        elif _key(name) in seen:
            errors[f"files-{i}-name"] = f"ファイル名「{name}」が重複しています。"
        seen.add(_key(name))
        if r.kind not in FILE_KINDS:
            errors[f"files-{i}-kind"] = "ファイルの種類を選択してください。"
        subjects = _count(r.subjects, f"ファイル{i + 1}の対象人数", th.MAX_SUBJECTS, errors, f"files-{i}-subjects")
        as_of = _as_of(r.subjects_as_of, f"ファイル{i + 1}のいつ時点の計数か", today, errors, f"files-{i}-subjects_as_of")
        out.append({"id": r.id, "name": name, "kind": r.kind, "subjects": subjects,
                    "subjects_as_of": as_of, "staff_only": bool(r.staff_only)})
    return out


def require_can_register(actor: Actor) -> None:
    """Refuse (403, before any input is looked at) those who may not register a 事務, e.g. council members."""
    if not can_register_jimu(actor):
        raise Forbidden(register_denial(actor))


def create(session: Session, *, actor: Actor, organisation_id: int, data: JimuInput, today: date) -> Jimu:
    require_can_register(actor)
    clean = validate(session, actor=actor, organisation_id=organisation_id, data=data, today=today)
    files = clean.pop("files")
    jimu = Jimu(organisation_id=organisation_id, **clean)
    with locking.unique_or_conflict(session, f"事務「{jimu.name}」は他の利用者が先に登録しました。事務の一覧を確認してください。"):
        session.add(jimu)  # (organisation, name) is unique: a double submit is a 409
    _replace_files(session, pk(jimu), files)
    audit.record(session, actor=actor, entity="jimu", entity_id=jimu.id, action="created",
                 after={**audit.jsonable(jimu), "files": audit.jsonable(files)})
    session.commit()
    return jimu


def update(session: Session, *, actor: Actor, jimu_id: int, data: JimuInput, today: date) -> Jimu:
    jimu = get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    if str(jimu.lock_version) != data.lock_version.strip():
        said, _ = locking.stale_message(session, Jimu, pk(jimu), message=STALE_JIMU, what="この事務", entity="jimu",
                                        actor_id=actor.user_id)
        raise Conflict(f"{said}(編集を始めた時点の版: {data.lock_version.strip() or '不明'}、"
                       f"現在の版: {jimu.lock_version})", current=jimu)
    clean = validate(session, actor=actor, organisation_id=jimu.organisation_id, data=data, today=today, jimu_id=jimu.id)
    files = clean.pop("files")
    # the write itself is conditional on the version (one UPDATE … WHERE lock_version = :seen): of concurrent saves
    # from the same version exactly one wins; the check above only gives the early, friendly answer
    before = {**audit.jsonable(jimu), "files": audit.jsonable(files_of(session, pk(jimu)))}
    locking.claim(session, Jimu, pk(jimu), data.lock_version, message=STALE_JIMU, what="この事務", entity="jimu",
                  actor_id=actor.user_id)
    session.refresh(jimu)
    for key, value in clean.items():
        setattr(jimu, key, value)
    jimu.updated_at = utcnow()
    session.add(jimu)
    _replace_files(session, pk(jimu), files)
    audit.record(session, actor=actor, entity="jimu", entity_id=jimu.id, action="updated", before=before,
                 after={**audit.jsonable(jimu), "files": audit.jsonable(files)})
    session.commit()
    return jimu


def _replace_files(session: Session, jimu_id: int, files: list[dict[str, Any]]) -> None:
    existing = {f.id: f for f in files_of(session, jimu_id)}
    keep: set[int | None] = set()
    for pos, f in enumerate(files):
        row = existing.get(f["id"]) if f["id"] else None
        if row is None:
            row = SpecificFile(jimu_id=jimu_id, name=f["name"])
        keep.add(row.id)
        row.position, row.name, row.kind = pos, f["name"], f["kind"]
        row.subjects, row.subjects_as_of, row.staff_only = f["subjects"], f["subjects_as_of"], f["staff_only"]
        session.add(row)
    gone = [fid for fid in existing if fid not in keep]
    if gone:
        # 評価書 versions keep their own copy of a file (name, answers); only the link to the register ends
        # (deleting a referenced row would otherwise fail on the foreign key: a 500 instead of the update)
        from sqlalchemy import update

        from app.models import VersionFile

        session.exec(update(VersionFile).where(col(VersionFile.register_file_id).in_(gone)).values(register_file_id=None))
        for fid in gone:
            session.delete(existing[fid])
    session.flush()


def end(session: Session, *, actor: Actor, jimu_id: int, end_date_text: str, lock_version: str, today: date) -> Jimu:
    jimu = get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    if str(jimu.lock_version) != lock_version.strip():
        said, _ = locking.stale_message(session, Jimu, pk(jimu), what="この事務", entity="jimu", actor_id=actor.user_id,
                                        message="この事務は他の利用者により更新されています。画面を再読み込みしてください。")
        raise Conflict(said, current=jimu)
    try:
        end_date = parse_date(end_date_text, label="終了日")
    except BadDate as exc:
        raise ValidationFailed({"end_date": str(exc)}) from None
    before = audit.jsonable(jimu)
    locking.claim(session, Jimu, pk(jimu), lock_version, message="この事務は他の利用者により更新されています。画面を再読み込みしてください。",
                  what="この事務", entity="jimu", actor_id=actor.user_id)
    session.refresh(jimu)
    jimu.status, jimu.end_date = "ended", end_date
    jimu.updated_at = utcnow()
    session.add(jimu)
    audit.record(session, actor=actor, entity="jimu", entity_id=jimu.id, action="ended", before=before, after=jimu)
    session.commit()
    return jimu
