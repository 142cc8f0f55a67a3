"""共通記載: blocks (list, edit with history), their uses, and what the editor's one write path asks of them
(insert from the editor, the 固定 guard, keeping each use's text in step, copying uses to the next version).

Proposals after a block changes (accept as a campaign, or keep) are in app/services/block_proposals.py; the rules
are in app/domain/blocks.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain import blocks as B
from app.domain import fields as F
from app.domain.answer_types import new_id
from app.domain.forms import AUDIENCES, Definition, Page
from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Assessment, AssessmentVersion, Jimu, TextBlock, TextBlockRevision, TextBlockUse, pk
from app.models.base import utcnow
from app.services import audit, locking, memo, scope

BLOCK_OPS = ("blk", "blkrm")  # blk|item|block id|level (insert), blkrm|item|use id (unlink)
STALE = "この共通記載は他の利用者により先に更新されています。"


def manage(actor: Actor) -> None:
    if not can_manage_register_settings(actor):
        raise Forbidden("共通記載の登録・変更は総務・文書担当と管理者が行います。")


def _read(actor: Actor) -> None:
    """Blocks are the body's own text: its officials use them; council members and the server's system
    administrator (who sees no assessment content) do not."""
    if actor.role not in ("admin", "records", "staff", "system"):
        raise Forbidden("共通記載は市の職員が使用します。")


def as_form(b: TextBlock) -> dict[str, Any]:
    """The block as the edit form shows it (measures: one per line, per audience)."""
    return {"title": b.title, "kind": b.kind, "text": b.text, "note": b.note, "active": b.active, "reason": "",
            "lock_version": b.lock_version,
            "measures": {aud: [e["text"] for e in (b.measures or {}).get(aud, [])] for aud in AUDIENCES}}


def all_of(session: Session, *, actor: Actor, include_inactive: bool = True) -> list[TextBlock]:
    _read(actor)
    q = scope.in_body(select(TextBlock), TextBlock.organisation_id, actor)
    if not include_inactive:
        q = q.where(TextBlock.active)
    return list(session.exec(q.order_by(col(TextBlock.id))).all())


def get(session: Session, *, actor: Actor, block_id: int) -> TextBlock:
    _read(actor)
    row = session.get(TextBlock, block_id)
    if row is None or not scope.same_body(actor, row.organisation_id):
        raise NotFound("共通記載が見つかりません。")
    return row


def history(session: Session, block_id: int) -> list[TextBlockRevision]:
    return list(session.exec(select(TextBlockRevision).where(TextBlockRevision.block_id == block_id)
                             .order_by(col(TextBlockRevision.revision).desc())).all())


def revision_of(session: Session, block_id: int, revision: int) -> TextBlockRevision | None:
    return session.exec(select(TextBlockRevision).where(TextBlockRevision.block_id == block_id,
                                                        TextBlockRevision.revision == revision)).first()


def measures_form(raw: Mapping[str, str]) -> dict[str, list[str]]:
    """The block's measures as posted: one textarea per audience, one measure per line."""
    return {aud: [t.strip() for t in str(raw.get(aud, "")).splitlines() if t.strip()] for aud in AUDIENCES}


