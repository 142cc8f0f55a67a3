"""One home per answer type (pure): how a value is read from a posted editor page, cleaned, judged empty, written
as text, compared, and changed by the editor's buttons.

`TYPES` maps every answerable item type of the forms to its `AnswerType`. The rest of the code asks the type:
app/domain/answers.py (clean_value, empty, parse_page, apply_op), app/domain/answer_text.py, app/domain/changes.py,
app/export/answer_print.py (how each type prints in Word) and templates/macros/items.html (the editor macro named by
`macro`). Adding a type is one class here, one printer there and one macro. Field and operation names come from
app/domain/fields.py.

Value shapes:
  text / longtext / ref / choice / judgement: str      date: "YYYY-MM-DD"      number: int
  multi: list[str]            multi_text: {"checked": [label], "texts": {label: str}}
  measures: MeasuresValue     {"external": [Measure], "staff": [Measure], "system": [Measure]}
  group: [{"_id": row id, <child id>: value, ...}]
  figure: [FigureEntry]       (a frozen version saved before the item became a figure may still hold its old text:
                              printed as it was)
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, TypeVar

from app.domain import fields as F
from app.domain.forms import AUDIENCES, Item
from app.domain.text import LONG_MAX, SHORT_MAX, normalise_newlines, text_problem
from app.domain.wareki import BadDate, parse_date

T = TypeVar("T")

MAX_MEASURES = 100
MEASURE_MAX = 4_000
MAX_FIGURES = 10
CAPTION_MAX = 200
SHA = re.compile(r"[0-9a-f]{64}")
# Ids of measures, group rows and figures are made by new_id(); a posted or imported id must look like one (it is
# used in editor operations split on "|", and must survive XML and PostgreSQL unchanged).
ENTRY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,32}")

Form = Mapping[str, list[str]]
Result = tuple[Any, str | None]


class Measure(TypedDict):
    id: str
    text: str


class MeasuresValue(TypedDict, total=False):
    external: list[Measure]
    staff: list[Measure]
    system: list[Measure]


class FigureEntry(TypedDict):
    id: str
    sha: str        # sha256 of the stored PNG (FigureBlob)
    caption: str


class BadOperation(ValueError):
    pass


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(5)


def entry_id(raw: Any, prefix: str, label: str) -> tuple[str, str | None]:
    """The id of a measure, a row or a figure: a new one when missing, refused when it is not like the ids we make."""
    if raw is None or raw == "":
        return new_id(prefix), None
    text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not ENTRY_ID.fullmatch(text):
        return "", f"{label}の識別子が不正です(画面を再読み込みしてから入力し直してください)。"
    return text, None


def row_label(group: Item, n: int) -> str:
    return (group.row_label or f"{group.label}{{n}}").replace("{n}", str(n))


def clean_text(value: Any, label: str, max_len: int) -> Result:
    if not isinstance(value, str):
        return None, f"{label}の値が不正です。"
    value = normalise_newlines(value)
    problem = text_problem(value, label=label, max_len=max_len)
    return (None, problem) if problem else (value, None)


def reorder(entries: Sequence[T], idx: int, how: str) -> list[T]:
    """The list with entry `idx` deleted or moved one place up / down (at either end it stays): the measures', rows'
    and figures' buttons."""
    out = list(entries)
    if how == "delete":
        out.pop(idx)
    elif how == "up" and idx > 0:
        out[idx - 1], out[idx] = out[idx], out[idx - 1]
    elif how == "down" and idx < len(out) - 1:
        out[idx + 1], out[idx] = out[idx], out[idx + 1]
    return out


# ------------------------------------------------------------------ the types

