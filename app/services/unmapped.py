"""「取り込めなかった記載」: texts a file import (or a move to a new 様式) could not place, listed in the editor until
the user places each into an item or discards it with a reason (issue 15 §2).

Placing writes through answers.save_page (the version's write guard, the page lock moves on so an editor page
opened before cannot save its old text over it, the 固定 共通記載 guard, the page's audit row); a text item gets the
text appended, a measures item gets it as one more measure of the audience chosen. Both actions mark the row
resolved in the same transaction, with an audit row of their own: a row is never deleted. A row already placed or
discarded (another window, another user) is refused with 409.

The report page after a file import reads what the import recorded in its audit row (fileimport.Report.stored).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.domain import item_picker
from app.domain.answers import ParsedPage, clean_value
from app.domain.forms import AUDIENCES, Definition
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.errors import Conflict, NotFound, ValidationFailed
from app.models import Assessment, AssessmentVersion, AuditLog, Jimu, UnmappedAnswer, pk
from app.models.base import MAX_ID
from app.services import answers, assessments, audit, catalogue

PLACEABLE = ("text", "longtext", "measures")
TAKEN = "この記載は既に項目に記載したか破棄しています(別の画面か他の利用者による操作)。一覧を読み込み直してください。"
ORIGIN = {"file": "ファイルの取り込み"}


def from_file(u: UnmappedAnswer) -> bool:
    return isinstance(u.value, dict) and u.value.get("source") == "file"


def origin(u: UnmappedAnswer) -> str:
    source = str(u.value.get("source") or "") if isinstance(u.value, dict) else ""
    return ORIGIN.get(source, "新しい様式への移行")


def reason(u: UnmappedAnswer) -> str:
    return str(u.value.get("reason") or "") if isinstance(u.value, dict) and u.value.get("source") else ""


def of_version(session: Session, version_id: int) -> list[UnmappedAnswer]:
    return list(session.exec(select(UnmappedAnswer).where(UnmappedAnswer.version_id == version_id)
                             .order_by(col(UnmappedAnswer.resolved), col(UnmappedAnswer.id))).all())


def open_count(session: Session, version_id: int) -> int:
    return session.exec(select(func.count()).select_from(UnmappedAnswer).where(
        UnmappedAnswer.version_id == version_id, UnmappedAnswer.resolved == False)).one()


def placeable(d: Definition, item_id: str) -> bool:
    return d.has(item_id) and d.item(item_id).type in PLACEABLE and not d.item(item_id).readonly \
        and item_id in {i.id for i in d.answerable()}


def targets(d: Definition) -> list[item_picker.SectionGroup]:
    """The item picker's groups, keeping only the items a text can be placed into (text, long text, measures)."""
    out = []
    for s in item_picker.groups(d):
        groups = [item_picker.Group(g.title, [o for o in g.options if placeable(d, o.id)]) for g in s.groups]
        groups = [g for g in groups if g.options]
        if groups:
            out.append(item_picker.SectionGroup(s.title, s.file_scope, groups))
    return out


def item_url(d: Definition, version_id: int, item_id: str, file_uid: str = "") -> str:
    """The editor page of an item, at the item (as the completeness list links it)."""
    try:
        page = d.page_of(item_id)
    except KeyError:
        return ""
    uid = file_uid if page.scope == "file" else ""
    return f"/versions/{version_id}/edit/{page.id}" + (f"?file={uid}" if uid else "") + \
        "#i-" + item_id.replace(".", "_")


def get(session: Session, *, actor: Actor, unmapped_id: int,
        edit: bool = False) -> tuple[UnmappedAnswer, AssessmentVersion, Assessment, Jimu]:
    """(row, version, assessment, jimu); 403 for another department, 409 when editing a frozen version."""
    row = session.get(UnmappedAnswer, unmapped_id) if 1 <= unmapped_id <= MAX_ID else None
    if row is None:
        raise NotFound("取り込めなかった記載が見つかりません。")
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=row.version_id, edit=edit)
    return row, v, a, jimu


def _claim(session: Session, row: UnmappedAnswer, resolution: str) -> None:
    done = session.exec(update(UnmappedAnswer)
                        .where(col(UnmappedAnswer.id) == row.id, col(UnmappedAnswer.resolved) == False)
                        .values(resolved=True, resolution=resolution[:500]))
    if done.rowcount != 1:
        session.rollback()
        raise Conflict(TAKEN)
    session.refresh(row)