def save(session: Session, *, actor: Actor, data: dict[str, Any], block_id: int | None = None) -> TextBlock:
    """Create or change a block. A change of its content makes a new revision (its reason is required); a stale
    lock_version is refused (409) with what is stored now."""
    manage(actor)
    errors: dict[str, str] = {}
    for key, label, limit, required in (("title", "名称", 200, True), ("note", "説明", 2000, False),
                                        ("reason", "変更の理由", 2000, False)):
        problem = text_problem(str(data.get(key, "")), label=label, max_len=limit, required=required)
        if problem:
            errors[key] = problem
    row = get(session, actor=actor, block_id=block_id) if block_id else None
    kind = row.kind if row else str(data.get("kind", ""))
    if kind not in B.KINDS:
        errors["kind"] = "種類(文章 / リスク対策の措置)を選択してください。"
    text, measures = str(data.get("text", "")).strip(), None
    if kind == "text":
        problem = text_problem(text, label="記載", max_len=20000, required=True)
        if problem:
            errors["text"] = problem
    elif kind == "measures":
        posted = data.get("measures") or {}
        for aud in AUDIENCES:
            for t in posted.get(aud, []):
                problem = text_problem(t, label=f"措置({AUDIENCES[aud]})", max_len=4000)
                if problem:
                    errors[f"measures_{aud}"] = problem
        if not any(posted.get(aud) for aud in AUDIENCES):
            errors["measures_external"] = "措置を1件以上入力してください。"
        measures = B.number_entries(posted, row.measures if row else None)
        text = ""
    title = str(data.get("title", "")).strip()
    owner = row.organisation_id if row else actor.organisation_id
    clash = session.exec(select(TextBlock.id).where(TextBlock.organisation_id == owner, TextBlock.title == title,
                                                    TextBlock.id != (block_id or 0))).first()
    if clash:
        errors["title"] = f"「{title}」という名称の共通記載が別にあります。"
    content_changed = row is None or (row.text, row.measures or {}) != (text, measures or {})
    if row is not None and content_changed and not str(data.get("reason", "")).strip():
        errors["reason"] = "記載を変更する場合は、変更の理由を入力してください(評価書の変更箇所の説明に記載されます)。"
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(row) if row else None
    if row is None:
        body = scope.own_body(actor, "共通記載は団体ごとに登録します(団体に属さない利用者は登録できません)。")
        row = TextBlock(organisation_id=body, title=title, kind=kind, revision=0)
    else:
        locking.claim_row(session, row, data.get("lock_version"), message=STALE, what="この共通記載", entity="block",
                          actor_id=actor.user_id, describe=lambda b: f"「{b.title}」(第{b.revision}版)")
    row.title, row.note = title, str(data.get("note", "")).strip()
    row.active = bool(data.get("active", True))
    row.updated_at, row.updated_by_id = utcnow(), actor.user_id
    if content_changed:
        row.text, row.measures, row.revision = text, measures or {}, row.revision + 1
    session.add(row)
    session.flush()
    if content_changed:
        session.add(TextBlockRevision(block_id=pk(row), revision=row.revision, title=title, text=row.text,
                                      measures=row.measures, reason=str(data.get("reason", "")).strip() or "新規登録",
                                      created_by_id=actor.user_id))
    audit.record(session, actor=actor, entity="block", entity_id=row.id, action="updated" if before else "created",
                 before=before, after=row)
    session.commit()
    return row


# ------------------------------------------------------------------ uses


@dataclass
class UseRow:
    use: TextBlockUse
    version: AssessmentVersion
    assessment: Assessment
    jimu: Jimu
    current: bool  # the 評価書's latest version


def uses_of(session: Session, *, actor: Actor, block_id: int) -> list[UseRow]:
    """Every recorded use of a block, newest version first within each 評価書."""
    rows = session.exec(select(TextBlockUse, AssessmentVersion, Assessment, Jimu)
                        .join(AssessmentVersion, col(AssessmentVersion.id) == TextBlockUse.version_id)
                        .join(Assessment, col(Assessment.id) == TextBlockUse.assessment_id)
                        .join(Jimu, col(Jimu.id) == Assessment.jimu_id)
                        .where(TextBlockUse.block_id == block_id, scope.body_clause(Assessment.organisation_id, actor))
                        .order_by(col(Assessment.number), col(Assessment.form), col(AssessmentVersion.seq).desc(),
                                  col(TextBlockUse.id))).all()
    ids = sorted({pk(a) for _, _, a, _ in rows}) or [0]
    latest = dict(session.exec(select(AssessmentVersion.assessment_id, func.max(AssessmentVersion.seq))
                               .where(col(AssessmentVersion.assessment_id).in_(ids))
                               .group_by(col(AssessmentVersion.assessment_id))).all())
    return [UseRow(u, v, a, j, v.seq == latest.get(pk(a))) for u, v, a, j in rows]