@dataclass(frozen=True)
class AnswerType:
    """Defaults are those of a single text value posted as `a|<key>`."""

    name: str
    macro: ClassVar[str] = "text_control"  # the editor macro (templates/macros/items.html)
    grouped: ClassVar[bool] = False     # the label names a group of controls (fieldset / role=group), not one control
    ops: ClassVar[tuple[str, ...]] = ()  # the editor operations this type owns (app/domain/fields.py)
    improvement_action: ClassVar[bool] = False  # a choice that can ask for an improvement action (judgement)
    one_line: ClassVar[bool] = False  # a short text on one line (a group's name prints beside 「委託事項1」)
    boxed: ClassVar[bool] = False  # a long text (on the cover, the 宣言 and 特記事項 print as boxes)
    holds_pictures: ClassVar[bool] = False  # its value refers to stored pictures (FigureBlob) by their sha
    holds_measures: ClassVar[bool] = False  # its value is risk measures by audience (the yearly 見直し asks of each)
    same_text_note: ClassVar[str] = ""  # added to a 変更箇所 whose texts read the same although the values differ

    def empty(self, item: Item, value: Any) -> bool:
        return value is None or str(value).strip() == ""

    def clean(self, item: Item, value: Any, label: str) -> Result:
        return clean_text(value, label, item.max_length or SHORT_MAX)

    def raw(self, item: Item, key: str, form: Form) -> Any:
        """The value as posted (not yet cleaned); None when the page did not post it."""
        values = form.get(F.name(F.ANSWER, key))
        if values is None:
            return None
        return values[0] if values else ""

    def text(self, item: Item, value: Any, empty: str) -> str:
        return str(value)

    def same(self, before: Any, after: Any) -> bool:
        """Whether two non-empty values say the same thing (a 変更箇所 is written when they do not)."""
        return bool(before == after)

    def apply(self, item: Item, value: Any, op: F.Op, extra: dict[str, Any]) -> Any:
        """The value after one of this type's editor operations; BadOperation when it cannot be applied."""
        raise BadOperation(op.kind)


class Text(AnswerType):
    one_line = True


class LongText(AnswerType):
    macro = "longtext_control"
    boxed = True
    def clean(self, item: Item, value: Any, label: str) -> Result:
        return clean_text(value, label, item.max_length or LONG_MAX)


class Ref(AnswerType):
    def clean(self, item: Item, value: Any, label: str) -> Result:
        return clean_text(value, label, 2000)


class Choice(AnswerType):
    macro = "choice_control"
    grouped = True

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if not isinstance(value, str):
            return None, f"{label}の値が不正です。"
        if value == "":
            return "", None
        if value not in item.choice_labels:
            return None, f"{label}の選択肢「{value[:40]}」は様式にありません。"
        return value, None


class Judgement(Choice):
    """リスクへの対策は十分か: a choice whose 「課題が残されている」 asks for an improvement action."""

    improvement_action = True


class Date(AnswerType):
    macro = "date_control"
    def clean(self, item: Item, value: Any, label: str) -> Result:
        if value == "":
            return "", None
        try:
            return parse_date(str(value), label=label).isoformat(), None
        except BadDate as exc:
            return None, str(exc)


class Number(AnswerType):
    macro = "number_control"
    def empty(self, item: Item, value: Any) -> bool:
        return value == "" or value is None

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if value == "" or value is None:
            return "", None
        if isinstance(value, bool):
            return None, f"{label}は整数で入力してください。"
        import unicodedata

        text = unicodedata.normalize("NFKC", str(value).strip().replace(",", ""))
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

    def text(self, item: Item, value: Any, empty: str) -> str:
        return f"{value}{item.unit}"


class Multi(AnswerType):
    macro = "multi_control"
    grouped = True

    def empty(self, item: Item, value: Any) -> bool:
        return not value

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"{label}の値が不正です。"
        unknown = [v for v in value if v not in item.choice_labels]
        if unknown:
            return None, f"{label}の選択肢「{unknown[0][:40]}」は様式にありません。"
        return [c for c in item.choice_labels if c in value], None

    def raw(self, item: Item, key: str, form: Form) -> Any:
        return list(form.get(F.name(F.ANSWER, key), []))

    def text(self, item: Item, value: Any, empty: str) -> str:
        return "、".join(value) or empty


