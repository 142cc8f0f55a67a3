"""How each answer type prints in the 評価書 (Word/PDF), the official way: choices in brackets with the list of
choices, check boxes, measures under their audience, figures at page width. One printer per answer type
(app/domain/answer_types.TYPES has the same keys; tests/domain/test_answer_types.py keeps them in step)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from app.domain.answer_types import empty, measure_texts
from app.domain.forms import AUDIENCES, Item
from app.domain.text import strip_unsafe
from app.domain.wareki import wareki
from app.export.layout import CELL_PADDING_MM
from app.export.model import Para, Picture, Run

DASH = "-"
CHOICES_PREFIX = "<選択肢> "
LABEL_MM, ANSWER_MM = 52.0, 118.0
PAGE_MM = LABEL_MM + ANSWER_MM   # the text width of an A4 page with 20 mm margins


@dataclass(frozen=True)
class PrintSettings:
    """What an answer's printing depends on besides the value: the organisation's settings and stored pictures."""

    measure_headings: bool = True
    measure_numbering: Literal["dot", "number"] = "dot"
    figures: dict[str, tuple[bytes, int, int]] = field(default_factory=dict)  # sha -> (PNG, width px, height px)


Printer = Callable[[Item, Any, PrintSettings], list[Para]]


def lines(text: str) -> list[Para]:
    text = strip_unsafe(text)
    return [Para.of(line) for line in text.split("\n")] or [Para.of(DASH)]


def _plain(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    return lines(str(value))


def _choice(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    listing = " ".join(f"{n}) {c}" for n, c in enumerate(item.choice_labels, 1))
    return [Para.of(f"[ {strip_unsafe(str(value))} ]"), Para.of(f"{CHOICES_PREFIX}{listing}")]


def _multi(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    value = value or []
    return [Para.of("　".join(f"[{'○' if c in value else ' '}] {c}" for c in item.choice_labels))]


def _multi_text(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    value = value or {"checked": [], "texts": {}}
    parts = []
    for c in item.choices:
        mark = "○" if c.label in value.get("checked", []) else " "
        text = value.get("texts", {}).get(c.label, "")
        parts.append(f"[{mark}] {c.label}" + (f" ( {strip_unsafe(text)} )" if c.text and text else ""))
    return [Para.of("　".join(parts))]


def _date(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    try:
        return [Para.of(wareki(date.fromisoformat(str(value))))]
    except ValueError:
        return [Para.of(strip_unsafe(str(value)))]


def _number(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    return [Para.of(f"{value}{item.unit}")]


def measures(value: Any, *, headings: bool = True, numbering: str = "dot") -> list[Para]:
    """Measures as a person prints them: only the audiences that have measures, each under its 【heading】 (or,
    with headings off, one list); every measure a plain 「・」 (or 「1.」) line — no Word list style — with its
    further lines indented; nothing at all → a single 「-」."""
    groups: list[tuple[str | None, list[str]]] = [
        (AUDIENCES[aud], [t for t in (strip_unsafe(x).strip() for x in texts) if t])
        for aud, texts in measure_texts(value).items()]
    groups = [(heading, texts) for heading, texts in groups if texts]
    if not groups:
        return [Para.of(DASH)]
    if not headings:
        groups = [(None, [t for _, texts in groups for t in texts])]
    out: list[Para] = []
    for heading, texts in groups:
        if heading:
            out.append(Para([Run(f"【{heading}】", True)]))
        for n, text in enumerate(texts, 1):
            first, *rest = text.split("\n")
            out.append(Para.of((f"{n}. " if numbering == "number" else "・") + first))
            out.extend(Para.of("\u3000" + line) for line in rest)
    return out


def _measures(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    return measures(value or {}, headings=s.measure_headings, numbering=s.measure_numbering)


def figures(stored: dict[str, tuple[bytes, int, int]], value: list) -> list[Para]:
    """Each figure at the width of the page's text, centred, with 「図n 表題」 under it; nothing → 「-」."""
    out: list[Para] = []
    for n, f in enumerate(value, 1):
        caption = f"図{n} {strip_unsafe(str(f.get('caption') or ''))}".rstrip()
        blob = stored.get(f.get("sha"))
        if blob is None:  # the picture is missing from the database: say so rather than print nothing
            out.append(Para.of(f"(図{n}の画像がありません)", align="center"))
        else:
            data, w, h = blob
            out.append(Para([], align="center", keep_with_next=True,
                            picture=Picture(data, w, h, PAGE_MM - CELL_PADDING_MM - 2, alt=caption)))
        out.append(Para.of(caption, align="center"))
    return out or [Para.of(DASH)]


def _figures(item: Item, value: Any, s: PrintSettings) -> list[Para]:
    if not isinstance(value, list):  # a frozen version's old text reference prints as it was
        return lines(str(value))
    return figures(s.figures, value)


PRINTERS: dict[str, Printer] = {
    "text": _plain, "longtext": _plain, "ref": _plain, "choice": _choice, "judgement": _choice, "multi": _multi,
    "multi_text": _multi_text, "date": _date, "number": _number, "measures": _measures, "figure": _figures,
    # a group prints its entries row by row (assessment_doc._entries / _list_table); as one answer, its text
    "group": _plain,
}
# types that print an empty check-box list rather than 「-」 when nothing is chosen, and measures their own 「-」
PRINTS_EMPTY = {"multi", "multi_text", "measures"}


def answer(item: Item, value: Any, settings: PrintSettings) -> list[Para]:
    """How one answer prints."""
    if item.type not in PRINTS_EMPTY and (value is None or empty(item, value)):
        return [Para.of(DASH)]
    return PRINTERS[item.type](item, value, settings)
