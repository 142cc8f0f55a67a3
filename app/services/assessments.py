"""評価書: create from a determination, scope checks, versions and their 特定個人情報ファイル."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain import item_picker, workflow
from app.domain import threshold as th
from app.domain.answers import new_id
from app.domain.forms import FORM_LABEL, FORMS, Definition
from app.domain.policy import Actor, can_edit_department, can_view_department, department_denial
from app.domain.text import text_problem
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Determination,
    Jimu,
    PageLock,
    SpecificFile,
    VersionFile,
    pk,
)
from app.models.base import MAX_ID
from app.services import audit, catalogue, locking, memo, prefill, scope
from app.services.determinations import latest as latest_determination
from app.services.determinations import performed_level
from app.services.register import get_jimu


def offered_forms(det: Determination | None) -> list[tuple[str, bool]]:
    """(form, required) pairs a determination offers: 基礎 always; 重点/全項目 when required or voluntarily higher."""
    if det is None:
        return []
    required = set(det.required)
    highest = th.LEVEL_RANK[th.Level(det.required[-1])] if det.required else 0
    out = [("basic", "basic" in required)]
    for form in ("focused", "full"):
        rank = th.LEVEL_RANK[th.Level(form)]
        if form in required:
            out.append((form, True))
        elif rank > highest and not (form == "focused" and "full" in required):
            out.append((form, False))
    return out


def get(session: Session, *, actor: Actor, assessment_id: int, edit: bool = False) -> tuple[Assessment, Jimu]:
    a = session.get(Assessment, assessment_id) if 1 <= assessment_id <= MAX_ID else None
    if a is None or not scope.same_body(actor, a.organisation_id):
        raise NotFound("評価書が見つかりません。")
    jimu = session.get(Jimu, a.jimu_id)
    if jimu is None:  # (the foreign key keeps it)
        raise NotFound("評価書の事務が見つかりません。")
    allowed = can_edit_department if edit else can_view_department
    if not allowed(actor, jimu.department_id):
        raise Forbidden(department_denial(actor, "評価書"))
    return a, jimu


@dataclass(frozen=True)
class Editability:
    """The one answer to "may this user change this 評価書 (this version's text) now?", with the reason when not."""

    ok: bool
    reason: str = ""
    frozen: bool = False  # refused by the version's stage (409), not by who the user is (403)

    def __bool__(self) -> bool:
        return self.ok


def editability(actor: Actor, jimu: Jimu, version: AssessmentVersion | None = None) -> Editability:
    """Who (the 事務's department; council members never) and, given a version, its stage and frozen state.

    Pages show the reason instead of a form, the services refuse with it (`get_version(edit=True)`), the API
    answers with it: one rule, so a page never offers what the save path refuses."""
    if actor.role == "council" or not can_edit_department(actor, jimu.department_id):
        return Editability(False, department_denial(actor, "評価書"))
    if version is not None and not content_open(version):
        return Editability(False, frozen_reason(version), frozen=True)
    return Editability(True)


def can_edit(session: Session, *, actor: Actor, assessment: Assessment,
             version: AssessmentVersion | None = None) -> bool:
    jimu = session.get(Jimu, assessment.jimu_id)
    return jimu is not None and editability(actor, jimu, version).ok


def version_row(session: Session, version_id: int | None) -> AssessmentVersion | None:
    """A version by id, for a page that already holds an authorised row pointing at it (the version a revision is
    based on, the one a 見直し reviewed); anything reached by a user-given id goes through get_version."""
    return session.get(AssessmentVersion, version_id) if version_id else None


def version_by_seq(session: Session, *, actor: Actor, assessment_id: int, seq: int | None) -> AssessmentVersion:
    """第{seq}版 of a 評価書 the actor may read, or its latest version when `seq` is None (the CLI's --version)."""
    get(session, actor=actor, assessment_id=assessment_id)
    q = select(AssessmentVersion).where(AssessmentVersion.assessment_id == assessment_id)
    v = session.exec(q.where(AssessmentVersion.seq == seq) if seq else q.order_by(col(AssessmentVersion.seq).desc())).first()
    if v is None:
        raise NotFound("指定された版がありません。")
    return v


def get_version(session: Session, *, actor: Actor, version_id: int, edit: bool = False
                ) -> tuple[AssessmentVersion, Assessment, Jimu]:
    v = session.get(AssessmentVersion, version_id) if 1 <= version_id <= MAX_ID else None
    if v is None:
        raise NotFound("評価書の版が見つかりません。")
    a, jimu = get(session, actor=actor, assessment_id=v.assessment_id, edit=edit)
    if edit:
        _refuse_frozen(v)
    return v, a, jimu


def content_open(v: AssessmentVersion) -> bool:
    """The version's text may change: not frozen, and in a stage where the working text is edited."""
    return not v.frozen and workflow.editable(v.stage)


def frozen_reason(v: AssessmentVersion) -> str:
    return (f"この版は「{workflow.stage_label(v.stage)}」のため編集できません(手続中・提出済・公表済の版の内容は変更"
            "できません)。変更する場合は新しい版を作成してください。")


def _refuse_frozen(v: AssessmentVersion) -> None:
    if not content_open(v):
        raise Conflict(frozen_reason(v))


def _locked(session: Session, version_id: int) -> AssessmentVersion:
    """The version row re-read under a row lock (FOR UPDATE on PostgreSQL; SQLite writers are serialised by
    BEGIN IMMEDIATE), so its stage cannot change until this transaction ends."""
    return session.exec(select(AssessmentVersion).where(AssessmentVersion.id == version_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def ensure_writable(session: Session, version: AssessmentVersion) -> AssessmentVersion:
    """The one guard every write to a version's content goes through (answers, 非公表 flags, files, 変更箇所 rows,
    ※ classifications, imports, …): refuses (409) a version that is frozen or in a stage whose text may not change.

    The row stays locked until the caller commits: a concurrent 提出/公表 waits for this write (and then freezes
    what was written), and a write that waited for a 公表 sees the new stage and is refused.
    """
    v = _locked(session, pk(version))
    _refuse_frozen(v)
    return v


def writable_version(session: Session, *, actor: Actor, version_id: int) -> tuple[AssessmentVersion, Assessment, Jimu]:
    """get_version(edit=True) + ensure_writable: for services that write the version's content."""
    v, a, jimu = get_version(session, actor=actor, version_id=version_id, edit=True)
    return ensure_writable(session, v), a, jimu


def lock_for_transition(session: Session, version_id: int) -> AssessmentVersion:
    """Taken first by a stage transition: content writes in flight finish before the stage changes or a snapshot is
    taken, and later ones see the new stage."""
    return _locked(session, version_id)


def lock_assessment(session: Session, assessment_id: int) -> None:
    """Serialise "open a new …" steps of one 評価書 (改訂, 見直し): the second of two concurrent requests waits and
    then sees what the first created (the partial unique indexes are the backstop)."""
    session.exec(select(Assessment.id).where(Assessment.id == assessment_id).with_for_update()).one()


def versions(session: Session, assessment_id: int) -> list[AssessmentVersion]:
    return list(memo.once(session, ("versions", assessment_id), lambda: session.exec(
        select(AssessmentVersion).where(AssessmentVersion.assessment_id == assessment_id)
        .order_by(col(AssessmentVersion.seq))).all()))


def current_version(session: Session, assessment_id: int) -> AssessmentVersion:
    found = versions(session, assessment_id)  # read once per request (the 評価書 page asks for it several times)
    if not found:  # (a 評価書 is created with its first version)
        raise NotFound("評価書の版が見つかりません。")
    return found[-1]


def files(session: Session, version_id: int) -> list[VersionFile]:
    return list(memo.once(session, ("files", version_id), lambda: session.exec(
        select(VersionFile).where(VersionFile.version_id == version_id)
        .order_by(col(VersionFile.position), col(VersionFile.id))).all()))


def item_picker_of(session: Session, d: Definition, version_id: int) -> item_picker.Picker:
    """The related-item picker of a version (意見, 指摘事項): the items of `d`, a per-file item once per file."""
    return item_picker.picker(d, [item_picker.File(f.uid, f.name) for f in files(session, version_id)])


def next_number(session: Session, organisation_id: int, jimu_id: int) -> int:
    """The 事務's 評価書番号 if it has one (基礎 and 全項目 share it), else the next free number."""
    same = session.exec(select(Assessment.number).where(Assessment.jimu_id == jimu_id)).first()
    if same is not None:
        return same
    top = session.exec(select(func.max(Assessment.number)).where(Assessment.organisation_id == organisation_id)).one()
    return (top or 0) + 1


def create(session: Session, *, actor: Actor, jimu_id: int, forms: list[str], number: str = "",
           today: date, form_versions: dict[str, str] | None = None) -> list[Assessment]:
    jimu = get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    det = latest_determination(session, pk(jimu))
    if det is None:
        raise ValidationFailed({"forms": "先にしきい値判断を記録してください。評価書は最新のしきい値判断から作成します。"})
    offered = dict(offered_forms(det))
    errors: dict[str, str] = {}
    if not forms:
        errors["forms"] = "作成する評価書を選択してください。"
    for form in forms:
        if form not in offered:
            errors["forms"] = f"{FORM_LABEL.get(form, form)}は、このしきい値判断からは作成できません。"
        elif session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).first():
            errors["forms"] = f"この事務の{FORM_LABEL[form]}は既に作成されています。"
    if "focused" in forms and "full" in forms:
        errors["forms"] = "重点項目評価書と全項目評価書を同時に作成することはできません。"
    num = next_number(session, jimu.organisation_id, pk(jimu))
    if number.strip():
        try:
            num = th.parse_count(number, "評価書番号", 999_999, unit="")
            if num < 1:
                raise ValueError("評価書番号は1以上で入力してください。")
        except ValueError as exc:
            errors["number"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    created: list[Assessment] = []
    for form in [f for f in FORMS if f in forms]:
        clash = session.exec(select(Assessment).where(Assessment.organisation_id == jimu.organisation_id,
                                                      Assessment.form == form, Assessment.number == num)).first()
        if clash:
            raise ValidationFailed({"number": f"評価書番号 {num} の{FORM_LABEL[form]}は既にあります。"})
        a = Assessment(organisation_id=jimu.organisation_id, jimu_id=pk(jimu), form=form, number=num,
                       created_by_id=actor.user_id)
        with locking.unique_or_conflict(session, f"この事務の{FORM_LABEL[form]}は他の利用者が先に作成しました。"):
            session.add(a)  # (jimu, form) and (organisation, form, number) are unique: a double submit is a 409
        d = (catalogue.definition(form, form_versions[form]) if form_versions and form in form_versions
             else catalogue.catalogue().latest(form))
        v = AssessmentVersion(assessment_id=pk(a), seq=1, form_version=d.version, kind="initial",
                              determination_id=det.id, created_by_id=actor.user_id)
        session.add(v)
        session.flush()
        reg = session.exec(select(SpecificFile).where(SpecificFile.jimu_id == jimu.id)
                           .order_by(col(SpecificFile.position), col(SpecificFile.id))).all()
        for pos, f in enumerate(reg):
            session.add(VersionFile(version_id=pk(v), uid=new_id("f"), register_file_id=f.id, name=f.name, position=pos))
        session.flush()
        seed_version(session, version=v, assessment=a, actor=actor)
        audit.record(session, actor=actor, entity="assessment", entity_id=a.id, action="created",
                     after={"form": form, "number": num, "jimu_id": jimu.id, "form_version": d.version,
                            "determination_id": det.id, "performed_level": performed_level(det)})
        created.append(a)
    session.commit()
    return created


def add_page_locks(session: Session, version_id: int, d: Definition, file_uids: list[str], *,
                   file_pages_only: bool = False, locks: dict[tuple[str, str], int] | None = None) -> None:
    """The editor's page-lock rows of a version: one per page, and one per file for the pages of each file.

    Every page the editor can open needs its row (a missing one makes the page 404), so new versions, new files,
    revisions and imports all create them here. `file_pages_only`: only the per-file pages (a file added to an
    existing version); `locks`: {(page, file uid): lock} carried over (an import continues after them)."""
    for page in d.pages:
        if page.scope != "file" and file_pages_only:
            continue
        for uid in (file_uids if page.scope == "file" else [""]):
            row = PageLock(version_id=version_id, page_id=page.id, file_uid=uid)
            if locks is not None:
                row.lock = locks.get((page.id, uid), 0) + 1
            session.add(row)


def seed_version(session: Session, *, version: AssessmentVersion, assessment: Assessment, actor: Actor) -> None:
    """Page locks for every page (and file) and the answers the register gives."""
    d = catalogue.definition(assessment.form, version.form_version)
    add_page_locks(session, pk(version), d, [f.uid for f in files(session, pk(version))])
    values = prefill.compute(d, prefill.Sources(session, version, assessment))
    for uid, items in values.items():
        for item_id, value in items.items():
            if d.item(item_id).readonly:
                continue
            session.add(Answer(version_id=pk(version), file_uid=uid, item_id=item_id, value=value,
                               updated_by_id=actor.user_id))
    session.flush()


def add_file(session: Session, *, actor: Actor, version_id: int, name: str, register_file_id: str = "") -> VersionFile:
    v, a, jimu = writable_version(session, actor=actor, version_id=version_id)
    name = name.strip()
    raw_reg = str(register_file_id or "").strip()
    # ASCII digits only ("²".isdigit() is true, but int("²") fails) and within the id range
    reg_id = int(raw_reg) if raw_reg.isascii() and raw_reg.isdigit() and len(raw_reg) <= 10 else None
    reg = session.get(SpecificFile, reg_id) if reg_id and 1 <= reg_id <= MAX_ID else None
    if raw_reg and (reg is None or reg.jimu_id != jimu.id):
        raise ValidationFailed({"register_file_id": "登録簿のファイルが見つかりません。"})
    if not name and reg is not None:
        name = reg.name
    problem = text_problem(name, label="ファイル名", max_len=200, required=True)
    existing = files(session, pk(v))
    if not problem and any(f.name == name for f in existing):
        problem = f"ファイル「{name}」は既にあります。"
    if problem:
        raise ValidationFailed({"file_name": problem})
    vf = VersionFile(version_id=pk(v), uid=new_id("f"), register_file_id=reg_id, name=name,
                     position=max([f.position for f in existing], default=-1) + 1)
    session.add(vf)
    session.flush()
    d = catalogue.definition(a.form, v.form_version)
    add_page_locks(session, pk(v), d, [vf.uid], file_pages_only=True)
    computed = prefill.compute(d, prefill.Sources(session, v, a)).get(vf.uid, {})
    for item_id, value in computed.items():
        session.add(Answer(version_id=pk(v), file_uid=vf.uid, item_id=item_id, value=value, updated_by_id=actor.user_id))
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="file_added",
                 after={"uid": vf.uid, "name": name, "register_file_id": reg_id})
    session.commit()
    return vf


def remove_file(session: Session, *, actor: Actor, version_id: int, uid: str) -> None:
    v, _a, _ = writable_version(session, actor=actor, version_id=version_id)
    vfiles = files(session, pk(v))
    target = next((f for f in vfiles if f.uid == uid), None)
    if target is None:
        raise NotFound("ファイルが見つかりません。")
    if len(vfiles) == 1:
        raise ValidationFailed({"file": "特定個人情報ファイルは1つ以上必要です。"})
    answers = session.exec(select(Answer).where(Answer.version_id == v.id, Answer.file_uid == uid)).all()
    before = {"file": target.name, "answers": {x.item_id: x.value for x in answers}}
    for row in answers:
        session.delete(row)
    for lock in session.exec(select(PageLock).where(PageLock.version_id == v.id, PageLock.file_uid == uid)).all():
        session.delete(lock)
    session.delete(target)
    for pos, f in enumerate(f for f in vfiles if f.uid != uid):  # keep positions 0..n-1 (as import makes them)
        if f.position != pos:
            f.position = pos
            session.add(f)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="file_removed",
                 before=before)
    session.commit()


def move_file(session: Session, *, actor: Actor, version_id: int, uid: str, direction: str) -> None:
    v, _, _ = writable_version(session, actor=actor, version_id=version_id)
    vfiles = files(session, pk(v))
    idx = next((i for i, f in enumerate(vfiles) if f.uid == uid), None)
    if idx is None:
        raise NotFound("ファイルが見つかりません。")
    j = idx - 1 if direction == "up" else idx + 1
    if 0 <= j < len(vfiles):
        vfiles[idx], vfiles[j] = vfiles[j], vfiles[idx]
        for pos, f in enumerate(vfiles):
            f.position = pos
            session.add(f)
        audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="file_moved",
                     after=[f.name for f in vfiles])
        session.commit()


def rename_file(session: Session, *, actor: Actor, version_id: int, uid: str, name: str) -> None:
    v, _, _ = writable_version(session, actor=actor, version_id=version_id)
    vfiles = files(session, pk(v))
    target = next((f for f in vfiles if f.uid == uid), None)
    if target is None:
        raise NotFound("ファイルが見つかりません。")
    name = name.strip()
    problem = text_problem(name, label="ファイル名", max_len=200, required=True)
    if not problem and any(f.name == name and f.uid != uid for f in vfiles):
        problem = f"ファイル「{name}」は既にあります。"
    if problem:
        raise ValidationFailed({"file_name": problem})
    before = target.name
    target.name = name
    session.add(target)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="file_renamed",
                 before={"uid": uid, "name": before}, after={"uid": uid, "name": name})
    session.commit()