class MultiText(AnswerType):
    macro = "multi_control"
    grouped = True

    def empty(self, item: Item, value: Any) -> bool:
        return value is None or not value.get("checked")

    def clean(self, item: Item, value: Any, label: str) -> Result:
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
                text, err = clean_text(raw, f"{label}({choice.label})", SHORT_MAX)
                if err:
                    return None, err
                clean_texts[choice.label] = text
        return {"checked": [c for c in item.choice_labels if c in checked], "texts": clean_texts}, None

    def raw(self, item: Item, key: str, form: Form) -> Any:
        checked = list(form.get(F.name(F.ANSWER, key), []))
        texts = {}
        for i, choice in enumerate(item.choices):
            if choice.text:
                texts[choice.label] = (form.get(F.name(F.CHOICE_TEXT, key, i)) or [""])[0]
        return {"checked": checked, "texts": texts}

    def text(self, item: Item, value: Any, empty: str) -> str:
        parts = []
        for label in value.get("checked", []):
            text = value.get("texts", {}).get(label, "")
            parts.append(f"{label}({text})" if text else label)
        return "、".join(parts) or empty


def measure_texts(value: Any) -> dict[str, list[str]]:
    """The non-empty measure texts of each audience, stripped, in order (what is printed and compared)."""
    value = value if isinstance(value, Mapping) else {}
    return {aud: [t for t in (str(m.get("text", "")).strip() for m in value.get(aud, []) if isinstance(m, Mapping))
                  if t] for aud in AUDIENCES}


def measures_text(value: Any) -> str:
    """The audiences that have measures, each under its 【heading】, one 「・」 line per measure; "" when none."""
    lines = []
    for aud, texts in measure_texts(value).items():
        if texts:
            lines.append(f"【{AUDIENCES[aud]}】")
            lines.extend(f"・{t}" for t in texts)
    return "\n".join(lines)


class Measures(AnswerType):
    """Risk measures in three lists by whom they are aimed at (AUDIENCES)."""

    macro = "measures"
    grouped = True
    ops = F.MEASURE_OPS
    holds_measures = True

    def empty(self, item: Item, value: Any) -> bool:
        # not any(measure_texts(value).values()), stopping at the first measure with text (issue 18)
        if value is None or not isinstance(value, Mapping):
            return True
        return not any(str(m.get("text", "")).strip() for aud in AUDIENCES for m in value.get(aud, [])
                       if isinstance(m, Mapping))

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if not isinstance(value, Mapping):
            return None, f"{label}の値が不正です。"
        out: MeasuresValue = {}
        for aud, aud_label in AUDIENCES.items():
            entries = value.get(aud, [])
            if not isinstance(entries, list):
                return None, f"{label}({aud_label})の値が不正です。"
            if len(entries) > MAX_MEASURES:
                return None, f"{label}({aud_label})の措置は{MAX_MEASURES}件までです。"
            clean: list[Measure] = []
            for n, m in enumerate(entries, 1):
                if not isinstance(m, Mapping) or not isinstance(m.get("text", ""), str):
                    return None, f"{label}({aud_label})の値が不正です。"
                text, err = clean_text(m.get("text", ""), f"{label}({aud_label})の措置{n}", MEASURE_MAX)
                if err:
                    return None, err
                mid, err = entry_id(m.get("id"), "m", f"{label}({aud_label})の措置{n}")
                if err:
                    return None, err
                clean.append({"id": mid, "text": text})
            out[aud] = clean  # type: ignore[literal-required]
        return out, None

    def raw(self, item: Item, key: str, form: Form) -> Any:
        out = {}
        for aud in AUDIENCES:
            texts = form.get(F.name(F.MEASURE, key, aud), [])
            ids = form.get(F.name(F.MEASURE_ID, key, aud), [])
            out[aud] = [{"id": ids[i] if i < len(ids) else new_id("m"), "text": text} for i, text in enumerate(texts)]
        return out

    def text(self, item: Item, value: Any, empty: str) -> str:
        return measures_text(value) or empty

    def same(self, before: Any, after: Any) -> bool:
        return measure_texts(before) == measure_texts(after)  # ids and blank entries are not changes

    def apply(self, item: Item, value: Any, op: F.Op, extra: dict[str, Any]) -> Any:
        """add (item, audience), lib (item, audience, library id), del / up / down (item, audience, index), move (item,
        audience, index[, to audience])."""
        aud = op.args[0] if op.args else ""
        if aud not in AUDIENCES:
            raise BadOperation(op.kind)
        value = value if isinstance(value, Mapping) else {}
        m = {a: list(value.get(a, [])) for a in AUDIENCES}
        lst = m[aud]
        if op.kind == "add":
            lst.append({"id": new_id("m"), "text": ""})
        elif op.kind == "lib":
            if extra.get("library_text") is None:
                raise BadOperation(op.kind)
            lst.append({"id": new_id("m"), "text": extra["library_text"]})
        else:
            idx = op.index(1)
            if not 0 <= idx < len(lst):
                raise BadOperation(op.kind)
            if op.kind == "move":
                # move|item|aud|idx|to; without `to`, between the two people-facing lists as before
                other = op.args[2] if len(op.args) > 2 else ("staff" if aud == "external" else "external")
                if other not in AUDIENCES or other == aud:
                    raise BadOperation(op.kind)
                m[other].append(lst.pop(idx))
            else:
                m[aud] = lst = reorder(lst, idx, {"del": "delete", "up": "up", "down": "down"}[op.kind])
        if len(lst) > MAX_MEASURES:
            raise BadOperation(op.kind)
        return m


