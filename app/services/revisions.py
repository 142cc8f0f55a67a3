"""改訂: the next working version from a published one (same 様式 or migrated to a newer one), the ※ question,
and the 変更箇所 rows generated from the diff with the published version."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import changes as diffs
from app.domain.answer_text import answer_text
from app.domain.answers import clean_value
from app.domain.completeness import item_path
from app.domain.forms import Definition, Page
from app.domain.policy import Actor
from app.errors import Conflict, NotFound, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ChangeClass,
    ChangeRow,
    UnmappedAnswer,
    VersionFile,
    pk,
)
from app.models.base import utcnow
from app.services import assessments, audit, catalogue, locking, memo, text_blocks
from app.services.answers import version_values
from app.services.determinations import latest as latest_determination

REASONS = {"change": "記載事項の変更", "review": "見直しの結果(修正)", "review_reassess": "見直しの結果(再実施)",
           "five_year": "5年経過前の再実施", "threshold": "しきい値判断の結果の変化による再実施"}
FORCED = {"five_year", "threshold", "review_reassess"}
WORKING_EXISTS = "公表済みの版から改訂します。作成中・手続中の版がある場合は、その版を編集してください。"


def revise(session: Session, *, actor: Actor, assessment_id: int, reason: str, form_version: str = "",
           planned_change_on: date | None = None, commit: bool = True) -> AssessmentVersion:
    a, jimu = assessments.get(session, actor=actor, assessment_id=assessment_id, edit=True)
    assessments.lock_assessment(session, pk(a))  # a concurrent 改訂 waits, then finds the new draft (409)
    current = assessments.current_version(session, pk(a))
    if current.stage != "published":
        raise Conflict(WORKING_EXISTS)
    if reason not in REASONS:
        raise ValidationFailed({"reason": "改訂の理由を選択してください。"})
    old_def = catalogue.definition(a.form, current.form_version)
    new_def = catalogue.definition(a.form, form_version) if form_version else old_def
    det = latest_determination(session, pk(jimu))
    # after a 移行登録 (published before this system, no procedure on record) the next version goes through the
    # full procedure of its form: it is never a 修正 with the shortened procedure
    full = reason in FORCED or current.kind == "migration"
    v = AssessmentVersion(assessment_id=pk(a), seq=current.seq + 1, form_version=new_def.version,
                          kind="reassessment" if full else "correction", stage="draft",
                          based_on_id=current.id, revision_reason=reason, planned_change_on=planned_change_on,
                          determination_id=det.id if det else current.determination_id, created_by_id=actor.user_id)
    with locking.unique_or_conflict(session, WORKING_EXISTS):  # ux_assessmentversion_working: one draft
        session.add(v)
    vid, current_id = pk(v), pk(current)
    files = assessments.files(session, current_id)
    for f in files:
        session.add(VersionFile(version_id=vid, uid=f.uid, register_file_id=f.register_file_id, name=f.name,
                                position=f.position))
    assessments.add_page_locks(session, vid, new_def, [f.uid for f in files])
    moved, unmapped = _copy_answers(session, current_id, vid, old_def, new_def)
    text_blocks.copy_uses(session, current_id, vid, new_def)  # 共通記載 stay linked in the new version
    audit.record(session, actor=actor, entity="assessment", entity_id=a.id, action="revised",
                 after={"version": v.seq, "reason": reason, "form_version": new_def.version, "copied": moved,
                        "unmapped": unmapped})
    if commit:
        session.commit()
    return v


def _copy_answers(session: Session, old_vid: int, new_vid: int, old_def: Definition, new_def: Definition
                  ) -> tuple[int, int]:
    """Items are mapped by id (or the new version's successor_map); whatever does not fit is listed, not dropped."""
    rename = new_def.manifest.successor_map
    moved = unmapped = 0
    for ans in session.exec(select(Answer).where(Answer.version_id == old_vid)).all():
        target = rename.get(ans.item_id, ans.item_id)
        ok = new_def.has(target) and new_def.item(target).answerable and not new_def.item(target).readonly
        if ok and ans.value is not None:
            value, err = clean_value(new_def.item(target), ans.value)
            ok = err is None
        else:
            value = ans.value
        if ok:
            session.add(Answer(version_id=new_vid, file_uid=ans.file_uid, item_id=target, value=value,
                               withheld=ans.withheld, withheld_reason=ans.withheld_reason))
            moved += 1
        elif ans.value is not None and old_def.has(ans.item_id):
            item = old_def.item(ans.item_id)
            session.add(UnmappedAnswer(version_id=new_vid, file_uid=ans.file_uid, old_item_id=ans.item_id,
                                       label=item_path(old_def, item), value=ans.value,
                                       text=answer_text(item, ans.value)))
            unmapped += 1
    session.flush()
    return moved, unmapped


def unmapped(session: Session, version_id: int) -> list[UnmappedAnswer]:
    return list(session.exec(select(UnmappedAnswer).where(UnmappedAnswer.version_id == version_id)
                             .order_by(col(UnmappedAnswer.id))).all())


def unmapped_version(session: Session, unmapped_id: int) -> int | None:
    row = session.get(UnmappedAnswer, unmapped_id)
    return row.version_id if row else None


def resolve_unmapped(session: Session, *, actor: Actor, unmapped_id: int, resolution: str) -> UnmappedAnswer:
    row = session.get(UnmappedAnswer, unmapped_id)
    if row is None:
        raise ValidationFailed({"id": "移行できなかった記載が見つかりません。"})
    assessments.writable_version(session, actor=actor, version_id=row.version_id)
    if not resolution.strip():
        raise ValidationFailed({"resolution": "どの項目に記載したか(または不要とした理由)を入力してください。"})
    row.resolved, row.resolution = True, resolution.strip()[:500]
    session.add(row)
    audit.record(session, actor=actor, entity="unmapped_answer", entity_id=row.id, action="resolved", after=row)
    session.commit()
    return row


def _revised(session: Session, based_on_id: int) -> AssessmentVersion:
    """The version a revision was made from (its `based_on_id`), read once per request."""
    base = memo.get(session, AssessmentVersion, based_on_id)
    if base is None:  # (the foreign key keeps it)
        raise NotFound("改訂元の版が見つかりません。")
    return base


def pending(session: Session, v: AssessmentVersion, a: Assessment) -> list[diffs.Change]:
    """The differences between this version and the one it revises (empty for a first version)."""
    if not v.based_on_id:
        return []
    base = _revised(session, v.based_on_id)
    old_def = catalogue.definition(a.form, base.form_version)
    new_def = catalogue.definition(a.form, v.form_version)
    old_files = [(f.uid, f.name) for f in assessments.files(session, pk(base))]
    new_files = [(f.uid, f.name) for f in assessments.files(session, pk(v))]
    return diffs.diff(old_def, version_values(session, pk(base)), old_files, new_def,
                      version_values(session, pk(v)), new_files)


def page_questions(session: Session, v: AssessmentVersion, a: Assessment, page: Page, file_uid: str
                   ) -> list[diffs.Change]:
    """※ items of one editor page that differ from the revised version and still wait for 「重要な変更か」.

    Asked once per item and version, right after a save (重点・全項目 only; the 基礎 has no ※ items).
    """
    if not v.based_on_id or a.form == "basic":
        return []
    d = catalogue.definition(a.form, v.form_version)
    ids = {i.id for i in page.walk() if diffs.classifiable(d, i.id)}
    if not ids:
        return []
    base = _revised(session, v.based_on_id)
    old_def = catalogue.definition(a.form, base.form_version)
    scope = [file_uid] if file_uid else [""]
    old = _scoped_values(session, pk(base), scope, ids)
    new = _scoped_values(session, pk(v), scope, ids)
    vfiles = [(f.uid, f.name) for f in assessments.files(session, pk(v)) if f.uid == file_uid]
    found = diffs.diff(old_def, old, vfiles, d, new, vfiles, only_items=ids, only_file=file_uid)
    return diffs.unclassified(found, classes(session, pk(v)))


def _scoped_values(session: Session, version_id: int, uids: list[str], item_ids: set[str]
                   ) -> dict[str, dict[str, Any]]:
    known = memo.peek(session, ("values", version_id))  # the page has read the whole version already (editor page)
    if known is not None:
        return {uid: picked for uid in uids
                if (picked := {i: v for i, v in known.get(uid, {}).items() if i in item_ids})}
    out: dict[str, dict[str, Any]] = {}
    for uid, item_id, value in session.exec(select(Answer.file_uid, Answer.item_id, Answer.value).where(
            Answer.version_id == version_id, col(Answer.file_uid).in_(uids),
            col(Answer.item_id).in_(sorted(item_ids)))).all():
        out.setdefault(uid, {})[item_id] = value
    return out


def set_planned_change(session: Session, *, actor: Actor, version_id: int, planned_change_on: date | None,
                       today: date) -> AssessmentVersion:
    """The date the change takes effect: a 事前 submission must be published before it."""
    v, _, _ = assessments.writable_version(session, actor=actor, version_id=version_id)
    if planned_change_on and v.based_on_id:
        base = _revised(session, v.based_on_id)
        if base.published_on and planned_change_on < base.published_on:
            raise ValidationFailed({"planned_change_on": "変更予定日が、改訂する版の公表日より前になっています。"})
    before = v.planned_change_on
    v.planned_change_on = planned_change_on
    session.add(v)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="planned_change",
                 before={"planned_change_on": before}, after={"planned_change_on": planned_change_on})
    session.commit()
    return v


