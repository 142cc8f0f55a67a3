"""The one import path for an assessment document (API, CLI `import-json` / `import-docx`, `into` re-imports).

An import only ever brings *content*: it creates a working draft (作成中) of an ordinary kind, or replaces the
content of the current working draft (`into`). Procedure records (stage, kind, seq, submission / approval /
publication dates, stage events) are never taken from a file: a file that carries them gets a notice, and the
notice goes to the audit log too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from app.domain.forms import FORM_LABEL, Definition
from app.domain.policy import Actor
from app.errors import Conflict, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ChangeClass,
    ImprovementAction,
    Jimu,
    PageLock,
    SpecificFile,
    VersionFile,
    pk,
)
from app.models.base import MAX_ID
from app.services import audit, scope
from app.services.assessments import add_page_locks, current_version, writable_version
from app.services.assessments import get as get_assessment
from app.services.determinations import latest as latest_determination
from app.services.jsonio import _date, export_version, validate
from app.services.register import get_jimu

PROCEDURE_NOTICE = "手続の記録(段階・日付)は取り込みません。作成中の版として取り込みました。"
LINK_NOTICE = "登録簿のファイルへの紐付けのうち、この事務のものでないもの({n}件)は取り込みませんでした。"
PROCEDURE_DATES = ("submitted_on", "approved_on", "published_on")


@dataclass
class ImportOutcome:
    version: AssessmentVersion
    notices: list[str] = field(default_factory=list)


def carries_procedure(ver: Any, target: AssessmentVersion | None = None) -> bool:
    """True if the document's `version` holds procedure records that the import does not take over: any stage,
    kind, seq or date other than a fresh draft's (or, `into` a version, other than that version's own)."""
    if not isinstance(ver, dict):
        return False
    own = ({"stage": target.stage, "kind": target.kind, "seq": target.seq}
           | {k: (getattr(target, k).isoformat() if getattr(target, k) else None) for k in PROCEDURE_DATES}
           if target else {"stage": "draft", "kind": "initial", "seq": 1})
    return ("events" in ver or "stage_events" in ver
            or any(ver.get(k) not in (None, "") and ver.get(k) != own.get(k)
                   for k in ("stage", "kind", "seq", *PROCEDURE_DATES)))


def import_document(session: Session, *, actor: Actor, data: Any, into: int | None = None,
                    number: int | None = None,
                    also: Callable[[Session, AssessmentVersion], None] | None = None) -> ImportOutcome:
    """Create an assessment as a 作成中 draft (default), or replace the content of its working draft (`into`).

    `also(session, version)`, when given, adds further rows before the one commit (nothing is written if it raises)."""
    doc = validate(data)
    d = doc["_definition"]
    notices: list[str] = []
    if into:
        a, jimu = get_assessment(session, actor=actor, assessment_id=into, edit=True)
        if a.form != d.form:
            raise ValidationFailed({"form": f"{FORM_LABEL[d.form]}のJSONは{FORM_LABEL[a.form]}に取り込めません。"})
        # refuses (409) a version that is in procedure or published: open a new version first
        v, a, jimu = writable_version(session, actor=actor, version_id=pk(current_version(session, pk(a))))
        if v.form_version != d.version:
            raise ValidationFailed({"version": f"様式の版が異なります(評価書 {v.form_version}、JSON {d.version})。"})
        if carries_procedure(doc.get("version"), v):
            notices.append(PROCEDURE_NOTICE)
        before = export_version(session, actor=actor, version_id=pk(v))
        # the page locks move on: a page opened before the import cannot save its old text over the import (409)
        locks = {(p.page_id, p.file_uid): p.lock for p in
                 session.exec(select(PageLock).where(PageLock.version_id == v.id)).all()}
        old_links = {f.uid: f.register_file_id for f in
                     session.exec(select(VersionFile).where(VersionFile.version_id == v.id)).all()}
        _clear(session, v)
    else:
        if carries_procedure(doc.get("version")):
            notices.append(PROCEDURE_NOTICE)
        a, jimu, v = _new_assessment(session, actor, d, doc, number)
        before, locks, old_links = None, {}, {}
    _store_pictures(session, d, doc)
    dropped = _fill(session, actor, d, v, a, jimu, doc, locks, old_links)
    if dropped:
        notices.append(LINK_NOTICE.format(n=dropped))
    _revision(session, v, doc)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="imported",
                 before=before, after={"files": doc["files"], "answers": len(doc["answers"]), "notices": notices})
    if also is not None:  # more rows of the same import (app/services/fileimport.py), in the same transaction
        also(session, v)
    session.commit()
    return ImportOutcome(v, notices)


def _store_pictures(session: Session, d: Definition, doc: dict[str, Any]) -> None:
    """Store the file's pictures; a figure whose picture is neither in the file nor already stored is refused."""
    from app.domain.answer_types import holds_pictures
    from app.services import figures

    for clean in doc.get("_pictures", {}).values():
        figures.store(session, clean)
    wanted = {sha for e in doc["answers"] if holds_pictures(d.item(e["item"])) for sha in figures.shas_in(e["value"])}
    missing = wanted - set(figures.blobs(session, wanted))
    if missing:
        raise ValidationFailed({"figures": f"図の画像がファイルに含まれていません({len(missing)}枚)。"
                                           "図を含めて書き出したファイルを取り込んでください。"})


