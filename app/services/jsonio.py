"""Lossless JSON export/import of an assessment version (`spia export-json` / `import-json`, the API, DOCX)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.domain.answers import ENTRY_ID, clean_value
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.errors import Conflict, ValidationFailed
from app.domain import changes as diffs
from app.models import (
    Answer, Assessment, AssessmentVersion, ChangeClass, Department, ImprovementAction, Jimu, Organisation, PageLock,
    VersionFile,
)
from app.models.base import MAX_ID
from app.services import audit, catalogue
from app.services.answers import answers_of
from app.services.assessments import files as version_files
from app.services.assessments import get as get_assessment
from app.services.assessments import get_version, writable_version
from app.services.determinations import latest as latest_determination
from app.services.register import get_jimu

FORMAT = "spia-assessment"
REVISION_REASONS = ("change", "review", "review_reassess", "five_year", "threshold")  # services.revisions.REASONS
FORMAT_VERSION = 1
MAX_ANSWERS = 20_000


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def export_version(session: Session, *, actor: Actor, version_id: int, public: bool = False) -> dict[str, Any]:
    """The version as JSON. `public=True` leaves out the values of items flagged 非公表."""
    v, a, jimu = get_version(session, actor=actor, version_id=version_id)
    org = session.get(Organisation, a.organisation_id)
    dept = session.get(Department, jimu.department_id)
    vfiles = version_files(session, v.id)
    order = {"": -1} | {f.uid: f.position for f in vfiles}
    answers = []
    for uid, items in answers_of(session, v.id).items():
        for item_id, ans in items.items():
            entry = {"file": uid, "item": item_id, "value": ans.value, "withheld": ans.withheld,
                     "withheld_reason": ans.withheld_reason}
            if public and ans.withheld:
                entry["value"], entry["withheld_reason"] = None, ""
            answers.append(entry)
    answers.sort(key=lambda e: (order.get(e["file"], 999), e["file"], e["item"]))
    acts = session.exec(select(ImprovementAction).where(ImprovementAction.assessment_id == a.id)
                        .order_by(ImprovementAction.id)).all()
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "organisation": {"name": org.name, "kind": org.kind},
        "jimu": {"name": jimu.name, "department": dept.name if dept else ""},
        "assessment": {"form": a.form, "number": a.number},
        "version": {"seq": v.seq, "form_version": v.form_version, "kind": v.kind, "stage": v.stage,
                    "submitted_on": _iso(v.submitted_on), "approved_on": _iso(v.approved_on),
                    "published_on": _iso(v.published_on), "revision_reason": v.revision_reason,
                    "planned_change_on": _iso(v.planned_change_on)},
        "change_classes": [{"file": c.file_uid, "item": c.item_id, "decision": c.decision} for c in
                           session.exec(select(ChangeClass).where(ChangeClass.version_id == v.id)
                                        .order_by(ChangeClass.file_uid, ChangeClass.item_id)).all()],
        "files": [{"uid": f.uid, "name": f.name, "position": f.position} for f in vfiles],
        "answers": answers,
        "actions": [{"file": x.file_uid, "item": x.item_id, "content": x.content, "owner": x.owner,
                     "due_on": _iso(x.due_on), "status": x.status, "closed_on": _iso(x.closed_on),
                     "close_note": x.close_note} for x in acts],
    }


def _date(raw: Any, field: str, errors: dict) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors[field] = f"{field} の日付「{str(raw)[:40]}」が不正です。"
        return None


def validate(data: Any) -> dict[str, Any]:
    """Check the whole document against its form definition; raise ValidationFailed (Japanese) on any problem."""
    errors: dict[str, str] = {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationFailed({"format": "評価書のJSONではありません(format が spia-assessment ではありません)。"})
    if data.get("format_version") != FORMAT_VERSION:
        raise ValidationFailed({"format_version": f"対応していない形式の版です: {data.get('format_version')}"})
    try:
        form = data["assessment"]["form"]
        d = catalogue.definition(form, data["version"]["form_version"])
    except (KeyError, TypeError):
        raise ValidationFailed({"version": "様式または様式の版が不明です。"}) from None
    files = data.get("files") or []
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("uid") and f.get("name") for f in files):
        raise ValidationFailed({"files": "files の形式が不正です。"})
    uids = [str(f["uid"]) for f in files]
    if len(set(uids)) != len(uids):
        errors["files"] = "ファイルの uid が重複しています。"
    names = []
    for n, f in enumerate(files):
        if not isinstance(f["uid"], str) or not ENTRY_ID.fullmatch(f["uid"]):
            errors[f"files[{n}].uid"] = f"ファイルの uid {str(f['uid'])[:40]!r} が不正です(英数字32文字まで)。"
        name = f["name"] if isinstance(f["name"], str) else None
        problem = "ファイル名が文字列ではありません。" if name is None else text_problem(
            name.strip(), label=f"ファイル{n + 1}の名称", max_len=200, required=True)
        if problem:
            errors[f"files[{n}].name"] = problem
        elif name.strip() in names:
            errors[f"files[{n}].name"] = f"ファイル名「{name.strip()}」が重複しています。"
        names.append(name.strip() if name else "")
        position = f.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool):
            errors[f"files[{n}].position"] = "ファイルの position は整数で指定してください。"
    answers = data.get("answers") or []
    if not isinstance(answers, list) or len(answers) > MAX_ANSWERS:
        raise ValidationFailed({"answers": "answers の形式が不正か、件数が多すぎます。"})
    seen = set()
    clean_answers = []
    for n, e in enumerate(answers):
        if not isinstance(e, dict):
            errors[f"answers[{n}]"] = "形式が不正です。"
            continue
        item_id, uid = str(e.get("item", "")), str(e.get("file", ""))
        if not d.has(item_id):
            errors[f"answers[{n}]"] = f"様式 {d.key} にない項目 {item_id!r} です。"
            continue
        scope = d.section_of(item_id).scope
        if (scope == "file") != bool(uid) or (uid and uid not in uids):
            errors[f"answers[{n}]"] = f"項目 {item_id} のファイル指定 {uid!r} が不正です。"
            continue
        if (uid, item_id) in seen:
            errors[f"answers[{n}]"] = f"項目 {item_id} が重複しています。"
            continue
        seen.add((uid, item_id))
        value, err = clean_value(d.item(item_id), e.get("value"))
        if err:
            errors[f"answers[{n}]"] = f"{item_id}: {err}"
            continue
        reason = e.get("withheld_reason", "") or ""
        problem = text_problem(reason, label="非公表の理由", max_len=1000) if isinstance(reason, str) else "文字列ではありません。"
        if problem:
            errors[f"answers[{n}]"] = f"{item_id}: 非公表の理由が不正です。{problem}"
            continue
        withheld = e.get("withheld", False)
        if not isinstance(withheld, bool) and withheld is not None:
            errors[f"answers[{n}]"] = f"{item_id}: withheld は true または false で指定してください。"
            continue
        clean_answers.append({"file": uid, "item": item_id, "value": value, "withheld": bool(withheld),
                              "withheld_reason": reason})
    version = data.get("version") or {}
    if not isinstance(version, dict):
        raise ValidationFailed({"version": "version の形式が不正です。"})
    for key in ("submitted_on", "approved_on", "published_on", "planned_change_on"):
        _date(version.get(key), key, errors)
    if version.get("revision_reason") not in (None, "", *REVISION_REASONS):
        errors["version.revision_reason"] = "version.revision_reason の値が不正です。"
    classes = data.get("change_classes") or []
    if not isinstance(classes, list):
        raise ValidationFailed({"change_classes": "change_classes の形式が不正です。"})
    for n, c in enumerate(classes):
        ok = (isinstance(c, dict) and c.get("decision") in diffs.CLASSES and isinstance(c.get("item"), str)
              and diffs.classifiable(d, c["item"]) and isinstance(c.get("file", ""), str)
              and (c.get("file", "") == "" or c["file"] in uids))
        if not ok:
            errors[f"change_classes[{n}]"] = "重要な変更の区分の形式が不正です。"
    seq = version.get("seq", 1)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= 10_000:
        errors["version.seq"] = "version.seq は1以上の整数で指定してください。"
    for key, limit in (("kind", 20), ("stage", 40)):
        if not isinstance(version.get(key, ""), str) or len(version.get(key, "")) > limit:
            errors[f"version.{key}"] = f"version.{key} の値が不正です。"
    actions = data.get("actions") or []
    if not isinstance(actions, list):
        raise ValidationFailed({"actions": "actions の形式が不正です。"})
    for n, act in enumerate(actions):
        if not isinstance(act, dict) or not d.has(str(act.get("item", ""))):
            errors[f"actions[{n}]"] = "改善策の形式が不正です。"
            continue
        # actions belong to the 評価書 (all versions): their file may have been removed from this version
        if act.get("file") not in (None, "") and not (isinstance(act["file"], str) and ENTRY_ID.fullmatch(act["file"])):
            errors[f"actions[{n}].file"] = f"改善策のファイル指定 {str(act.get('file'))[:40]!r} が不正です。"
        for key, label, limit in (("content", "改善策の内容", 4000), ("owner", "改善策の担当", 200),
                                  ("close_note", "改善策の完了の記録", 2000)):
            text = act.get(key, "")
            problem = (text_problem(text, label=label, max_len=limit) if isinstance(text, str)
                       else f"{label}が文字列ではありません。")
            if text is not None and problem:
                errors[f"actions[{n}].{key}"] = problem
        if act.get("status", "open") not in ("open", "closed"):
            errors[f"actions[{n}].status"] = "改善策の status は open または closed です。"
        _date(act.get("due_on"), f"actions[{n}].due_on", errors)
        _date(act.get("closed_on"), f"actions[{n}].closed_on", errors)
    if errors:
        raise ValidationFailed(errors, message="JSONの内容に誤りがあります。何も取り込んでいません。")
    return {**data, "answers": clean_answers, "_definition": d}


def import_version(session: Session, *, actor: Actor, data: Any, into: int | None = None,
                   number: int | None = None) -> AssessmentVersion:
    """Create an assessment from the JSON (default), or replace the content of an editable version (`into`)."""
    doc = validate(data)
    d = doc["_definition"]
    form = d.form
    if into:
        a, jimu = get_assessment(session, actor=actor, assessment_id=into, edit=True)
        if a.form != form:
            raise ValidationFailed({"form": f"{FORM_LABEL[form]}のJSONは{FORM_LABEL[a.form]}に取り込めません。"})
        from app.services.assessments import current_version

        v = current_version(session, a.id)
        v, a, jimu = writable_version(session, actor=actor, version_id=v.id)
        if v.form_version != d.version:
            raise ValidationFailed({"version": f"様式の版が異なります(評価書 {v.form_version}、JSON {d.version})。"})
        before = export_version(session, actor=actor, version_id=v.id)
        # the page locks move on: a page opened before the import cannot save its old text over the import (409)
        locks = {(p.page_id, p.file_uid): p.lock for p in
                 session.exec(select(PageLock).where(PageLock.version_id == v.id)).all()}
        _clear(session, v)
    else:
        jimu_name = doc["jimu"].get("name") if isinstance(doc.get("jimu"), dict) else None
        if not isinstance(jimu_name, str) or not jimu_name:
            raise ValidationFailed({"jimu": "jimu.name(事務の名称)がありません。"})
        jimu = session.exec(select(Jimu).where(Jimu.organisation_id == actor.organisation_id,
                                               Jimu.name == jimu_name)).first()
        if jimu is None:
            raise ValidationFailed({"jimu": f"事務「{jimu_name[:200]}」が登録されていません。先に事務を登録してください。"})
        jimu = get_jimu(session, actor=actor, jimu_id=jimu.id, edit=True)
        if session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).first():
            raise Conflict(f"この事務の{FORM_LABEL[form]}は既にあります。既存の評価書に取り込む場合は --into を指定してください。")
        raw_number = doc["assessment"].get("number")
        num = number or (raw_number if isinstance(raw_number, int) and not isinstance(raw_number, bool) else 0)
        if not 1 <= num <= MAX_ID or session.exec(select(Assessment).where(Assessment.organisation_id == jimu.organisation_id,
                                                            Assessment.form == form, Assessment.number == num)).first():
            raise ValidationFailed({"number": f"評価書番号 {num} は使用できません(既に使われているか不正です)。--number で指定してください。"})
        a = Assessment(organisation_id=jimu.organisation_id, jimu_id=jimu.id, form=form, number=num,
                       created_by_id=actor.user_id)
        session.add(a)
        session.flush()
        ver = doc["version"]
        det = latest_determination(session, jimu.id)
        v = AssessmentVersion(assessment_id=a.id, seq=int(ver.get("seq") or 1), form_version=d.version,
                              kind=ver.get("kind") or "initial", stage=ver.get("stage") or "draft",
                              submitted_on=_date(ver.get("submitted_on"), "", {}),
                              approved_on=_date(ver.get("approved_on"), "", {}),
                              published_on=_date(ver.get("published_on"), "", {}),
                              frozen=(ver.get("stage") == "published"),
                              determination_id=det.id if det else None, created_by_id=actor.user_id)
        session.add(v)
        session.flush()
        before, locks = None, {}
    _fill(session, actor, d, v, a, doc, locks)
    _revision(session, v, doc)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="imported",
                 before=before, after={"files": doc["files"], "answers": len(doc["answers"])})
    session.commit()
    return v


def _revision(session: Session, v: AssessmentVersion, doc: dict) -> None:
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
        session.add(ChangeClass(version_id=v.id, file_uid=c.get("file", ""), item_id=c["item"], decision=c["decision"]))
    session.flush()


def _clear(session: Session, v: AssessmentVersion) -> None:
    for model in (Answer, PageLock, VersionFile):
        for row in session.exec(select(model).where(model.version_id == v.id)).all():
            session.delete(row)
    session.flush()


def _fill(session: Session, actor: Actor, d, v: AssessmentVersion, a: Assessment, doc: dict,
          locks: dict[tuple[str, str], int] | None = None) -> None:
    for pos, f in enumerate(sorted(doc["files"], key=lambda f: f.get("position", 0))):
        session.add(VersionFile(version_id=v.id, uid=str(f["uid"])[:32], name=str(f["name"])[:200], position=pos))
    for page in d.pages:
        for uid in ([str(f["uid"]) for f in doc["files"]] if page.scope == "file" else [""]):
            session.add(PageLock(version_id=v.id, page_id=page.id, file_uid=uid,
                                 lock=(locks or {}).get((page.id, uid), 0) + 1))
    for e in doc["answers"]:
        session.add(Answer(version_id=v.id, file_uid=e["file"], item_id=e["item"], value=e["value"],
                           withheld=e["withheld"], withheld_reason=e["withheld_reason"], updated_by_id=actor.user_id))
    existing = {(x.file_uid, x.item_id, x.content) for x in
                session.exec(select(ImprovementAction).where(ImprovementAction.assessment_id == a.id)).all()}
    for act in doc.get("actions") or []:
        key = (str(act.get("file") or ""), str(act["item"]), str(act.get("content") or ""))
        if key in existing:
            continue
        session.add(ImprovementAction(
            assessment_id=a.id, version_id=v.id, file_uid=key[0], item_id=key[1], content=key[2][:4000],
            owner=str(act.get("owner") or "")[:200], due_on=_date(act.get("due_on"), "", {}),
            status="closed" if act.get("status") == "closed" else "open",
            closed_on=_date(act.get("closed_on"), "", {}), close_note=str(act.get("close_note") or "")[:2000],
            created_by_id=actor.user_id))
    session.flush()
