"""Lossless JSON export/import of an assessment version (`spia export-json` / `import-json`, the API, DOCX)."""
from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import changes as diffs
from app.domain.answer_types import holds_pictures
from app.domain.answers import ENTRY_ID, clean_value
from app.domain.forms import Definition
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.errors import NotFound, ValidationFailed
from app.models import (
    AssessmentVersion,
    ChangeClass,
    Department,
    ImprovementAction,
    Organisation,
    pk,
)
from app.models.base import MAX_ID
from app.services import catalogue, figures
from app.services.answers import answers_of
from app.services.assessments import files as version_files
from app.services.assessments import get_version

FORMAT = "spia-assessment"
REVISION_REASONS = ("change", "review", "review_reassess", "five_year", "threshold")  # services.revisions.REASONS
FORMAT_VERSION = 1
MAX_ANSWERS = 20_000


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _canonical(d: Definition, item_id: str, value: Any) -> Any:
    """The value as an import would store it (e.g. measures, also inside group rows, with every audience present: a
    value saved before an audience existed exports the same as after a round trip); a value its type no longer
    accepts is exported as stored."""
    try:
        item = d.item(item_id)
    except KeyError:
        return value
    if not item.answerable or value is None:
        return value
    clean, err = clean_value(item, value)
    return value if err else clean


def export_version(session: Session, *, actor: Actor, version_id: int, public: bool = False) -> dict[str, Any]:
    """The version as JSON. `public=True` leaves out the values of items flagged 非公表."""
    v, a, jimu = get_version(session, actor=actor, version_id=version_id)
    org = session.get(Organisation, a.organisation_id)
    if org is None:  # the assessment's body is a foreign key: always there
        raise NotFound("評価実施機関が見つかりません。")
    dept = session.get(Department, jimu.department_id)
    vfiles = version_files(session, pk(v))
    order = {"": -1} | {f.uid: f.position for f in vfiles}
    d = catalogue.definition(a.form, v.form_version)
    answers = []
    for uid, items in answers_of(session, pk(v)).items():
        for item_id, ans in items.items():
            entry = {"file": uid, "item": item_id, "value": _canonical(d, item_id, ans.value), "withheld": ans.withheld,
                     "withheld_reason": ans.withheld_reason}
            if public and ans.withheld:
                entry["value"], entry["withheld_reason"] = None, ""
            answers.append(entry)
    answers.sort(key=lambda e: (order.get(e["file"], 999), e["file"], e["item"]))
    figure_shas = [sha for e in answers if d.has(e["item"]) and holds_pictures(d.item(e["item"]))
                   for sha in figures.shas_in(e["value"])]
    acts = session.exec(select(ImprovementAction).where(ImprovementAction.assessment_id == a.id)
                        .order_by(col(ImprovementAction.id))).all()
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
        "files": [{"uid": f.uid, "name": f.name, "position": f.position, "register_file_id": f.register_file_id}
                  for f in vfiles],
        "answers": answers,
        # the pictures the answers show (PNG, base64): the file carries its figures, whatever database reads it
        "figures": {sha: base64.b64encode(b.data).decode("ascii")
                    for sha, b in sorted(figures.blobs(session, figure_shas).items())},
        "actions": [{"file": x.file_uid, "item": x.item_id, "content": x.content, "owner": x.owner,
                     "due_on": _iso(x.due_on), "status": x.status, "closed_on": _iso(x.closed_on),
                     "close_note": x.close_note} for x in acts],
    }


def _date(raw: Any, field: str, errors: dict[str, str]) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors[field] = f"{field} の日付「{str(raw)[:40]}」が不正です。"
        return None


MAX_FIGURES_IN_FILE = 100


def _pictures(raw: Any, errors: dict[str, str]) -> dict[str, figures.Clean]:
    """The file's pictures, each decoded and re-encoded exactly as an upload is (sha in the file -> clean picture)."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_FIGURES_IN_FILE:
        errors["figures"] = f"figures の形式が不正か、図が多すぎます({MAX_FIGURES_IN_FILE}枚まで)。"
        return {}
    out: dict[str, figures.Clean] = {}
    for sha, b64 in raw.items():
        label = f"figures[{str(sha)[:16]}]"
        if not isinstance(b64, str) or len(b64) > figures.MAX_STORED_BYTES * 4 // 3 + 4:
            errors[label] = "図のデータが文字列でないか、大きすぎます。"
            continue
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            errors[label] = "図のデータが base64 として読めません。"
            continue
        try:
            out[str(sha)] = figures.sanitise(data, field=label, max_bytes=figures.MAX_STORED_BYTES)
        except ValidationFailed as exc:
            errors[label] = exc.message
    return out


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
    for n, f in enumerate(files):
        reg = f.get("register_file_id")
        if reg is not None and (not isinstance(reg, int) or isinstance(reg, bool) or not 1 <= reg <= MAX_ID):
            errors[f"files[{n}].register_file_id"] = "register_file_id は登録簿のファイルID(整数)で指定してください。"
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
        elif name is not None and name.strip() in names:
            errors[f"files[{n}].name"] = f"ファイル名「{name.strip()}」が重複しています。"
        names.append(name.strip() if name else "")
        position = f.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool):
            errors[f"files[{n}].position"] = "ファイルの position は整数で指定してください。"
    pictures = _pictures(data.get("figures"), errors)
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
        if holds_pictures(d.item(item_id)) and isinstance(value, list):  # to the keys of the re-encoded pictures
            value = [{**f, "sha": pictures[f["sha"]].sha} if f["sha"] in pictures else f for f in value]
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
    return {**data, "answers": clean_answers, "_definition": d, "_pictures": {c.sha: c for c in pictures.values()}}


def import_version(session: Session, *, actor: Actor, data: Any, into: int | None = None,
                   number: int | None = None) -> AssessmentVersion:
    """Compatibility wrapper: every import goes through `jsonimport.import_document`."""
    from app.services.jsonimport import import_document

    return import_document(session, actor=actor, data=data, into=into, number=number).version
