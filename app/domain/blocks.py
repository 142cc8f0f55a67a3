"""共通記載 (shared text blocks, pure): how a block is placed into an item at each lock level, what a 固定 use forbids,
the diff a 調整可 use shows, and how a block's new revision is carried into a use's text.

A block is either a text (for text / longtext items) or measures by audience (for measures items). A use records the
block revision it holds; for a measures item, which of the item's measures came from which block entry
(`entries`: {block entry id: measure id}).

Levels: 固定 (fixed: printed verbatim, editable only at the block), 調整可 (adjustable: starts from the block; local
edits kept and shown as a diff), 参考 (reference: copied once, no link after).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.forms import AUDIENCES

LEVELS = {"fixed": "固定", "adjustable": "調整可", "reference": "参考"}
LINKED = ("fixed", "adjustable")  # levels that stay linked to the block (proposals, diff, 固定 guard)
KINDS = {"text": "文章", "measures": "リスク対策の措置"}
ITEM_KIND = {"text": "text", "longtext": "text", "measures": "measures"}  # where a block of each kind can be used
FIXED_REFUSED = "共通記載(固定)の記載は、この画面では変更できません。共通記載の画面で変更してください。"
_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)  # ASCII words whole; Japanese by character


def usable(block_kind: str, item_type: str) -> bool:
    return ITEM_KIND.get(item_type) == block_kind


# ------------------------------------------------------------------ block content


def entries_of(measures: Any) -> list[tuple[str, str, str]]:
    """(audience, entry id, text) of a measures block, audience by audience in order."""
    m = measures if isinstance(measures, Mapping) else {}
    return [(aud, str(e.get("id", "")), str(e.get("text", ""))) for aud in AUDIENCES for e in m.get(aud, []) or []
            if isinstance(e, Mapping)]


def number_entries(measures: Mapping[str, list[str]], previous: Any = None) -> dict[str, list[dict[str, str]]]:
    """Block measures {aud: [text]} → {aud: [{id, text}]}: an unchanged or edited text keeps its position's id, new
    entries get the next number (ids are never reused, so a use can follow each entry across revisions)."""
    old = {aud: [e["id"] for e in (previous or {}).get(aud, [])] for aud in AUDIENCES}
    used = [int(i) for ids in old.values() for i in ids if str(i).isdigit()]
    nxt = max(used, default=0) + 1
    out: dict[str, list[dict[str, str]]] = {}
    for aud in AUDIENCES:
        lst = []
        for n, text in enumerate(t for t in measures.get(aud, []) if t.strip()):
            if n < len(old[aud]):
                eid = old[aud][n]
            else:
                eid, nxt = str(nxt), nxt + 1
            lst.append({"id": eid, "text": text.strip()})
        out[aud] = lst
    return out


def block_text(kind: str, text: str, measures: Any) -> str:
    """The block as one text (history, diffs, 変更箇所 explanations)."""
    if kind == "text":
        return text
    return "\n".join(f"【{AUDIENCES[aud]}】{t}" for aud, _, t in entries_of(measures))


# ------------------------------------------------------------------ placing a block


def insert_text(current: Any, text: str, level: str) -> str:
    """固定 / 調整可 take the block's text as the item's text; 参考 appends a copy below what is there."""
    cur = str(current or "").strip()
    if level == "reference" and cur:
        return f"{cur}\n{text}"
    return text


def insert_measures(current: Any, measures: Any, new_id: Callable[[], str]
                    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The block's measures appended to the item's lists by audience; returns (value, {entry id: measure id})."""
    value = {aud: [dict(m) for m in (current or {}).get(aud, [])] for aud in AUDIENCES} if isinstance(
        current, Mapping) else {aud: [] for aud in AUDIENCES}
    mapping = {}
    for aud, eid, text in entries_of(measures):
        mid = new_id()
        value[aud].append({"id": mid, "text": text})
        mapping[eid] = mid
    return value, mapping


def measures_by_id(value: Any) -> dict[str, tuple[str, str]]:
    """{measure id: (audience, text)} of a measures answer."""
    out = {}
    if isinstance(value, Mapping):
        for aud in AUDIENCES:
            for m in value.get(aud, []) or []:
                if isinstance(m, Mapping):
                    out[str(m.get("id", ""))] = (aud, str(m.get("text", "")))
    return out