def place(session: Session, *, actor: Actor, unmapped_id: int, item_id: str, file_uid: str = "",
          audience: str = "", today: date) -> tuple[UnmappedAnswer, str]:
    """Copy the row's text into `item_id` (appended to a text; one more measure of `audience`); (row, editor URL)."""
    row, v, a, jimu = get(session, actor=actor, unmapped_id=unmapped_id, edit=True)
    v = assessments.ensure_writable(session, v)
    d = catalogue.definition(a.form, v.form_version)
    if not item_id or not placeable(d, item_id):
        raise ValidationFailed({"item": "記載する項目(文章・措置の項目)を選んでください。"})
    item = d.item(item_id)
    page = d.page_of(item_id)
    if page.scope == "file":
        if file_uid not in {f.uid for f in assessments.files(session, pk(v))}:
            raise ValidationFailed({"file_uid": "ファイルごとの項目です。記載する特定個人情報ファイルを選んでください。"})
    else:
        file_uid = ""
    if item.type == "measures" and audience not in AUDIENCES:
        raise ValidationFailed({"audience": "措置の対象(市民・事業者・委託先等/職員/システム)を選んでください。"})
    text = row.text.strip()
    if not text:
        raise ValidationFailed({"item": "記載する文章がありません。破棄してください。"})
    stored = answers.scope_answers(session, pk(v), file_uid, {item_id}).get(item_id)
    value = _with_text(item.type, stored.value if stored else None, text, audience)
    value, err = clean_value(item, value)
    if err:
        raise ValidationFailed({"item": f"「{item.display}」に記載できません: {err}"})
    path = item_picker.labels(d).get(item_id, item.display)
    where = path + (f"【{_file_name(session, pk(v), file_uid)}】" if file_uid else "") + \
        (f"({AUDIENCES[audience]})" if item.type == "measures" else "")
    _claim(session, row, f"「{where}」に記載")
    lock = answers.page_lock(session, pk(v), page.id, file_uid).lock
    try:
        answers.save_page(session, actor=actor, version_id=pk(v), page_id=page.id, file_uid=file_uid, lock=str(lock),
                          parsed=ParsedPage(values={item_id: value}), today=today, loaded=(v, a, jimu), commit=False)
    except ValidationFailed as exc:
        session.rollback()
        raise ValidationFailed({"item": " ".join(exc.errors.values()) or exc.message}) from None
    audit.record(session, actor=actor, entity="unmapped_answer", entity_id=row.id, action="placed",
                 after={"item": item_id, "file": file_uid, "audience": audience if item.type == "measures" else "",
                        "label": row.label, "text": row.text, "resolution": row.resolution})
    session.commit()
    return row, item_url(d, pk(v), item_id, file_uid)


def _with_text(kind: str, current: Any, text: str, audience: str) -> Any:
    if kind == "measures":
        value = {aud: list((current or {}).get(aud, [])) for aud in AUDIENCES}
        value[audience].append({"id": "", "text": text})
        return value
    return f"{current.rstrip()}\n{text}" if isinstance(current, str) and current.strip() else text


def _file_name(session: Session, version_id: int, uid: str) -> str:
    return next((f.name for f in assessments.files(session, version_id) if f.uid == uid), uid)


def discard(session: Session, *, actor: Actor, unmapped_id: int, why: str) -> UnmappedAnswer:
    row, v, _, _ = get(session, actor=actor, unmapped_id=unmapped_id, edit=True)
    assessments.ensure_writable(session, v)
    problem = text_problem(why.strip(), label="破棄する理由", max_len=400, required=True)
    if problem:
        raise ValidationFailed({"why": problem})
    _claim(session, row, f"破棄: {why.strip()}")
    audit.record(session, actor=actor, entity="unmapped_answer", entity_id=row.id, action="discarded",
                 after={"label": row.label, "text": row.text, "resolution": row.resolution})
    session.commit()
    return row


# ---------------------------------------------------------------- the report of a file import

@dataclass
class Entry:
    label: str
    file: str
    url: str
    note: str = ""


@dataclass
class ImportReport:
    at: Any
    who: str
    file_name: str
    summary: str
    notices: list[str]
    source_label: str
    target_label: str
    filled: list[Entry] = field(default_factory=list)
    empty: list[Entry] = field(default_factory=list)
    missing: list[Entry] = field(default_factory=list)
    unassigned: list[Entry] = field(default_factory=list)
    unplaced: list[UnmappedAnswer] = field(default_factory=list)


def last_import(session: Session, *, actor: Actor, version_id: int) -> ImportReport | None:
    """The latest file import of a version as its report page shows it (None when the version has none)."""
    v, a, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    log = session.exec(select(AuditLog).where(
        AuditLog.entity == "assessment_version", AuditLog.entity_id == str(v.id),
        AuditLog.action == "file_imported").order_by(col(AuditLog.id).desc()).limit(1)).first()
    if log is None or not isinstance(log.after, dict):
        return None
    rep: dict[str, Any] = log.after.get("report") or {}
    d = catalogue.definition(a.form, v.form_version)
    labels = item_picker.labels(d)
    names = {uid: name for uid, name in rep.get("files", [])}

    def entries(pairs: list[Sequence[Any]], note: Callable[[Sequence[Any]], str] | None = None) -> list[Entry]:
        out: list[Entry] = []
        for p in pairs:
            uid, item_id = p[0], p[1]
            if not d.has(item_id):
                out.append(Entry(item_id, names.get(uid, ""), ""))
                continue
            out.append(Entry(labels.get(item_id, d.item(item_id).display), names.get(uid, ""),
                             item_url(d, pk(v), item_id, uid), note(p) if note else ""))
        return out

    ids = [i for i in rep.get("unplaced_ids", []) if isinstance(i, int)]
    rows = list(session.exec(select(UnmappedAnswer).where(col(UnmappedAnswer.id).in_(ids))
                             .order_by(col(UnmappedAnswer.id))).all()) if ids else []
    by_version = {x.version: x.label for x in catalogue.catalogue().versions(a.form)}
    return ImportReport(
        at=log.at, who=log.actor_login, file_name=str(log.after.get("file", "")),
        summary=str(log.after.get("summary", "")), notices=list(rep.get("notices", [])),
        source_label=by_version.get(rep.get("source_version", ""), ""), target_label=by_version.get(v.form_version, ""),
        filled=entries(rep.get("filled", [])), empty=entries(rep.get("empty", [])),
        missing=entries(rep.get("missing", [])),
        unassigned=entries(rep.get("unassigned", []), lambda p: f"{p[2]}件を市民・事業者・委託先等に置きました"),
        unplaced=rows)