def classes(session: Session, version_id: int) -> dict[str, str]:
    return {diffs.class_key(c.file_uid, c.item_id): c.decision
            for c in memo.once(session, ("change_classes", version_id), lambda: session.exec(
                select(ChangeClass).where(ChangeClass.version_id == version_id)).all())}


def classify(session: Session, *, actor: Actor, version_id: int, file_uid: str, item_id: str, cls: str) -> str:
    """Record the answer to 「重要な変更か」 and set the version's kind (再実施 / 修正) from all answers."""
    v, a, _ = assessments.writable_version(session, actor=actor, version_id=version_id)
    if cls not in diffs.CLASSES:
        raise ValidationFailed({"cls": "変更の区分を選択してください。"})
    d = catalogue.definition(a.form, v.form_version)
    if a.form == "basic" or not diffs.classifiable(d, item_id):
        raise ValidationFailed({"item": "重要な変更の対象(※)の項目ではありません。"})
    existing = session.get(ChangeClass, (v.id, file_uid, item_id))
    before = existing.decision if existing else None
    row = existing or ChangeClass(version_id=pk(v), file_uid=file_uid, item_id=item_id, decision=cls)
    row.decision, row.decided_at, row.decided_by_id = cls, utcnow(), actor.user_id
    session.add(row)
    session.flush()
    kind = refresh_kind(session, v, a)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="change_classified",
                 before={"cls": before}, after={"item": item_id, "file": file_uid, "cls": cls, "kind": kind})
    session.commit()
    return kind