def fixed_changed(kind: str, before: Any, after: Any, entries: Mapping[str, str]) -> bool:
    """Whether a save changes what a 固定 use holds: the whole text, or the block's measures (text, audience,
    presence; their order among the others may change)."""
    if kind == "text":
        return (before or "") != (after or "")
    b, a = measures_by_id(before), measures_by_id(after)
    return any(b.get(mid) != a.get(mid) for mid in entries.values())


def held_text(kind: str, value: Any, entries: Mapping[str, str]) -> str:
    """What a use holds now: the item's text, or its block measures as one text (in the block's order)."""
    if kind == "text":
        return str(value or "")
    by = measures_by_id(value)
    return "\n".join(f"【{AUDIENCES[by[mid][0]]}】{by[mid][1]}" for mid in entries.values() if mid in by)


# ------------------------------------------------------------------ diff and rebase


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op "=", "-" (only in old) or "+" (only in new): ASCII words whole, Japanese (written
    without spaces) character by character."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _push(out, "=", "".join(a[i1:i2]))
        else:
            _push(out, "-", "".join(a[i1:i2]))
            _push(out, "+", "".join(b[j1:j2]))
    return out


def _push(out: list[tuple[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1] = (op, out[-1][1] + text)
    else:
        out.append((op, text))


def rebase(local: str, base: str, new: str) -> str | None:
    """The block changed from `base` to `new`; `local` is the use's text (base plus local edits). The new text
    keeping the local edits, or None when the local edits touch the lines the block changed (a person decides).

    Three-way by lines: each change of base→new is applied where the local text left those lines as they were."""
    local, base, new = local or "", base or "", new or ""
    if local == base or base == new:
        return new if local == base else local
    if local == new:
        return local
    if base and local.count(base) == 1:
        return local.replace(base, new)
    b, loc, n = base.split("\n"), local.split("\n"), new.split("\n")
    theirs = [op for op in difflib.SequenceMatcher(None, b, n, autojunk=False).get_opcodes() if op[0] != "equal"]
    mine = [op for op in difflib.SequenceMatcher(None, b, loc, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _, i1, i2, _, _ in theirs:
        for _, k1, k2, _, _ in mine:
            if _overlap(i1, i2, k1, k2):
                return None
    changes = sorted([(i1, i2, n[j1:j2]) for _, i1, i2, j1, j2 in theirs] +
                     [(k1, k2, loc[j1:j2]) for _, k1, k2, j1, j2 in mine], key=lambda c: (c[0], c[1]))
    out, pos = [], 0
    for i1, i2, lines in changes:
        out.extend(b[pos:i1])
        out.extend(lines)
        pos = max(pos, i2)
    out.extend(b[pos:])
    return "\n".join(out)


def _overlap(i1: int, i2: int, k1: int, k2: int) -> bool:
    """Two changes of the base lines [i1, i2) and [k1, k2) collide (an insertion at a point touches what is there)."""
    if i1 == i2 or k1 == k2:
        return k1 <= i1 <= k2 if i1 == i2 else i1 <= k1 <= i2
    return i1 < k2 and k1 < i2


def rebase_measures(value: Any, entries: Mapping[str, str], base: Any, new: Any, new_id: Callable[[], str]
                    ) -> tuple[dict[str, list[dict[str, Any]]] | None, dict[str, str]]:
    """A measures item after its block went from `base` to `new` measures: each block measure rebased by text,
    new block entries appended, removed ones dropped (when not edited locally). (None, entries) on a collision."""
    value = {aud: [dict(m) for m in (value or {}).get(aud, [])] for aud in AUDIENCES}
    old = {eid: (aud, t) for aud, eid, t in entries_of(base)}
    mapping = dict(entries)
    for aud, eid, text in entries_of(new):
        mid = mapping.get(eid)
        hit = next((m for lst in value.values() for m in lst if mid and m.get("id") == mid), None)
        if hit is None:
            mapping[eid] = mid = new_id()
            value[aud].append({"id": mid, "text": text})
            continue
        merged = rebase(str(hit.get("text", "")), old.get(eid, ("", ""))[1], text)
        if merged is None:
            return None, dict(entries)
        hit["text"] = merged
    gone = [eid for eid in old if eid not in {e for _, e, _ in entries_of(new)}]
    for eid in gone:
        mid = mapping.pop(eid, None)
        for aud in AUDIENCES:
            for m in list(value[aud]):
                if m.get("id") == mid:
                    if str(m.get("text", "")) != old[eid][1]:
                        return None, dict(entries)
                    value[aud].remove(m)
    return value, mapping
