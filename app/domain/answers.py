"""Answers: parsing posted editor pages, skip rules and editor operations (pure).

What each answer type accepts, how it is read from the page and written as text lives in
app/domain/answer_types.py (one class per type); field and operation names in app/domain/fields.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain import fields as F
from app.domain.answer_types import (  # the entry points, re-exported for the rest of the code (see __all__)
    CAPTION_MAX,
    ENTRY_ID,
    MAX_FIGURES,
    MAX_MEASURES,
    MEASURE_MAX,
    OP_OWNER,
    SHA,
    TYPES,
    BadOperation,
    clean_value,
    empty,
    new_id,
    of,
    row_label,
)
from app.domain.forms import Condition, Definition, Item, Page
from app.domain.text import text_problem

__all__ = [
    # re-exported from app.domain.answer_types
    "CAPTION_MAX",
    "ENTRY_ID",
    "MAX_FIGURES",
    "MAX_MEASURES",
    "MEASURE_MAX",
    "OP_OWNER",
    "SHA",
    "TYPES",
    "BadOperation",
    # defined here
    "ParsedPage",
    "apply_op",
    "clean_value",
    "dom_id",
    "empty",
    "field_name",
    "holds",
    "new_id",
    "of",
    "parse_page",
    "row_label",
    "skip_reason",
]


# ------------------------------------------------------------------ skip rules

def holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    if cond.any is not None:
        return any(holds(c, values) for c in cond.any)
    if cond.all is not None:
        return all(holds(c, values) for c in cond.all)
    if cond.not_ is not None:
        return not holds(cond.not_, values)
    v = values.get(cond.item) if cond.item is not None else None
    if cond.equals is not None:
        return v == cond.equals
    if cond.includes is not None:
        if isinstance(v, Mapping):
            v = v.get("checked", [])
        return isinstance(v, list) and cond.includes in v
    if cond.in_ is not None:
        return v in cond.in_
    return False


def skip_reason(d: Definition, item_id: str, values: Mapping[str, Any]) -> str | None:
    """Japanese reason when the item (or a heading above it) is skipped, else None."""
    node: Item | None = d.item(item_id)
    while node is not None:
        if node.skip_if is not None and holds(node.skip_if, values):
            return node.skip_reason or "条件により記載不要です。"
        node = d.parent_of(node.id)
    return None


# ------------------------------------------------------------------ parsing a posted page

@dataclass
class ParsedPage:
    values: dict[str, Any] = field(default_factory=dict)     # item id -> clean value (page items only)
    errors: dict[str, str] = field(default_factory=dict)     # field name -> message
    withheld: dict[str, tuple[bool, str]] = field(default_factory=dict)
    actions: dict[str, dict[str, str]] = field(default_factory=dict)  # judgement item -> action fields


field_name = F.name  # kept for callers that build posted forms (tests, the CLI)


def dom_id(name: str) -> str:
    """An HTML id for a field name (| and . are awkward in CSS selectors)."""
    return "f-" + name.replace("|", "--").replace(".", "_")


def parse_page(page: Page, form: Mapping[str, list[str]]) -> ParsedPage:
    """Turn posted fields (name -> list of values) into clean values for every answerable item on the page."""
    out = ParsedPage()
    for item in page.walk():
        if not item.answerable or item.readonly or F.name(F.PRESENT, item.id) not in form:
            continue  # only items the page actually showed are read: nothing else is touched
        value, err = clean_value(item, of(item).raw(item, item.id, form))
        if err:
            out.errors[F.name(F.ANSWER, item.id)] = err
        else:
            out.values[item.id] = value
        w = form.get(F.name(F.WITHHELD, item.id))
        if w is not None or F.name(F.WITHHELD_REASON, item.id) in form:
            reason = (form.get(F.name(F.WITHHELD_REASON, item.id)) or [""])[0]
            out.withheld[item.id] = (bool(w and w[0]), reason)
            problem = text_problem(reason, label="非公表の理由", max_len=1000)
            if problem:
                out.errors[F.name(F.WITHHELD_REASON, item.id)] = problem
        if of(item).improvement_action:
            act = {k: (form.get(F.name(F.ACTION, item.id, k)) or [""])[0] for k in ("content", "owner", "due")}
            if any(act.values()) or F.name(F.ACTION, item.id, "content") in form:
                out.actions[item.id] = act
    return out


# ------------------------------------------------------------------ editor operations

def apply_op(d: Definition, values: dict[str, Any], op: str, *, library_text: str | None = None,
             figure: dict[str, str] | None = None) -> str | None:
    """Apply an editor button to `values` in place; return the item id to scroll to.

    The operation belongs to one answer type (fields.MEASURE_OPS, ROW_OPS, FIGURE_OPS), which must be the item's:
    `library_text` is the library measure a 挿入 adds, `figure` the picture 「図を追加」 stored beforehand."""
    parsed = F.parse_op(op)
    if parsed is None or parsed.kind not in OP_OWNER:
        raise BadOperation(op)
    try:
        item = d.item(parsed.item)
        if item.type != OP_OWNER[parsed.kind]:
            raise BadOperation(op)
        values[item.id] = of(item).apply(item, values.get(item.id), parsed,
                                         {"library_text": library_text, "figure": figure})
        return item.id
    except (IndexError, KeyError, ValueError) as exc:
        if isinstance(exc, BadOperation):
            raise
        raise BadOperation(op) from exc