def refresh_kind(session: Session, v: AssessmentVersion, a: Assessment) -> str:
    """再実施 when a still-changed ※ item was answered 重要な変更 (or the revision was opened as one), else 修正."""
    current = {diffs.class_key(c.file_uid, c.item_id) for c in pending(session, v, a)}
    answered = {k: cls for k, cls in classes(session, pk(v)).items() if k in current}
    kind = diffs.kind_of(answered, forced_reassessment=v.revision_reason in FORCED)
    if kind != v.kind:
        v.kind = kind
        session.add(v)
    return kind


def generate_rows(session: Session, *, actor: Actor, version_id: int, today: date, commit: bool = True) -> int:
    """Rebuild this version's generated 変更箇所 rows from the diff; dates/timing/notes the user entered are kept."""
    v, a, _ = assessments.writable_version(session, actor=actor, version_id=version_id)
    if not v.based_on_id:
        raise ValidationFailed({"version": "最初の版には変更箇所はありません(変更箇所は改訂した版で作成します)。"})
    refresh_kind(session, v, a)
    found = pending(session, v, a)
    rows = session.exec(select(ChangeRow).where(ChangeRow.assessment_id == a.id, ChangeRow.version_seq == v.seq)).all()
    existing = {r.key: r for r in rows if r.source == "generated"}
    merged = {k for r in rows if r.key.startswith("merged|") for k in r.key[7:].split("||")}
    timing = "事前" if v.kind == "reassessment" else ""
    keep: set[str] = set()
    for pos, c in enumerate(found):
        if c.key in merged:
            continue
        row = existing.get(c.key) or ChangeRow(assessment_id=pk(a), version_seq=v.seq, source="generated", key=c.key,
                                               changed_on=v.planned_change_on, timing=timing)
        row.position, row.item_id, row.file_uid = pos, c.item_id, c.file_uid
        row.item_label, row.before_text, row.after_text = c.label, c.before, c.after
        if v.kind == "reassessment":
            row.timing = "事前"
        session.add(row)
        keep.add(c.key)
    for key, row in existing.items():
        if key not in keep:
            session.delete(row)
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="changes_generated",
                 after={"rows": len(found)})
    if commit:
        session.commit()
    else:
        session.flush()
    return len(found)


