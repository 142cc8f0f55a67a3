"""Answers: parsing posted editor pages, validating values, skip rules and editor operations (pure).

Value shapes by item type:
  text/longtext/ref/choice/judgement: str      multi: list[str]
  multi_text: {"checked": [label], "texts": {label: str}}     date: "YYYY-MM-DD"     number: int
  measures: {"external": [{"id", "text"}], "staff": [{"id", "text"}], "system": [{"id", "text"}]}
  group: [{"_id": row id, <child id>: value, ...}]
  figure: [{"id": entry id, "sha": sha256 of the stored PNG, "caption": str}]   (a frozen version saved before the
          item became a figure may still hold its old text: printed as it was)
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.forms import AUDIENCES, Condition, Definition, Item, Page
from app.domain.text import LONG_MAX, SHORT_MAX, normalise_newlines, text_problem
from app.domain.wareki import BadDate, parse_date

MAX_MEASURES = 100
MEASURE_MAX = 4_000
MAX_FIGURES = 10
CAPTION_MAX = 200
SHA = re.compile(r"[0-9a-f]{64}")
# Ids of measures and group rows are made by new_id(); a posted or imported id must look like one (it is used in
# editor operations split on "|", and must survive XML and PostgreSQL unchanged).
ENTRY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,32}")


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(5)


def empty(item: Item, value: Any) -> bool:
    if value is None:
        return True
    t = item.type
    if t in ("text", "longtext", "ref", "choice", "judgement", "date"):
        return str(value).strip() == ""
    if t == "number":
        return value == "" or value is None
    if t == "multi":
        return not value
    if t == "multi_text":
        return not value.get("checked")
    if t == "measures":
        return not any(m.get("text", "").strip() for aud in AUDIENCES for m in value.get(aud, []))
    if t == "group":
        return not value
    if t == "figure":
        return not value if isinstance(value, list) else str(value).strip() == ""
    return True


# ------------------------------------------------------------------ validation of one value

def clean_value(item: Item, value: Any, *, label: str | None = None) -> tuple[Any, str | None]:
    """Normalise `value` for `item`; return (clean value, Japanese error or None). Used for posted and imported data."""
    label = label or (item.label or item.id)
    t = item.type
    if value is None:
        return None, None
    if t in ("text", "ref"):
        return _text(value, label, item.max_length or SHORT_MAX if t == "text" else 2000)
    if t == "longtext":
        return _text(value, label, item.max_length or LONG_MAX)
    if t in ("choice", "judgement"):
        if not isinstance(value, str):
            return None, f"{label}の値が不正です。"
        if value == "":
            return "", None
        if value not in item.choice_labels:
            return None, f"{label}の選択肢「{value[:40]}」は様式にありません。"
        return value, None
    if t == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"{label}の値が不正です。"
        unknown = [v for v in value if v not in item.choice_labels]
        if unknown:
            return None, f"{label}の選択肢「{unknown[0][:40]}」は様式にありません。"
        return [c for c in item.choice_labels if c in value], None
    if t == "multi_text":
        return _multi_text(item, value, label)
    if t == "date":
        if value == "":
            return "", None
        try:
            return parse_date(str(value), label=label).isoformat(), None
        except BadDate as exc:
            return None, str(exc)
    if t == "number":
        return _number(item, value, label)
    if t == "measures":
        return _measures(value, label)
    if t == "group":
        return _group(item, value, label)
    if t == "figure":
        return _figures(value, label)
    return None, f"{label}には値を入力できません。"


def _text(value: Any, label: str, max_len: int) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"{label}の値が不正です。"
    value = normalise_newlines(value)
    problem = text_problem(value, label=label, max_len=max_len)
    return (None, problem) if problem else (value, None)


def _number(item: Item, value: Any, label: str) -> tuple[Any, str | None]:
    if value == "" or value is None:
        return "", None
    if isinstance(value, bool):
        return None, f"{label}は整数で入力してください。"
    text = str(value).strip().replace(",", "")
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    if not text.lstrip("-").isdigit() or not text.isascii():
        return None, f"{label}は整数で入力してください。"
    lo = item.min if item.min is not None else 0
    hi = item.max if item.max is not None else 1_000_000_000
    digits = text.lstrip("-").lstrip("0")
    # int() refuses more than 4,300 digits (ValueError); nothing in range has more than 18
    n = int(text) if len(digits) <= 18 else (lo - 1 if text.startswith("-") else hi + 1)
    if n < lo:
        return None, f"{label}は{lo}以上で入力してください。"
    if n > hi:
        return None, f"{label}は{hi:,}以下で入力してください。"
    return n, None


def _multi_text(item: Item, value: Any, label: str) -> tuple[Any, str | None]:
    if not isinstance(value, Mapping):
        return None, f"{label}の値が不正です。"
    checked, texts = value.get("checked", []), value.get("texts", {})
    if not isinstance(checked, list) or not isinstance(texts, Mapping):
        return None, f"{label}の値が不正です。"
    unknown = [v for v in checked if v not in item.choice_labels]
    if unknown:
        return None, f"{label}の選択肢「{str(unknown[0])[:40]}」は様式にありません。"
    clean_texts = {}
    for choice in item.choices:
        raw = texts.get(choice.label, "")
        if raw and choice.text:
            text, err = _text(raw, f"{label}({choice.label})", SHORT_MAX)
            if err:
                return None, err
            clean_texts[choice.label] = text
    return {"checked": [c for c in item.choice_labels if c in checked], "texts": clean_texts}, None


def _measures(value: Any, label: str) -> tuple[Any, str | None]:
    if not isinstance(value, Mapping):
        return None, f"{label}の値が不正です。"
    out = {}
    for aud, aud_label in AUDIENCES.items():
        entries = value.get(aud, [])
        if not isinstance(entries, list):
            return None, f"{label}({aud_label})の値が不正です。"
        if len(entries) > MAX_MEASURES:
            return None, f"{label}({aud_label})の措置は{MAX_MEASURES}件までです。"
        clean = []
        for n, m in enumerate(entries, 1):
            if not isinstance(m, Mapping) or not isinstance(m.get("text", ""), str):
                return None, f"{label}({aud_label})の値が不正です。"
            text, err = _text(m.get("text", ""), f"{label}({aud_label})の措置{n}", MEASURE_MAX)
            if err:
                return None, err
            mid, err = _entry_id(m.get("id"), "m", f"{label}({aud_label})の措置{n}")
            if err:
                return None, err
            clean.append({"id": mid, "text": text})
        out[aud] = clean
    return out, None


def _group(item: Item, value: Any, label: str) -> tuple[Any, str | None]:
    if not isinstance(value, list):
        return None, f"{label}の値が不正です。"
    if len(value) > item.max_rows:
        return None, f"{label}は{item.max_rows}件までです。"
    rows = []
    for n, row in enumerate(value, 1):
        if not isinstance(row, Mapping):
            return None, f"{label}の値が不正です。"
        row_id, err = _entry_id(row.get("_id"), "r", row_label(item, n))
        if err:
            return None, err
        clean = {"_id": row_id}
        for child in item.children:
            if child.id in row:
                v, err = clean_value(child, row[child.id], label=f"{row_label(item, n)}の{child.label}")
                if err:
                    return None, err
                clean[child.id] = v
        unknown = [k for k in row if k != "_id" and k not in {c.id for c in item.children}]
        if unknown:
            return None, f"{label}に様式にない項目「{unknown[0][:40]}」があります。"
        rows.append(clean)
    return rows, None


def _figures(value: Any, label: str) -> tuple[Any, str | None]:
    """A list of figures: each refers to a stored image by its sha256 and has an optional one-line caption."""
    if value == "":
        return [], None
    if not isinstance(value, list):
        return None, f"{label}は画像ファイルで添付してください。"
    if len(value) > MAX_FIGURES:
        return None, f"{label}の図は{MAX_FIGURES}枚までです。"
    out = []
    for n, entry in enumerate(value, 1):
        if not isinstance(entry, Mapping):
            return None, f"{label}の図{n}の値が不正です。"
        unknown = [k for k in entry if k not in ("id", "sha", "caption")]
        if unknown:
            return None, f"{label}の図{n}に不明な項目「{str(unknown[0])[:40]}」があります。"
        fid, err = _entry_id(entry.get("id"), "g", f"{label}の図{n}")
        if err:
            return None, err
        sha = entry.get("sha")
        if not isinstance(sha, str) or not SHA.fullmatch(sha):
            return None, f"{label}の図{n}の画像が指定されていません(画像を添付し直してください)。"
        caption = entry.get("caption", "")
        if not isinstance(caption, str):
            return None, f"{label}の図{n}の表題の値が不正です。"
        caption = " ".join(normalise_newlines(caption).split("\n")).strip()
        problem = text_problem(caption, label=f"{label}の図{n}の表題", max_len=CAPTION_MAX)
        if problem:
            return None, problem
        out.append({"id": fid, "sha": sha, "caption": caption})
    return out, None


def _entry_id(raw: Any, prefix: str, label: str) -> tuple[str, str | None]:
    """The id of a measure or a row: a new one when missing, refused when it is not like the ids we make."""
    if raw is None or raw == "":
        return new_id(prefix), None
    text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not ENTRY_ID.fullmatch(text):
        return "", f"{label}の識別子が不正です(画面を再読み込みしてから入力し直してください)。"
    return text, None


def row_label(group: Item, n: int) -> str:
    return (group.row_label or f"{group.label}{{n}}").replace("{n}", str(n))


# ------------------------------------------------------------------ skip rules

def holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    if cond.any is not None:
        return any(holds(c, values) for c in cond.any)
    if cond.all is not None:
        return all(holds(c, values) for c in cond.all)
    if cond.not_ is not None:
        return not holds(cond.not_, values)
    v = values.get(cond.item)
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


def field_name(kind: str, *parts: str) -> str:
    return "|".join((kind, *parts))


def dom_id(name: str) -> str:
    """An HTML id for a field name (| and . are awkward in CSS selectors)."""
    return "f-" + name.replace("|", "--").replace(".", "_")


def parse_page(page: Page, form: Mapping[str, list[str]]) -> ParsedPage:
    """Turn posted fields (name -> list of values) into clean values for every answerable item on the page."""
    out = ParsedPage()
    for item in page.walk():
        if not item.answerable or item.readonly or field_name("p", item.id) not in form:
            continue  # only items the page actually showed are read: nothing else is touched
        raw = _raw(item, item.id, form)
        value, err = clean_value(item, raw)
        if err:
            out.errors[field_name("a", item.id)] = err
        else:
            out.values[item.id] = value
        w = form.get(field_name("w", item.id))
        if w is not None or field_name("wr", item.id) in form:
            reason = (form.get(field_name("wr", item.id)) or [""])[0]
            out.withheld[item.id] = (bool(w and w[0]), reason)
            problem = text_problem(reason, label="非公表の理由", max_len=1000)
            if problem:
                out.errors[field_name("wr", item.id)] = problem
        if item.type == "judgement":
            act = {k: (form.get(field_name("act", item.id, k)) or [""])[0] for k in ("content", "owner", "due")}
            if any(act.values()) or field_name("act", item.id, "content") in form:
                out.actions[item.id] = act
    return out


def _raw(item: Item, key: str, form: Mapping[str, list[str]]) -> Any:
    t = item.type
    if t == "multi":
        return list(form.get(field_name("a", key), []))
    if t == "multi_text":
        checked = list(form.get(field_name("a", key), []))
        texts = {}
        for i, choice in enumerate(item.choices):
            if choice.text:
                texts[choice.label] = (form.get(field_name("t", key, str(i))) or [""])[0]
        return {"checked": checked, "texts": texts}
    if t == "measures":
        out = {}
        for aud in AUDIENCES:
            texts = form.get(field_name("m", key, aud), [])
            ids = form.get(field_name("mi", key, aud), [])
            out[aud] = [{"id": ids[i] if i < len(ids) else new_id("m"), "text": text} for i, text in enumerate(texts)]
        return out
    if t == "figure":
        ids, shas = form.get(field_name("gi", key), []), form.get(field_name("gs", key), [])
        captions = form.get(field_name("gc", key), [])
        return [{"id": fid, "sha": shas[i] if i < len(shas) else "", "caption": captions[i] if i < len(captions) else ""}
                for i, fid in enumerate(ids)]
    if t == "group":
        rows = []
        for row_id in form.get(field_name("r", key), []):
            row = {"_id": row_id}
            for child in item.children:
                v = _raw(child, f"{key}|{row_id}|{child.id}", form)
                if v is not None:
                    row[child.id] = v
            rows.append(row)
        return rows
    values = form.get(field_name("a", key))
    if values is None:
        return None
    return values[0] if values else ""


# ------------------------------------------------------------------ editor operations

class BadOperation(ValueError):
    pass


def apply_op(d: Definition, values: dict[str, Any], op: str, *, library_text: str | None = None,
             figure: dict[str, str] | None = None) -> str | None:
    """Apply an editor button to `values` in place; return the item id to scroll to.

    `figure` is the uploaded picture for `figadd|item` ({"sha", "caption"}), stored by the caller beforehand."""
    parts = op.split("|")
    kind = parts[0]
    try:
        if kind in ("figadd", "figdel", "figup", "figdown"):
            item_id = parts[1]
            if d.item(item_id).type != "figure":
                raise BadOperation(op)
            current = values.get(item_id)
            lst = list(current) if isinstance(current, list) else []
            if kind == "figadd":
                if figure is None or len(lst) >= MAX_FIGURES:
                    raise BadOperation(op)
                lst.append({"id": new_id("g"), "sha": figure["sha"], "caption": figure.get("caption", "")})
            else:
                idx = int(parts[2])
                if not 0 <= idx < len(lst):
                    raise BadOperation(op)
                if kind == "figdel":
                    lst.pop(idx)
                elif kind == "figup" and idx > 0:
                    lst[idx - 1], lst[idx] = lst[idx], lst[idx - 1]
                elif kind == "figdown" and idx < len(lst) - 1:
                    lst[idx + 1], lst[idx] = lst[idx], lst[idx + 1]
            values[item_id] = lst
            return item_id
        if kind in ("add", "del", "move", "up", "down", "lib"):
            item_id, aud = parts[1], parts[2]
            if d.item(item_id).type != "measures" or aud not in AUDIENCES:
                raise BadOperation(op)
            m = values.get(item_id) or {}
            m = {a: list(m.get(a, [])) for a in AUDIENCES}
            lst = m[aud]
            if kind == "add":
                lst.append({"id": new_id("m"), "text": ""})
            elif kind == "lib":
                if library_text is None:
                    raise BadOperation(op)
                lst.append({"id": new_id("m"), "text": library_text})
            else:
                idx = int(parts[3])
                if not 0 <= idx < len(lst):
                    raise BadOperation(op)
                if kind == "del":
                    lst.pop(idx)
                elif kind == "move":
                    # move|item|aud|idx|to; without `to`, between the two people-facing lists as before
                    other = parts[4] if len(parts) > 4 else ("staff" if aud == "external" else "external")
                    if other not in AUDIENCES or other == aud:
                        raise BadOperation(op)
                    m[other].append(lst.pop(idx))
                elif kind == "up" and idx > 0:
                    lst[idx - 1], lst[idx] = lst[idx], lst[idx - 1]
                elif kind == "down" and idx < len(lst) - 1:
                    lst[idx + 1], lst[idx] = lst[idx], lst[idx + 1]
            if len(lst) > MAX_MEASURES:
                raise BadOperation(op)
            values[item_id] = m
            return item_id
        if kind in ("addrow", "delrow", "rowup", "rowdown"):
            group_id = parts[1]
            group = d.item(group_id)
            if group.type != "group":
                raise BadOperation(op)
            rows = list(values.get(group_id) or [])
            if kind == "addrow":
                if len(rows) >= group.max_rows:
                    raise BadOperation(op)
                rows.append({"_id": new_id("r")})
            else:
                idx = next((i for i, r in enumerate(rows) if r.get("_id") == parts[2]), None)
                if idx is None:
                    raise BadOperation(op)
                if kind == "delrow":
                    rows.pop(idx)
                elif kind == "rowup" and idx > 0:
                    rows[idx - 1], rows[idx] = rows[idx], rows[idx - 1]
                elif kind == "rowdown" and idx < len(rows) - 1:
                    rows[idx + 1], rows[idx] = rows[idx], rows[idx + 1]
            values[group_id] = rows
            return group_id
    except (IndexError, KeyError, ValueError) as exc:
        raise BadOperation(op) from exc
    raise BadOperation(op)