class Group(AnswerType):
    """A repeating group (systems, 委託事項, 提供先, 記録項目): rows of the children's values."""

    macro = "group"
    grouped = True
    ops = F.ROW_OPS

    def empty(self, item: Item, value: Any) -> bool:
        return not value

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if not isinstance(value, list):
            return None, f"{label}の値が不正です。"
        if len(value) > item.max_rows:
            return None, f"{label}は{item.max_rows}件までです。"
        rows = []
        for n, row in enumerate(value, 1):
            if not isinstance(row, Mapping):
                return None, f"{label}の値が不正です。"
            row_id, err = entry_id(row.get("_id"), "r", row_label(item, n))
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

    def raw(self, item: Item, key: str, form: Form) -> Any:
        rows = []
        for row_id in form.get(F.name(F.ROW, key), []):
            row = {"_id": row_id}
            for child in item.children:
                v = of(child).raw(child, F.key(key, row_id, child.id), form)
                if v is not None:
                    row[child.id] = v
            rows.append(row)
        return rows

    def text(self, item: Item, value: Any, empty: str) -> str:
        lines = []
        for n, row in enumerate(value, 1):
            lines.append(f"【{row_label(item, n)}】")
            for child in item.children:
                v = answer_text(child, row.get(child.id), empty="-")
                lines.append(f"{child.number}{child.label}: {v}")
        return "\n".join(lines) or empty

    def apply(self, item: Item, value: Any, op: F.Op, extra: dict[str, Any]) -> Any:
        """addrow (group), delrow / rowup / rowdown (group, row id)."""
        rows = list(value or [])
        if op.kind == "addrow":
            if len(rows) >= item.max_rows:
                raise BadOperation(op.kind)
            rows.append({"_id": new_id("r")})
            return rows
        idx = next((i for i, r in enumerate(rows) if op.args and r.get("_id") == op.args[0]), None)
        if idx is None:
            raise BadOperation(op.kind)
        return reorder(rows, idx, {"delrow": "delete", "rowup": "up", "rowdown": "down"}[op.kind])


def figures_text(value: Any) -> str:
    """One line per figure, 「図1 表題」; a frozen version's old text reference prints as it was."""
    if not isinstance(value, list):
        return str(value or "")
    return "\n".join(f"図{n} {f.get('caption') or '(表題なし)'}" for n, f in enumerate(value, 1) if isinstance(f, dict))