def merge_rows(session: Session, *, actor: Actor, assessment_id: int, row_ids: list[int]) -> ChangeRow:
    a, _ = assessments.get(session, actor=actor, assessment_id=assessment_id, edit=True)
    v = assessments.ensure_writable(session, assessments.current_version(session, pk(a)))
    picked = [session.get(ChangeRow, i) for i in row_ids]
    rows = [r for r in picked if r is not None and r.assessment_id == a.id and r.version_seq == v.seq]
    if len(rows) < 2 or len(rows) != len(picked):  # fewer than two, or one missing or of another version
        raise ValidationFailed({"rows": "まとめる変更箇所を2つ以上選択してください(公表済みの版の行はまとめられません)。"})
    rows.sort(key=lambda r: r.position)
    first = rows[0]
    first.item_label = "、".join(dict.fromkeys(r.item_label for r in rows))
    first.before_text = "\n".join(f"{r.item_label}: {r.before_text}" for r in rows)
    first.after_text = "\n".join(f"{r.item_label}: {r.after_text}" for r in rows)
    keys = [r.key[7:] if r.key.startswith("merged|") else r.key for r in rows if r.key]
    first.source, first.key = "merged", ("merged|" + "||".join(keys))[:300] if keys else ""
    for r in rows[1:]:
        session.delete(r)
    session.add(first)
    audit.record(session, actor=actor, entity="change_row", entity_id=first.id, action="merged", after=first,
                 note=",".join(str(i) for i in row_ids))
    session.commit()
    return first


def covered_keys(session: Session, assessment_id: int, seq: int, rows: list[ChangeRow] | None = None) -> set[str]:
    """Diff keys that already have a 変更箇所 row (generated or merged) in this version (`rows`: those rows, if read)."""
    out = set()
    if rows is None:
        rows = list(session.exec(select(ChangeRow).where(ChangeRow.assessment_id == assessment_id,
                                                         ChangeRow.version_seq == seq)).all())
    for r in rows:
        if r.key.startswith("merged|"):
            out.update(r.key[7:].split("||"))
        elif r.key:
            out.add(r.key)
    return out


def revision_problems(session: Session, v: AssessmentVersion, a: Assessment) -> list[tuple[str, str, str]]:
    """(kind, item id, message) for a revision: ※ questions, unplaced answers, stale or incomplete 変更箇所."""
    if not v.based_on_id:
        return []
    out: list[tuple[str, str, str]] = []
    found = pending(session, v, a)
    done = classes(session, pk(v))
    for c in diffs.unclassified(found, done):
        out.append(("classify", c.item_id, f"{c.label}(※)を変更しました。重要な変更に当たるかを選んでください。"))
    for u in unmapped(session, pk(v)):
        if not u.resolved:
            out.append(("unmapped", u.old_item_id, f"旧様式の「{u.label}」の記載を新しい様式のどこに記載したか確認してください。"))
    rows = list(session.exec(select(ChangeRow).where(ChangeRow.assessment_id == a.id, ChangeRow.version_seq == v.seq)))
    covered = covered_keys(session, pk(a), v.seq, rows)
    if any(c.key not in covered for c in found):
        out.append(("changes", "", "変更箇所が最新ではありません。「変更箇所を更新」を押してください。"))
    for r in rows:
        if r.timing not in ("事前", "事後"):
            out.append(("changes", r.item_id, f"変更箇所「{r.item_label}」の提出時期(事前/事後)を選んでください。"))
        elif r.timing == "事後" and v.kind == "reassessment":
            out.append(("changes", r.item_id, f"変更箇所「{r.item_label}」: 再実施は事前に提出します(提出時期は「事前」)。"))
        elif r.timing == "事後" and not r.timing_note:
            out.append(("changes", r.item_id, f"変更箇所「{r.item_label}」: 事後の提出とする理由を記入してください。"))
        if not r.changed_on:
            out.append(("changes", r.item_id, f"変更箇所「{r.item_label}」の変更日を入力してください。"))
    if found == [] and v.kind != "reassessment":
        out.append(("changes", "", "公表済みの版から変更がありません。変更がなければ改訂の必要はありません。"))
    return out
