"""Changes between two versions (pure): the item-level diff behind the 変更箇所, and the ※ classification.

A published version is compared with the working one item by item — files, repeating-group rows and both
measure lists included — and each difference becomes a 変更箇所 row. Editing a ※ item (重要な変更の対象) asks
what kind of change it is; any 重要な変更 makes the version a 再実施, otherwise it is a 修正.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.answer_types import TYPES, answer_text, empty, row_label
from app.domain.completeness import item_path
from app.domain.forms import Definition, Item

CLASSES = {
    "important": "重要な変更",
    "risk_reducing": "重要な変更に当たらない(リスクを明らかに軽減する変更)",
    "formal": "重要な変更に当たらない(形式的な変更)",
    "correction": "評価書の修正",
}
DASH = "-"
FILE_ITEM = "_file"  # the pseudo item of a 特定個人情報ファイル added, removed or renamed (asked like a ※ item)


@dataclass(frozen=True)
class Change:
    key: str              # stable: file uid | item id | row id | child id
    item_id: str
    file_uid: str
    label: str            # e.g. 【住民基本台帳ファイル】Ⅱ 4.委託事項2 ①委託内容
    before: str
    after: str
    important: bool


def _text(item: Item, value: Any) -> str:
    return DASH if value is None or empty(item, value) else answer_text(item, value, empty=DASH)


def diff(old_def: Definition, old: Mapping[str, Mapping[str, Any]], old_files: list[tuple[str, str]],
         new_def: Definition, new: Mapping[str, Mapping[str, Any]], new_files: list[tuple[str, str]], *,
         only_items: set[str] | None = None, only_file: str | None = None) -> list[Change]:
    """Every difference between the old (published) and the new (working) version, in form order.

    `only_items` / `only_file` restrict the comparison to one editor page (the ※ question after a save).
    """
    out: list[Change] = []
    old_names, new_names = dict(old_files), dict(new_files)
    if only_items is not None:
        old_files = new_files = [(u, n) for u, n in new_files if u == only_file and u in old_names]
        old_names = new_names = dict(new_files)
    for uid, name in new_files:
        if uid not in old_names:
            out.append(Change(f"file|{uid}", FILE_ITEM, uid, "特定個人情報ファイルの追加", DASH, name, True))
        elif old_names[uid] != name:
            out.append(Change(f"file|{uid}", FILE_ITEM, uid, "特定個人情報ファイル名", old_names[uid], name, True))
    for uid, name in old_files:
        if uid not in new_names:
            out.append(Change(f"file|{uid}", FILE_ITEM, uid, "特定個人情報ファイルの削除", name, DASH, True))
    for section in new_def.sections:
        scopes = [(uid, name) for uid, name in new_files if uid in old_names] if section.scope == "file" else [("", "")]
        if only_items is not None and section.scope != "file":
            scopes = scopes if not only_file else []
        for uid, fname in scopes:
            where = f"【{fname}】" if fname else ""
            for item in section.walk():
                if not item.answerable or item.readonly or (only_items is not None and item.id not in only_items):
                    continue
                before = old.get(uid, {}).get(item.id)
                after = new.get(uid, {}).get(item.id)
                old_item = old_def.item(item.id) if old_def.has(item.id) else item
                if item.type == "group":
                    out.extend(_group(new_def, old_item, item, before or [], after or [], uid, where))
                    continue
                if _same(old_item, before, item, after):
                    continue
                before_text, after_text = _text(old_item, before), _text(item, after)
                if before_text == after_text:  # the same text, yet not the same (a figure's other picture)
                    after_text += TYPES[item.type].same_text_note
                out.append(Change(f"{uid}|{item.id}", item.id, uid, where + item_path(new_def, item),
                                  before_text, after_text, new_def.is_important(item.id)))
    return out


def _same(old_item: Item, before: Any, item: Item, after: Any) -> bool:
    if before == after:  # most items of a revision: every type's `same` is reflexive (issue 18: the common case first)
        return True
    if (before is None or empty(old_item, before)) and (after is None or empty(item, after)):
        return True
    if before in (None, "", [], {}) and after in (None, "", [], {}):
        return True
    t = TYPES.get(item.type)
    return t.same(before, after) if t is not None else before == after


def _group(d: Definition, old_group: Item, group: Item, before: list[dict[str, Any]], after: list[dict[str, Any]],
           uid: str, where: str) -> list[Change]:
    out = []
    old_rows = {r.get("_id"): r for r in before}
    new_ids = [r.get("_id") for r in after]
    path = where + item_path(d, group)
    for n, row in enumerate(after, 1):
        label = f"{path} {row_label(group, n)}"
        prev = old_rows.get(row.get("_id"))
        if prev is None:
            out.append(Change(f"{uid}|{group.id}|{row.get('_id')}", group.id, uid, f"{label}(追加)", DASH,
                              _row_text(group, row), d.is_important(group.id) or _any_important(d, group)))
            continue
        for child in group.children:
            old_child = next((c for c in old_group.children if c.id == child.id), child)
            if _same(old_child, prev.get(child.id), child, row.get(child.id)):
                continue
            out.append(Change(f"{uid}|{group.id}|{row.get('_id')}|{child.id}", child.id, uid,
                              f"{label} {child.display}", _text(old_child, prev.get(child.id)),
                              _text(child, row.get(child.id)), d.is_important(child.id)))
    for n, row in enumerate(before, 1):
        if row.get("_id") not in new_ids:
            out.append(Change(f"{uid}|{group.id}|{row.get('_id')}", group.id, uid,
                              f"{path} {row_label(old_group, n)}(削除)", _row_text(old_group, row), DASH,
                              d.is_important(group.id) or _any_important(d, group)))
    return out


def _any_important(d: Definition, group: Item) -> bool:
    return any(d.is_important(c.id) for c in group.children)


def classifiable(d: Definition, item_id: str) -> bool:
    """Whether a change of this item is asked 「重要な変更か」: a ※ item, or a group with a ※ column."""
    if item_id == FILE_ITEM:
        return True
    if not d.has(item_id):
        return False
    item = d.item(item_id)
    return d.is_important(item_id) or (item.type == "group" and _any_important(d, item))


def _row_text(group: Item, row: Mapping[str, Any]) -> str:
    parts = [f"{c.display}: {_text(c, row.get(c.id))}" for c in group.children if row.get(c.id) not in (None, "")]
    return "\n".join(parts) or DASH


def kind_of(classes: Mapping[str, str], *, forced_reassessment: bool = False) -> str:
    """A version is a 再実施 when any ※ change is a 重要な変更 (or it was opened as a 再実施), else a 修正."""
    if forced_reassessment or any(c == "important" for c in classes.values()):
        return "reassessment"
    return "correction"


def unclassified(changes: list[Change], classes: Mapping[str, str]) -> list[Change]:
    """※ changes still waiting for the 重要な変更 question (one answer per item and version)."""
    return [c for c in changes if c.important and c.item_id and _class_key(c) not in classes]


def _class_key(c: Change) -> str:
    return f"{c.file_uid}|{c.item_id}"


def class_key(file_uid: str, item_id: str) -> str:
    return f"{file_uid}|{item_id}"