class Figure(AnswerType):
    """Pictures with captions ((別添1) 事務の内容の図); the images themselves are stored once by content."""

    macro = "figures"
    grouped = True
    ops = F.FIGURE_OPS
    holds_pictures = True
    same_text_note = "(図を差し替え)"

    def empty(self, item: Item, value: Any) -> bool:
        return value is None or (not value if isinstance(value, list) else str(value).strip() == "")

    def clean(self, item: Item, value: Any, label: str) -> Result:
        if value == "":
            return [], None
        if not isinstance(value, list):
            return None, f"{label}は画像ファイルで添付してください。"
        if len(value) > MAX_FIGURES:
            return None, f"{label}の図は{MAX_FIGURES}枚までです。"
        out: list[FigureEntry] = []
        for n, entry in enumerate(value, 1):
            if not isinstance(entry, Mapping):
                return None, f"{label}の図{n}の値が不正です。"
            unknown = [k for k in entry if k not in ("id", "sha", "caption")]
            if unknown:
                return None, f"{label}の図{n}に不明な項目「{str(unknown[0])[:40]}」があります。"
            fid, err = entry_id(entry.get("id"), "g", f"{label}の図{n}")
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

    def raw(self, item: Item, key: str, form: Form) -> Any:
        ids, shas = form.get(F.name(F.FIGURE_ID, key), []), form.get(F.name(F.FIGURE_SHA, key), [])
        captions = form.get(F.name(F.FIGURE_CAPTION, key), [])
        return [{"id": fid, "sha": shas[i] if i < len(shas) else "", "caption": captions[i] if i < len(captions) else ""}
                for i, fid in enumerate(ids)]

    def text(self, item: Item, value: Any, empty: str) -> str:
        return figures_text(value) or empty

    def same(self, before: Any, after: Any) -> bool:
        if isinstance(before, list) and isinstance(after, list):  # entry ids are not changes
            return [(f.get("sha"), f.get("caption")) for f in before] == [(f.get("sha"), f.get("caption")) for f in after]
        return bool(before == after)

    def apply(self, item: Item, value: Any, op: F.Op, extra: dict[str, Any]) -> Any:
        """figadd (item; the picture already stored: extra["figure"] = {"sha", "caption"}), figdel / figup / figdown
        (item, index)."""
        lst = list(value) if isinstance(value, list) else []
        if op.kind == "figadd":
            figure = extra.get("figure")
            if figure is None or len(lst) >= MAX_FIGURES:
                raise BadOperation(op.kind)
            lst.append({"id": new_id("g"), "sha": figure["sha"], "caption": figure.get("caption", "")})
            return lst
        idx = op.index(0)
        if not 0 <= idx < len(lst):
            raise BadOperation(op.kind)
        return reorder(lst, idx, {"figdel": "delete", "figup": "up", "figdown": "down"}[op.kind])


TYPES: dict[str, AnswerType] = {
    "text": Text("text"), "longtext": LongText("longtext"), "ref": Ref("ref"),
    "choice": Choice("choice"), "judgement": Judgement("judgement"),
    "multi": Multi("multi"), "multi_text": MultiText("multi_text"),
    "date": Date("date"), "number": Number("number"),
    "measures": Measures("measures"), "group": Group("group"), "figure": Figure("figure"),
}
# which type owns each editor operation
OP_OWNER: dict[str, str] = {kind: name for name, t in TYPES.items() for kind in t.ops}


def of(item: Item) -> AnswerType:
    """The answer type of an item (KeyError for headings and fixed text, which hold no answer)."""
    return TYPES[item.type]


def asks_for_action(item: Item) -> bool:
    """A judgement: 「課題が残されている」 asks for an improvement action."""
    return item.type in TYPES and TYPES[item.type].improvement_action


def one_line(item: Item) -> bool:
    return item.type in TYPES and TYPES[item.type].one_line


def boxed(item: Item) -> bool:
    return item.type in TYPES and TYPES[item.type].boxed


def holds_pictures(item: Item) -> bool:
    return item.type in TYPES and TYPES[item.type].holds_pictures


def holds_measures(item: Item) -> bool:
    return item.type in TYPES and TYPES[item.type].holds_measures


# ------------------------------------------------------------------ the entry points used everywhere

def empty(item: Item, value: Any) -> bool:
    if value is None:
        return True
    t = TYPES.get(item.type)
    return True if t is None else t.empty(item, value)


def clean_value(item: Item, value: Any, *, label: str | None = None) -> Result:
    """Normalise `value` for `item`; return (clean value, Japanese error or None). Used for posted and imported data."""
    label = label or (item.label or item.id)
    if value is None:
        return None, None
    t = TYPES.get(item.type)
    if t is None:
        return None, f"{label}には値を入力できません。"
    return t.clean(item, value, label)


def answer_text(item: Item, value: Any, *, empty: str = "") -> str:
    """Plain text of an answer (conflict view, 変更箇所, other documents)."""
    if value is None or value == "" or value == [] or value == {}:
        return empty
    t = TYPES.get(item.type)
    return str(value) if t is None else t.text(item, value, empty)

