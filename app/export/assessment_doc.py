"""The 評価書 as a document model, walking the form definition (no item is hard-coded). Pure.

Editions: draft (案, for public comment — published, so 非公表 items are withheld too), full (提出用),
public (公表用: 非公表 items print 「(非公表)」).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from app.domain.answers import empty, row_label, skip_reason
from app.domain.forms import AUDIENCES, FORM_LABEL, Definition, Item, Section
from app.domain.text import strip_unsafe
from app.domain.wareki import wareki
from app.export.model import Cell, ExportDoc, PageBreak, Para, Run, Table

Edition = Literal["draft", "full", "public"]
EDITION_LABEL = {"draft": "案", "full": "提出用", "public": "公表用"}
from app.domain.redaction import WITHHELD  # noqa: E402,F401 - the one 非公表 convention
DASH = "-"
LEGEND = "※ 重要な変更の対象である記載項目"
CHANGE_COLUMNS = ("変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明")
LABEL_MM, ANSWER_MM = 52.0, 118.0


@dataclass
class ChangeRowData:
    changed_on: date | None
    item: str
    before: str
    after: str
    timing: str
    timing_note: str


@dataclass
class Bundle:
    """Everything one export needs, already loaded (see app/services/exports.py)."""

    definition: Definition
    label: str
    org_name: str
    jimu_name: str
    jimu_ended_on: date | None
    files: list[tuple[str, str]]                      # (uid, name) in order
    values: dict[str, dict[str, Any]]                 # {uid or '': {item: value}}
    withheld: dict[str, dict[str, str]] = field(default_factory=dict)   # {uid: {item: reason}}
    changes: list[ChangeRowData] = field(default_factory=list)
    published_on: date | None = None
    approved_on: date | None = None
    custom_json: str | None = None


def title_of(b: Bundle, edition: Edition = "full") -> str:
    """評価書名 as printed: the cover answer, with 【令和○年○月○日 終了】 once the 事務 has ended.

    A 評価書名 marked 非公表 is not used in the published editions (案・公表用): the default name is printed instead.
    """
    hidden = edition in ("public", "draft") and "cover.name" in b.withheld.get("", {})
    name = (None if hidden else b.values.get("", {}).get("cover.name")) or f"{b.jimu_name} {FORM_LABEL[b.definition.form]}"
    name = strip_unsafe(str(name))
    if b.jimu_ended_on and "終了】" not in name:
        name += f"【{wareki(b.jimu_ended_on)} 終了】"
    return name


def build(b: Bundle, edition: Edition) -> ExportDoc:
    d = b.definition
    name = title_of(b, edition)
    draft = edition == "draft"
    header = f"{name}(案)" if draft else name
    doc = ExportDoc(title=header, header_text=("【案】 " if draft else "") + header, subject=d.manifest.title,
                    author=b.org_name, custom_json=b.custom_json)
    ctx = _Ctx(b, edition)
    doc.blocks.extend(_cover(ctx, name))
    body = [s for s in d.sections if s.kind != "cover"]
    if d.manifest.item_list:
        doc.blocks.append(PageBreak())
        doc.blocks.append(Para.of("項目一覧", "Heading 1"))
        for s in body:
            if s.toc:
                doc.blocks.append(Para.of(s.heading.replace(s.heading_note, "").strip() if s.heading_note else s.heading))
        doc.blocks.append(Para.of(""))
        doc.blocks.append(Para.of(LEGEND))
    else:
        doc.blocks.append(Para.of(LEGEND))
    for s in body:
        doc.blocks.append(PageBreak())
        doc.blocks.extend(_section(ctx, s))
    return doc


class _Ctx:
    def __init__(self, b: Bundle, edition: Edition):
        self.b, self.edition, self.d = b, edition, b.definition

    def value(self, uid: str, item: Item) -> Any:
        if item.prefill == "version.published_on":
            return None if self.edition == "draft" else _iso(self.b.published_on)
        if item.prefill == "version.approved_on":
            return _iso(self.b.approved_on)
        return self.b.values.get(uid, {}).get(item.id)

    def withheld(self, uid: str, item_id: str) -> bool:
        return self.edition in ("public", "draft") and item_id in self.b.withheld.get(uid, {})


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _cover(ctx: _Ctx, name: str) -> list:
    d = ctx.d
    title = d.manifest.title + ("(案)" if ctx.edition == "draft" else "")
    blocks: list = [Para([Run(title, True)], "Title", align="center")]
    rows = []
    for item in d.section("cover").items:
        if not item.answerable:
            continue
        if item.id == "cover.name" or item.prefill == "jimu.title":
            cells = [Para.of(name)]
        elif ctx.withheld("", item.id):  # 非公表 on the cover too (the body checks this in _rows)
            cells = [Para.of(WITHHELD)]
        else:
            cells = _answer(ctx, "", item, ctx.value("", item))
        rows.append([Cell([Para.of(item.label, bold=True)], shade=True), Cell(cells)])
    blocks.append(Table(rows, [LABEL_MM, ANSWER_MM]))
    blocks.append(Para.of(ctx.b.label, align="right"))
    return blocks


def _section(ctx: _Ctx, s: Section) -> list:
    blocks: list = [Para.of(s.heading, "Heading 1", keep_with_next=True)]
    if s.id == "changes":
        blocks.append(_changes_table(ctx.b.changes))
        return blocks
    if s.scope == "file":
        for n, (uid, fname) in enumerate(ctx.b.files, 1):
            blocks.append(Para.of(f"【ファイル{n}】{strip_unsafe(fname)}", "Heading 2", keep_with_next=True))
            blocks.extend(_items(ctx, s, uid, level=3))
    else:
        blocks.extend(_items(ctx, s, "", level=2))
    return blocks


def _items(ctx: _Ctx, s: Section, uid: str, *, level: int) -> list:
    """Top-level headings become Word headings followed by a table; loose items share one table."""
    blocks: list = []
    loose: list[list[Cell]] = []
    vals = {**ctx.b.values.get("", {}), **ctx.b.values.get(uid, {})} if uid else ctx.b.values.get("", {})

    def flush() -> None:
        if loose:
            blocks.append(Table(list(loose), [LABEL_MM, ANSWER_MM]))
            loose.clear()

    for item in s.items:
        if item.type == "heading":
            flush()
            blocks.append(Para.of(_display(ctx, item), f"Heading {level}", keep_with_next=True))
            rows: list[list[Cell]] = []
            for child in item.children:
                rows.extend(_rows(ctx, uid, child, vals))
            if rows:
                blocks.append(Table(rows, [LABEL_MM, ANSWER_MM]))
        elif item.type == "fixed":
            flush()
            blocks.append(Para.of(strip_unsafe(item.text or item.label)))
        else:
            loose.extend(_rows(ctx, uid, item, vals))
    flush()
    return blocks


def _display(ctx: _Ctx, item: Item) -> str:
    star = " ※" if item.important or (item.answerable and ctx.d.is_important(item.id)) else ""
    return f"{item.display}{star}"


def _rows(ctx: _Ctx, uid: str, item: Item, vals: dict) -> list[list[Cell]]:
    if item.type == "heading":
        out = [[Cell([Para.of(_display(ctx, item), bold=True)], shade=True, span=2)]]
        for child in item.children:
            out.extend(_rows(ctx, uid, child, vals))
        return out
    if item.type == "fixed":
        return [[Cell([Para.of(strip_unsafe(item.text or item.label))], span=2)]]
    label = Cell([Para.of(_display(ctx, item), bold=True)], shade=True)
    if skip_reason(ctx.d, item.id, vals):
        return [[label, Cell([Para.of(DASH)])]]
    if ctx.withheld(uid, item.id):
        return [[label, Cell([Para.of(WITHHELD)])]]
    if item.type == "group":
        rows = vals.get(item.id) or []
        if not rows:
            return [[label, Cell([Para.of(DASH)])]]
        out = []
        for n, row in enumerate(rows, 1):
            out.append([Cell([Para.of(f"{_display(ctx, item)} {row_label(item, n)}", bold=True)], shade=True, span=2)])
            row_vals = {**vals, **row}
            for child in item.children:
                child_label = Cell([Para.of(_display(ctx, child), bold=True)], shade=True)
                if skip_reason(ctx.d, child.id, row_vals):
                    out.append([child_label, Cell([Para.of(DASH)])])
                else:
                    out.append([child_label, Cell(_answer(ctx, uid, child, row.get(child.id)))])
        return out
    return [[label, Cell(_answer(ctx, uid, item, ctx.value(uid, item)))]]


def _lines(text: str) -> list[Para]:
    text = strip_unsafe(text)
    return [Para.of(line) for line in text.split("\n")] or [Para.of(DASH)]


def _answer(ctx: _Ctx, uid: str, item: Item, value: Any) -> list[Para]:
    """How one answer prints, the official way (choices in brackets, check boxes, two measure lists)."""
    t = item.type
    if t == "measures":
        return _measures(value or {})
    if t in ("multi", "multi_text") and value is None:
        value = [] if t == "multi" else {"checked": [], "texts": {}}
    if t not in ("multi", "multi_text") and (value is None or empty(item, value)):
        return [Para.of(DASH)]
    if t in ("choice", "judgement"):
        listing = " ".join(f"{n}) {c}" for n, c in enumerate(item.choice_labels, 1))
        return [Para.of(f"[ {strip_unsafe(str(value))} ]"), Para.of(f"<選択肢> {listing}")]
    if t == "multi":
        return [Para.of("　".join(f"[{'○' if c in value else ' '}] {c}" for c in item.choice_labels))]
    if t == "multi_text":
        parts = []
        for c in item.choices:
            mark = "○" if c.label in value.get("checked", []) else " "
            text = value.get("texts", {}).get(c.label, "")
            parts.append(f"[{mark}] {c.label}" + (f" ( {strip_unsafe(text)} )" if c.text and text else ""))
        return [Para.of("　".join(parts))]
    if t == "date":
        try:
            return [Para.of(wareki(date.fromisoformat(str(value))))]
        except ValueError:
            return [Para.of(strip_unsafe(str(value)))]
    if t == "number":
        return [Para.of(f"{value}{item.unit}")]
    return _lines(str(value))


def _measures(value: dict) -> list[Para]:
    out: list[Para] = []
    for aud, heading in AUDIENCES.items():
        out.append(Para([Run(f"【{heading}】", True)]))
        entries = [m for m in value.get(aud, []) if str(m.get("text", "")).strip()]
        if not entries:
            out.append(Para.of(DASH))
        for m in entries:
            lines = strip_unsafe(str(m["text"])).split("\n")
            out.append(Para.of(lines[0], "List Bullet"))
            out.extend(Para.of(line) for line in lines[1:])
    return out


def _changes_table(changes: list[ChangeRowData]) -> Table:
    head = [Cell([Para.of(c, bold=True)], shade=True) for c in CHANGE_COLUMNS]
    rows = [head]
    for c in changes:
        rows.append([Cell(_lines(wareki(c.changed_on) if c.changed_on else DASH)), Cell(_lines(c.item or DASH)),
                     Cell(_lines(c.before or DASH)), Cell(_lines(c.after or DASH)), Cell(_lines(c.timing or DASH)),
                     Cell(_lines(c.timing_note or DASH))])
    if not changes:
        rows.append([Cell([Para.of(DASH)]) for _ in CHANGE_COLUMNS])
    return Table(rows, [22, 30, 40, 40, 14, 24], header_rows=1)