def editor_uses(session: Session, version_id: int, file_uid: str) -> dict[str, list[tuple[TextBlockUse, TextBlock]]]:
    """{item id: [(use, block)]} of the linked uses on one scope of a version (the editor's badges and guards);
    read once per request (a save checks them, then keeps their text in step)."""
    def load() -> list[tuple[TextBlockUse, TextBlock]]:
        return list(session.exec(select(TextBlockUse, TextBlock)
                                 .join(TextBlock, col(TextBlock.id) == TextBlockUse.block_id)
                                 .where(TextBlockUse.version_id == version_id, TextBlockUse.file_uid == file_uid,
                                        col(TextBlockUse.level).in_(B.LINKED)).order_by(col(TextBlockUse.id))).all())

    out: dict[str, list[tuple[TextBlockUse, TextBlock]]] = {}
    for u, b in memo.once(session, ("block_uses", version_id, file_uid), load):
        out.setdefault(u.item_id, []).append((u, b))
    return out


def fixed_measures(uses: list[tuple[TextBlockUse, TextBlock]]) -> set[str]:
    """The measure ids a page shows read-only (those of 固定 uses)."""
    return {mid for u, _ in uses if u.level == "fixed" for mid in (u.entries or {}).values()}


@dataclass
class EditorOp:
    item_id: str
    add: TextBlockUse | None = None
    remove: TextBlockUse | None = None


def editor_op(session: Session, *, actor: Actor, d: Definition, version: AssessmentVersion, page: Page,
              file_uid: str, op: F.Op, values: dict[str, Any], stored: Mapping[str, Any]) -> EditorOp:
    """「共通記載を挿入」 (blk) or 「共通記載を外す」 (blkrm): changes `values` in place; the use to add or remove is
    returned (written by save_page after the 固定 guard)."""
    bad = ValidationFailed({"op": "共通記載を挿入できませんでした(対象が見つからないか、この項目には使えません)。"})
    if op.item not in {i.id for i in page.walk()}:
        raise bad
    item = d.item(op.item)
    current = editor_uses(session, pk(version), file_uid).get(item.id, [])
    if op.kind == "blkrm":
        use = next((u for u, _ in current if op.args and str(u.id) == op.args[0]), None)
        if use is None:
            raise bad
        if use.level == "fixed" and not can_manage_register_settings(actor):
            raise Forbidden("共通記載(固定)を外すのは総務・文書担当と管理者が行います。")
        return EditorOp(item.id, remove=use)
    try:
        block_id, level = int(op.args[0]), op.args[1]
    except (IndexError, ValueError):
        raise bad from None
    block = session.get(TextBlock, block_id)
    owner = session.get(Assessment, version.assessment_id)  # a block is inserted only into its own body's 評価書
    if (block is None or owner is None or block.organisation_id != owner.organisation_id or not block.active or level not in B.LEVELS
            or not B.usable(block.kind, item.type)):
        raise bad
    if any(b.id == block.id for _, b in current) or (block.kind == "text" and current and level != "reference"):
        raise ValidationFailed({"op": "この項目には既に共通記載が挿入されています(先に外してください)。"})
    entries: dict[str, str] = {}
    if item.id not in values and item.id in stored:  # not posted (the page did not show it): the stored value
        values[item.id] = stored[item.id].value
    if block.kind == "text":
        values[item.id] = B.insert_text(values.get(item.id), block.text, level)
    else:
        values[item.id], entries = B.insert_measures(values.get(item.id), block.measures, lambda: new_id("m"))
    use = TextBlockUse(block_id=pk(block), assessment_id=version.assessment_id, version_id=pk(version),
                       file_uid=file_uid, item_id=item.id, level=level, revision=block.revision,
                       entries=entries if level != "reference" else {}, created_by_id=actor.user_id,
                       local_text=B.held_text(block.kind, values[item.id], entries))
    return EditorOp(item.id, add=use)


def guard_fixed(session: Session, version_id: int, file_uid: str, stored: Mapping[str, Any],
                values: Mapping[str, Any], skip: EditorOp | None = None,
                uses: dict[str, list[tuple[TextBlockUse, TextBlock]]] | None = None) -> None:
    """Refuse (422, nothing written) a save that changes what a 固定 use holds — unless it brings it to the block's
    current text (accepting the block's change is not an edit in place). `uses`: editor_uses, if read already."""
    for item_id, pairs in (editor_uses(session, version_id, file_uid) if uses is None else uses).items():
        if item_id not in values:
            continue
        before = stored[item_id].value if item_id in stored else None
        for u, b in pairs:
            if skip is not None and skip.remove is u:
                continue  # being unlinked: its text stays as it is, and becomes the 評価書's own
            if u.level != "fixed" or not B.fixed_changed(b.kind, before, values[item_id], u.entries or {}):
                continue
            if b.kind == "text" and values[item_id] == b.text:
                continue
            if b.kind == "measures" and _towards_block(before, values[item_id], u.entries or {}, b.measures):
                continue
            raise ValidationFailed({F.name(F.ANSWER, item_id): f"「{b.title}」は{B.FIXED_REFUSED}"})