def _new_assessment(session: Session, actor: Actor, d: Definition, doc: dict[str, Any],
                    number: int | None) -> tuple[Assessment, Jimu, AssessmentVersion]:
    form = d.form
    jimu_name = doc["jimu"].get("name") if isinstance(doc.get("jimu"), dict) else None
    if not isinstance(jimu_name, str) or not jimu_name:
        raise ValidationFailed({"jimu": "jimu.name(事務の名称)がありません。"})
    jimu = session.exec(select(Jimu).where(scope.body_clause(Jimu.organisation_id, actor),
                                           Jimu.name == jimu_name)).first()
    if jimu is None:
        raise ValidationFailed({"jimu": f"事務「{jimu_name[:200]}」が登録されていません。先に事務を登録してください。"})
    jimu = get_jimu(session, actor=actor, jimu_id=pk(jimu), edit=True)
    if session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).first():
        raise Conflict(f"この事務の{FORM_LABEL[form]}は既にあります。既存の評価書に取り込む場合は --into を指定してください。")
    raw_number = doc["assessment"].get("number")
    num = number or (raw_number if isinstance(raw_number, int) and not isinstance(raw_number, bool) else 0)
    if not 1 <= num <= MAX_ID or session.exec(select(Assessment).where(
            Assessment.organisation_id == jimu.organisation_id, Assessment.form == form,
            Assessment.number == num)).first():
        raise ValidationFailed({"number": f"評価書番号 {num} は使用できません(既に使われているか不正です)。--number で指定してください。"})
    a = Assessment(organisation_id=jimu.organisation_id, jimu_id=pk(jimu), form=form, number=num,
                   created_by_id=actor.user_id)
    session.add(a)
    session.flush()
    det = latest_determination(session, pk(jimu))
    # always the first, ordinary, working version: nothing of the file's procedure record is taken over
    v = AssessmentVersion(assessment_id=pk(a), seq=1, form_version=d.version, kind="initial", stage="draft",
                          frozen=False, determination_id=det.id if det else None, created_by_id=actor.user_id)
    session.add(v)
    session.flush()
    return a, jimu, v


def _revision(session: Session, v: AssessmentVersion, doc: dict[str, Any]) -> None:
    """The revision facts of the version: why it was opened, the planned change and the 重要な変更 answers."""
    ver = doc.get("version") or {}
    if "revision_reason" in ver:
        v.revision_reason = ver.get("revision_reason") or ""
    if "planned_change_on" in ver:
        v.planned_change_on = _date(ver.get("planned_change_on"), "", {})
    session.add(v)
    if "change_classes" not in doc:
        return
    for row in session.exec(select(ChangeClass).where(ChangeClass.version_id == v.id)).all():
        session.delete(row)
    session.flush()
    for c in doc["change_classes"]:
        session.add(ChangeClass(version_id=pk(v), file_uid=c.get("file", ""), item_id=c["item"],
                                decision=c["decision"]))
    session.flush()


def _clear(session: Session, v: AssessmentVersion) -> None:
    for model in (Answer, PageLock, VersionFile):
        for row in session.exec(select(model).where(model.version_id == v.id)).all():
            session.delete(row)
    session.flush()


def _links(session: Session, jimu: Jimu, doc: dict[str, Any],
           old_links: dict[str, int | None]) -> tuple[dict[str, int], int]:
    """uid → register file id, kept only when the 特定個人情報ファイル belongs to this 事務; and how many were dropped."""
    ours = set(session.exec(select(SpecificFile.id).where(SpecificFile.jimu_id == jimu.id)).all())
    links: dict[str, int] = {}
    dropped = 0
    for f in doc["files"]:
        uid = str(f["uid"])[:32]
        wanted = f.get("register_file_id") if "register_file_id" in f else old_links.get(uid)
        if wanted is None:
            continue
        if wanted in ours:
            links[uid] = wanted
        else:
            dropped += 1
    return links, dropped


def _fill(session: Session, actor: Actor, d: Definition, v: AssessmentVersion, a: Assessment, jimu: Jimu,
          doc: dict[str, Any], locks: dict[tuple[str, str], int], old_links: dict[str, int | None]) -> int:
    links, dropped = _links(session, jimu, doc, old_links)
    for pos, f in enumerate(sorted(doc["files"], key=lambda f: f.get("position", 0))):
        uid = str(f["uid"])[:32]
        session.add(VersionFile(version_id=pk(v), uid=uid, name=str(f["name"])[:200], position=pos,
                                register_file_id=links.get(uid)))
    add_page_locks(session, pk(v), d, [str(f["uid"]) for f in doc["files"]], locks=locks)
    for e in doc["answers"]:
        session.add(Answer(version_id=pk(v), file_uid=e["file"], item_id=e["item"], value=e["value"],
                           withheld=e["withheld"], withheld_reason=e["withheld_reason"], updated_by_id=actor.user_id))
    existing = {(x.file_uid, x.item_id, x.content) for x in
                session.exec(select(ImprovementAction).where(ImprovementAction.assessment_id == a.id)).all()}
    for act in doc.get("actions") or []:
        key = (str(act.get("file") or ""), str(act["item"]), str(act.get("content") or ""))
        if key in existing:
            continue
        session.add(ImprovementAction(
            assessment_id=pk(a), version_id=pk(v), file_uid=key[0], item_id=key[1], content=key[2][:4000],
            owner=str(act.get("owner") or "")[:200], due_on=_date(act.get("due_on"), "", {}),
            status="closed" if act.get("status") == "closed" else "open",
            closed_on=_date(act.get("closed_on"), "", {}), close_note=str(act.get("close_note") or "")[:2000],
            created_by_id=actor.user_id))
    session.flush()
    return dropped
