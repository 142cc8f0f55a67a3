"""Reading and saving editor pages: optimistic lock per page, audit of every change, improvement actions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.domain import conflicts
from app.domain import fields as F
from app.domain.answer_types import holds_pictures
from app.domain.answers import MAX_FIGURES, OP_OWNER, BadOperation, ParsedPage, apply_op, clean_value
from app.domain.forms import Definition, Page
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.domain.wareki import BadDate, parse_date
from app.errors import Conflict, NotFound, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ImprovementAction,
    Jimu,
    LibraryMeasure,
    PageLock,
    pk,
)
from app.models.base import utcnow
from app.services import audit, catalogue, figures, locking, memo, scope, text_blocks
from app.services.assessments import ensure_writable, files, get_version


def answers_of(session: Session, version_id: int) -> dict[str, dict[str, Answer]]:
    """{file uid: {item id: Answer}} for the whole version (one query)."""
    out: dict[str, dict[str, Answer]] = {}
    for a in session.exec(select(Answer).where(Answer.version_id == version_id)).all():
        out.setdefault(a.file_uid, {})[a.item_id] = a
    return out


def version_values(session: Session, version_id: int) -> dict[str, dict[str, Any]]:
    """{file uid: {item id: value}} read as plain rows (no ORM objects: this runs on every page and save); read
    once per request (app/services/memo.py), each caller getting dicts of its own."""
    def load() -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for uid, item_id, value in session.exec(select(Answer.file_uid, Answer.item_id, Answer.value)
                                                .where(Answer.version_id == version_id)).all():
            out.setdefault(uid, {})[item_id] = value
        return out

    return {uid: dict(items) for uid, items in memo.once(session, ("values", version_id), load).items()}


def scope_answers(session: Session, version_id: int, file_uid: str,
                  item_ids: set[str] | None = None) -> dict[str, Answer]:
    """The stored answers of one scope (the 評価書, or one file), optionally only those of some items."""
    q = select(Answer).where(Answer.version_id == version_id, Answer.file_uid == file_uid)
    if item_ids is not None:
        q = q.where(col(Answer.item_id).in_(sorted(item_ids)))
    return {a.item_id: a for a in session.exec(q).all()}


def withheld_flags(session: Session, version_id: int, file_uid: str, item_ids: set[str]) -> dict[str, Any]:
    """{item id: row with .withheld and .withheld_reason} of the stored answers of one scope's items: what the
    editor page shows of a stored answer besides its value (the values it has already; no JSON read again)."""
    return {r.item_id: r for r in session.execute(
        sa_select(col(Answer.item_id), col(Answer.withheld), col(Answer.withheld_reason))
        .where(col(Answer.version_id) == version_id, col(Answer.file_uid) == file_uid,
               col(Answer.item_id).in_(sorted(item_ids)))).all()}


def actions_of(session: Session, assessment_id: int) -> dict[tuple[str, str], ImprovementAction]:
    """The latest action per (file, item) of an assessment (read once per request)."""
    return {(act.file_uid, act.item_id): act for act in action_rows(session, assessment_id)}


def action_rows(session: Session, assessment_id: int) -> list[ImprovementAction]:
    """Every improvement action of an assessment, oldest first (read once per request)."""
    return list(memo.once(session, ("actions", assessment_id), lambda: session.exec(
        select(ImprovementAction).where(ImprovementAction.assessment_id == assessment_id)
        .order_by(col(ImprovementAction.id))).all()))


def page_lock(session: Session, version_id: int, page_id: str, file_uid: str) -> PageLock:
    row = session.get(PageLock, (version_id, page_id, file_uid))
    if row is None:
        raise NotFound("編集ページが見つかりません。")
    return row


def page_saver(session: Session, by_id: int | None, at: datetime | None) -> conflicts.Saver | None:
    """Who saved the editor page last (PageLock.updated_by_id / updated_at)."""
    if by_id is None or at is None:
        return None
    from app.models import User

    user = session.get(User, by_id)
    return conflicts.Saver(by_id, user.display_name if user else "", at)


def page_conflict_message(session: Session, by_id: int | None, at: datetime | None, me_id: int | None) -> str:
    """「このページは、あなたが別の画面で 令和8年12月4日 14:05 に保存しています。…」 or 「…山田 花子さんが…」."""
    return conflicts.stale_message("このページ", page_saver(session, by_id, at), me_id,
                                   fallback="このページは他の利用者により先に保存されています。") + \
        "内容を見比べて、どちらを残すか決めてから保存してください。"


@dataclass
class SaveResult:
    lock: int
    changed: list[str] = field(default_factory=list)
    focus: str | None = None


@dataclass
class ConflictItem:
    item_id: str
    label: str
    mine: Any
    theirs: Any


def _resolve_page(d: Definition, page_id: str, file_uid: str, known_files: set[str]) -> Page:
    try:
        page = d.page(page_id)
    except KeyError:
        raise NotFound("編集ページが見つかりません。") from None
    if page.scope == "file" and file_uid not in known_files:
        raise NotFound("指定された特定個人情報ファイルはこの評価書にありません。")
    if page.scope == "assessment" and file_uid:
        raise NotFound("このページはファイルごとのページではありません。")
    return page


def save_page(
    session: Session, *, actor: Actor, version_id: int, page_id: str, file_uid: str, lock: str,
    parsed: ParsedPage, op: str = "", today: date, loaded: tuple[AssessmentVersion, Assessment, Jimu] | None = None,
    upload: bytes | None = None, upload_caption: str = "", commit: bool = True,
) -> SaveResult:
    """Apply a posted page. Stale lock + any difference -> Conflict (409) with both values; nothing written.

    `loaded` is the (version, assessment, jimu) the caller already fetched with get_version(edit=True).
    `commit=False` leaves the transaction open for a caller that writes many pages at once (一括変更).
    """
    v, a, _ = loaded or get_version(session, actor=actor, version_id=version_id, edit=True)
    v = ensure_writable(session, v)  # frozen / in procedure -> 409; the row stays locked until commit
    vid = pk(v)
    d = catalogue.definition(a.form, v.form_version)
    page = _resolve_page(d, page_id, file_uid, {f.uid for f in files(session, vid)})
    if parsed.errors:
        raise ValidationFailed(parsed.errors)
    # The lock is read before the answers (see editor.build): what a 409 offers to overwrite, and the lock a
    # no-change save hands back, are then never newer than the answers compared and shown.
    lock_row = page_lock(session, vid, page.id, file_uid)
    seen_lock, seen_by, seen_at = lock_row.lock, lock_row.updated_by_id, lock_row.updated_at
    stored = scope_answers(session, vid, file_uid, {i.id for i in page.walk()})  # only what this page shows
    values = dict(parsed.values)
    focus, block_op = None, None
    parsed_op = F.parse_op(op)
    if parsed_op is not None and parsed_op.kind == F.PREFILL:
        item_id = parsed_op.item
        from app.services import prefill as prefill_service

        computed = prefill_service.compute(d, prefill_service.Sources(session, v, a)).get(file_uid, {})
        if item_id not in computed or item_id not in {i.id for i in page.walk()}:
            raise ValidationFailed({"op": "登録情報の値が見つかりません。"})
        values[item_id], focus = computed[item_id], item_id
    elif parsed_op is not None and parsed_op.kind in text_blocks.BLOCK_OPS:  # 共通記載を挿入 / 外す
        block_op = text_blocks.editor_op(session, actor=actor, d=d, version=v, page=page, file_uid=file_uid,
                                         op=parsed_op, values=values, stored=stored)
        focus = block_op.item_id
    elif op:
        library_text = _library_text(session, actor, op)
        figure = _uploaded_figure(session, d, page, op, upload, upload_caption, values)
        try:
            focus = apply_op(d, values, op, library_text=library_text, figure=figure)
        except (BadOperation, KeyError):
            raise ValidationFailed({"op": "操作を実行できませんでした(対象が見つからないか範囲外です)。"}) from None
    uses = text_blocks.editor_uses(session, vid, file_uid)  # read once: the 固定 guard, then local_text below
    text_blocks.guard_fixed(session, vid, file_uid, stored, values, skip=block_op, uses=uses)  # 固定: only at the block
    _check_figures(session, d, values)
    action_errors, actions = _parse_actions(d, parsed.actions, values)
    if action_errors:
        raise ValidationFailed(action_errors)
    existing_actions = actions_of(session, pk(a)) if actions else {}  # only compared with what the page posted
    changed = [i for i, val in values.items() if (stored[i].value if i in stored else None) != val]
    withheld_changed = []
    for i, (flag, reason) in parsed.withheld.items():
        now_state = (flag, reason.strip()) if flag else (False, "")
        old_state = (stored[i].withheld, stored[i].withheld_reason) if i in stored else (False, "")
        if now_state != old_state:
            withheld_changed.append(i)
    action_changed = [i for i, act in actions.items() if _action_differs(existing_actions.get((file_uid, i)), act)]
    block_changed = [block_op.item_id] if block_op else []
    if not (changed or withheld_changed or action_changed or block_changed):
        return SaveResult(lock=seen_lock, focus=focus)
    try:
        expected = int(lock)
    except ValueError:
        expected = -1
    result = session.exec(update(PageLock).where(
        col(PageLock.version_id) == vid, col(PageLock.page_id) == page.id, col(PageLock.file_uid) == file_uid,
        col(PageLock.lock) == expected,
    ).values(lock=col(PageLock.lock) + 1, updated_at=utcnow(), updated_by_id=actor.user_id))
    if result.rowcount != 1:
        diffs = [ConflictItem(i, d.item(i).display, values[i], stored[i].value if i in stored else None)
                 for i in changed]
        session.rollback()
        raise Conflict(page_conflict_message(session, seen_by, seen_at, actor.user_id),
                       current={"lock": seen_lock, "items": diffs, "by": seen_by, "at": seen_at})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    now = utcnow()
    for item_id in set(changed) | set(withheld_changed):
        row = stored.get(item_id)
        if row is None:
            row = Answer(version_id=vid, file_uid=file_uid, item_id=item_id)
        before[item_id] = {"value": row.value, "withheld": row.withheld} if row.id else None
        if item_id in values:
            row.value = values[item_id]
        if item_id in parsed.withheld:
            flag, reason = parsed.withheld[item_id]
            row.withheld, row.withheld_reason = flag, reason.strip() if flag else ""
        row.updated_at, row.updated_by_id = now, actor.user_id
        session.add(row)
        after[item_id] = {"value": row.value, "withheld": row.withheld}
    for item_id in action_changed:
        act = actions[item_id]
        act_row = existing_actions.get((file_uid, item_id))
        if act_row is None or act_row.status == "closed":
            act_row = ImprovementAction(assessment_id=pk(a), version_id=vid, file_uid=file_uid, item_id=item_id,
                                        created_by_id=actor.user_id)
        before[f"action:{item_id}"] = audit.jsonable(act_row) if act_row.id else None
        if act_row.id:  # a 完了 form opened before this edit is now stale (409), as for any optimistic-locked row
            locking.bump(session, ImprovementAction, act_row.id)
        act_row.content, act_row.owner, act_row.due_on = act["content"], act["owner"], act["due_on"]
        act_row.updated_at = now
        session.add(act_row)
        after[f"action:{item_id}"] = act
    text_blocks.after_save(session, version_id=vid, file_uid=file_uid, values=values, changed=set(changed),
                           op=block_op, uses=uses)
    if block_op and (u := block_op.add or block_op.remove):  # editor_op() always sets one of them
        after[f"block:{block_op.item_id}"] = {"block": u.block_id, "level": u.level, "revision": u.revision,
                                              "removed": block_op.remove is not None}
    audit.record(session, actor=actor, entity="assessment_version", entity_id=vid, action="page_saved",
                 before=before, after=after, note=f"page={page.id} file={file_uid} lock={expected + 1}")
    if commit:
        session.commit()
    else:
        session.flush()
    return SaveResult(lock=expected + 1, changed=sorted(set(changed) | set(withheld_changed) | set(action_changed)
                                                       | set(block_changed)),
                      focus=focus)


def _parse_actions(d: Definition, raw: dict[str, dict[str, str]], values: dict[str, Any]
                   ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    errors: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}
    for item_id, act in raw.items():
        content, owner, due = act.get("content", "").strip(), act.get("owner", "").strip(), act.get("due", "").strip()
        for key, text, limit in (("content", content, 4000), ("owner", owner, 200)):
            problem = text_problem(text, label="改善策の" + ("内容" if key == "content" else "担当"), max_len=limit)
            if problem:
                errors[F.name(F.ACTION, item_id, key)] = problem
        due_on = None
        if due:
            try:
                due_on = parse_date(due, label="改善策の期限")
            except BadDate as exc:
                errors[F.name(F.ACTION, item_id, "due")] = str(exc)
        if (d.has(item_id) and values.get(item_id) == d.item(item_id).issue_choice) or content or owner or due_on:
            out[item_id] = {"content": content, "owner": owner, "due_on": due_on}
    return errors, out


def _action_differs(row: ImprovementAction | None, act: dict[str, Any]) -> bool:
    if row is None or row.status == "closed":
        return bool(act["content"] or act["owner"] or act["due_on"])
    return (row.content, row.owner, row.due_on) != (act["content"], act["owner"], act["due_on"])


def _uploaded_figure(session: Session, d: Definition, page: Page, op: str, upload: bytes | None, caption: str,
                     values: dict[str, Any]) -> dict[str, str] | None:
    """For 「図を追加」 (figadd|item): the upload decoded, re-encoded and stored; its key and caption for apply_op."""
    parsed = F.parse_op(op)
    if parsed is None or parsed.kind != "figadd":
        return None
    item_id = parsed.item
    if item_id not in {i.id for i in page.walk()} or OP_OWNER["figadd"] != d.item(item_id).type:
        raise ValidationFailed({"op": "操作を実行できませんでした(対象が見つからないか範囲外です)。"})
    field = F.name(F.FIGURE_UPLOAD, item_id)
    current = values.get(item_id)
    if isinstance(current, list) and len(current) >= MAX_FIGURES:
        raise ValidationFailed({field: f"図は1項目に{MAX_FIGURES}枚までです。"})
    checked, err = clean_value(d.item(item_id), [{"sha": "0" * 64, "caption": caption}])
    if err:
        raise ValidationFailed({F.name(F.FIGURE_NEW_CAPTION, item_id): err.replace("図1の", "追加する図の")})
    blob = figures.ingest(session, upload or b"", field=field)
    return {"sha": blob.sha, "caption": checked[0]["caption"]}


def _check_figures(session: Session, d: Definition, values: dict[str, Any]) -> None:
    """Every figure a save refers to is a stored picture (a forged or stale key is refused, nothing written)."""
    wanted = {i: figures.shas_in(v) for i, v in values.items() if d.has(i) and holds_pictures(d.item(i))}
    known = figures.blobs(session, [s for shas in wanted.values() for s in shas])
    for item_id, shas in wanted.items():
        if any(s not in known for s in shas):
            raise ValidationFailed({F.name(F.ANSWER, item_id): "添付された図が見つかりません。画面を再読み込みしてから添付し直してください。"})


def _library_text(session: Session, actor: Actor, op: str) -> str | None:
    parsed = F.parse_op(op)
    if parsed is None or parsed.kind != "lib":
        return None
    try:
        lib_id = parsed.index(1)
    except (IndexError, ValueError):
        return None
    row = session.get(LibraryMeasure, lib_id)
    if row is None or not row.active or not scope.same_body(actor, row.organisation_id):
        return None
    return row.text


def version_definition(v: AssessmentVersion, form: str) -> Definition:
    return catalogue.definition(form, v.form_version)