def _towards_block(before: Any, after: Any, entries: Mapping[str, str], measures: Any) -> bool:
    """Every changed 固定 measure now reads as the block's current entry (or is gone with it)."""
    now = {eid: (aud, t) for aud, eid, t in B.entries_of(measures)}
    b, a = B.measures_by_id(before), B.measures_by_id(after)
    return all(b.get(mid) == a.get(mid) or a.get(mid) == now.get(eid) for eid, mid in entries.items())


def after_save(session: Session, *, version_id: int, file_uid: str, values: Mapping[str, Any], changed: set[str],
               op: EditorOp | None, uses: dict[str, list[tuple[TextBlockUse, TextBlock]]] | None = None) -> None:
    """Write the editor's use change, and keep each linked use's text (local_text) in step with the item.
    `uses`: editor_uses as read before this save (the use `op` adds or removes is accounted for here)."""
    if op and op.add:
        session.add(op.add)
    if op and op.remove:
        session.delete(op.remove)
    if uses is None:
        uses = editor_uses(session, version_id, file_uid)
    else:  # what a fresh read would now return: without the removed use, with the added one (the newest) last
        uses = {item_id: [(u, b) for u, b in pairs if not (op and op.remove is u)] for item_id, pairs in uses.items()}
        if op and op.add and op.add.level in B.LINKED:
            block = session.get(TextBlock, op.add.block_id)
            if block is None:  # (the editor's operation read the block it adds)
                raise NotFound("共通記載が見つかりません。")
            uses.setdefault(op.add.item_id, []).append((op.add, block))
    for item_id, pairs in uses.items():
        if item_id in changed and item_id in values:
            for u, b in pairs:
                if op and op.remove is u:
                    continue
                u.local_text = B.held_text(b.kind, values[item_id], u.entries or {})[:40000]
                session.add(u)


def copy_uses(session: Session, old_version_id: int, new_version_id: int, new_def: Definition) -> int:
    """改訂: the linked uses go with the answers into the new working version (same revision, same measure ids)."""
    n = 0
    for u in session.exec(select(TextBlockUse).where(TextBlockUse.version_id == old_version_id,
                                                     col(TextBlockUse.level).in_(B.LINKED))).all():
        if new_def.has(u.item_id):
            session.add(TextBlockUse(block_id=u.block_id, assessment_id=u.assessment_id, version_id=new_version_id,
                                     file_uid=u.file_uid, item_id=u.item_id, level=u.level, revision=u.revision,
                                     entries=dict(u.entries or {}), local_text=u.local_text,
                                     created_by_id=u.created_by_id))
            n += 1
    return n


def adopt(session: Session, *, block: TextBlock, version: AssessmentVersion, file_uid: str, item_id: str, level: str,
          value: Any) -> TextBlockUse | None:
    """Record that an item already holds a block (its text, or measures with the same texts): no answer changes, so
    a published version may be linked too (the demo, and a city taking its existing wording under a block)."""
    entries: dict[str, str] = {}
    if block.kind == "text":
        if block.text not in str(value or "") or (level == "fixed" and str(value or "") != block.text):
            return None
    else:
        by_text = {(aud, t): mid for mid, (aud, t) in B.measures_by_id(value).items()}
        for aud, eid, text in B.entries_of(block.measures):
            if (aud, text) not in by_text:
                return None
            entries[eid] = by_text[(aud, text)]
    use = TextBlockUse(block_id=pk(block), assessment_id=version.assessment_id, version_id=pk(version),
                       file_uid=file_uid, item_id=item_id, level=level, revision=block.revision, entries=entries,
                       local_text=B.held_text(block.kind, value, entries))
    session.add(use)
    return use
