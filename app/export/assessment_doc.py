"""The 評価書 as a document model, walking the form definition (no item is hard-coded). Pure.

Editions: draft (案, for public comment — published, so 非公表 items are withheld too), full (提出用),
public (公表用: 非公表 items print 「(非公表)」).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from app.domain.answer_types import boxed, one_line
from app.domain.answers import empty, row_label, skip_reason
from app.domain.forms import FORM_LABEL, Definition, Item, Section
from app.domain.text import strip_unsafe
from app.domain.wareki import wareki
from app.export import answer_print
from app.export.answer_print import ANSWER_MM, CHOICES_PREFIX, DASH, LABEL_MM, PAGE_MM, PrintSettings
from app.export.answer_print import lines as _lines
from app.export.layout import BODY_PT, CELL_PADDING_MM, PT_MM, width_units
from app.export.model import Cell, ExportDoc, PageBreak, Para, Run, Table

Edition = Literal["draft", "full", "public"]
EDITION_LABEL = {"draft": "案", "full": "提出用", "public": "公表用"}
from app.domain.redaction import WITHHELD

LEGEND = "※ 重要な変更の対象である記載項目"
CHANGE_COLUMNS = ("変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明")
COVER_MM = PAGE_MM
NUMBER_MM = 14.0
FULL_WIDTH_TYPES = {"figure"}    # answers printed across the page under their label (a diagram in (別添1))
NAME_MARK = "(案)"               # a draft marked in its 評価書名 (organisation setting draft_marker = name)
ABOVE_MARK = "(素案)"            # a draft marked above the title (draft_marker = above)


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
    draft_marker: Literal["name", "above"] = "name"    # organisation setting: where a draft says it is one
    measure_headings: bool = True                      # organisation setting: 【対象】 headings over the measures
    measure_numbering: Literal["dot", "number"] = "dot"  # organisation setting: 「・」 lines or 1. 2. …
    exported_at: datetime | None = None               # file properties created/modified (None: now)
    unpublished_note: str = ""                        # screen views only: said in an empty 公表日 (Word keeps it blank)
    figures: dict[str, tuple[bytes, int, int]] = field(default_factory=dict)  # sha -> (PNG, width px, height px)


def title_of(b: Bundle, edition: Edition = "full") -> str:
    """評価書名 as printed: the cover answer, with 【令和○年○月○日 終了】 once the 事務 has ended.

    A 評価書名 marked 非公表 is not used in the published editions (案・公表用): the default name is printed instead.
    """
    title_id = b.definition.prefilled_by("jimu.title") or ""
    hidden = edition in ("public", "draft") and title_id in b.withheld.get("", {})
    name = (None if hidden else b.values.get("", {}).get(title_id)) or f"{b.jimu_name} {FORM_LABEL[b.definition.form]}"
    name = strip_unsafe(str(name))
    if b.jimu_ended_on and "終了】" not in name:
        name += f"【{wareki(b.jimu_ended_on)} 終了】"
    return name


def printed_name(b: Bundle, edition: Edition) -> str:
    """The 評価書名 as the cover prints it: a draft marked 「(案)」 in its name carries it here, and only here."""
    name = title_of(b, edition)
    return name + NAME_MARK if edition == "draft" and b.draft_marker == "name" else name


def build(b: Bundle, edition: Edition) -> ExportDoc:
    d = b.definition
    name = printed_name(b, edition)
    above = edition == "draft" and b.draft_marker == "above"
    header = f"{ABOVE_MARK} {name}" if above else name  # the marker once per place: cover, page header
    doc = ExportDoc(title=header, header_text=header, subject=d.manifest.title, author=b.org_name,
                    custom_json=b.custom_json, created=b.exported_at)
    ctx = _Ctx(b, edition)
    doc.blocks.extend(_cover(ctx, name))
    body = [s for s in d.sections if s.kind != "cover"]
    legend = [Para.of(LEGEND)] if has_star(d) else []
    if d.manifest.item_list:
        doc.blocks.append(PageBreak())
        doc.blocks.append(Para.of("項目一覧", "Heading 1"))
        for s in body:
            if s.toc:
                doc.blocks.append(Para.of(s.heading.replace(s.heading_note, "").strip() if s.heading_note else s.heading))
        if legend:
            doc.blocks.append(Para.of(""))
    doc.blocks.extend(legend)
    for n, s in enumerate(body):
        if s.new_page or n == 0:
            doc.blocks.append(PageBreak())
        doc.blocks.extend(_section(ctx, s))
    return doc


def has_star(d: Definition) -> bool:
    """Whether the document prints a ※ anywhere (the legend is printed only then)."""
    return any(s.important for s in d.sections if s.kind != "cover") or \
        any(d.is_important(i.id) for s in d.sections if s.kind != "cover" for i in _all_items(s.items))


def _all_items(items: list[Item]):
    for item in items:
        yield item
        yield from _all_items(item.children)


class _Ctx:
    def __init__(self, b: Bundle, edition: Edition):
        self.b, self.edition, self.d = b, edition, b.definition
        self.settings = PrintSettings(b.measure_headings, b.measure_numbering, b.figures)

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
    """Laid out like the 様式's cover: title, 評価書番号・評価書名 block, 宣言 and 特記事項 as boxes, the remaining
    items as a table, the 版 label at the foot. An empty 承認日/公表日 is blank there, not 「-」."""
    d = ctx.d
    blocks: list = []
    if ctx.edition == "draft" and ctx.b.draft_marker == "above":
        blocks.append(Para.of(ABOVE_MARK, align="right", size_pt=12))
    blocks.append(Para([Run(d.manifest.title, True)], "Title", align="center"))
    items = [i for i in d.section("cover").items if i.answerable]
    first_box = next((k for k, i in enumerate(items) if boxed(i)), len(items))
    block, boxes, rest = items[:first_box], [i for i in items[first_box:] if boxed(i)], \
        [i for i in items[first_box:] if not boxed(i)]

    def value(item: Item) -> list[Para]:
        if item.prefill == "jimu.title":
            return [Para.of(name)]
        if ctx.withheld("", item.id):  # 非公表 on the cover too (the body checks this in _rows)
            return [Para.of(WITHHELD)]
        v = ctx.value("", item)
        if v is None or empty(item, v):
            return [Para.of(ctx.b.unpublished_note if item.prefill == "version.published_on" else "")]
        return _answer(ctx, "", item, v)

    if block:
        width = COVER_MM / len(block)
        blocks.append(Table([[Cell([Para.of(i.label, bold=True, align="center")], shade=True) for i in block],
                             [Cell(value(i)) for i in block]],
                            [30.0] + [(COVER_MM - 30.0) / (len(block) - 1)] * (len(block) - 1)
                            if len(block) > 1 else [width]))
    for item in boxes:  # (a table is followed by an empty paragraph: the space between the blocks)
        blocks.append(Para.of(item.label, bold=True, keep_with_next=True))
        blocks.append(Table([[Cell(value(item))]], [COVER_MM]))
    if rest:
        blocks.append(Table([[Cell([Para.of(i.label, bold=True)], shade=True), Cell(value(i))] for i in rest],
                            [70.0, COVER_MM - 70.0]))
    blocks.append(Para.of(ctx.b.label, align="right", at_foot=True))
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
    """Every numbered top-level item is a Word heading followed by its table (a heading's rows, a group's entries, or
    one answer box); items without a number share one label/answer table; a group printed as a list is a numbered
    table of its own."""
    blocks: list = []
    loose: list[list[Cell]] = []
    vals = {**ctx.b.values.get("", {}), **ctx.b.values.get(uid, {})} if uid else ctx.b.values.get("", {})

    def flush() -> None:
        if loose:
            blocks.append(Table(list(loose), [LABEL_MM, ANSWER_MM]))
            loose.clear()

    for item in s.items:
        if item.type == "fixed":
            flush()
            blocks.append(Para.of(strip_unsafe(item.text or item.label)))
        elif item.type == "group" and item.print_as == "list":
            flush()
            blocks.append(_list_table(ctx, uid, item, vals))
        elif item.type in ("heading", "group") or item.number:
            flush()
            blocks.append(Para.of(_heading_line(ctx, uid, item, vals), f"Heading {level}", keep_with_next=True))
            if item.type == "heading":
                rows = [r for child in _children(item) for r in _rows(ctx, uid, child, vals)]
            elif item.type == "group":
                rows = _entries(ctx, uid, item, vals)
            else:
                rows = [[Cell(_value(ctx, uid, item, vals, ctx.value(uid, item), PAGE_MM), span=2)]]
            if rows:
                blocks.append(Table(rows, [LABEL_MM, ANSWER_MM]))
        else:
            loose.extend(_rows(ctx, uid, item, vals))
    flush()
    return blocks


def _star(ctx: _Ctx, item: Item) -> bool:
    """※ where the 様式 prints it: on the topmost important node only. Items under a ※ heading, or in a section whose
    heading carries ※ (Ⅲ・Ⅳ), do not repeat it; an item opted out (Ⅲ7 リスク1⑨) has none."""
    d = ctx.d
    if not d.is_important(item.id):
        return False
    parent = d.parent_of(item.id)
    return not (d.is_important(parent.id) if parent is not None else d.section_of(item.id).important)


def _display(ctx: _Ctx, item: Item) -> str:
    return f"{item.display} ※" if _star(ctx, item) else item.display


def _line_child(item: Item) -> Item | None:
    """A heading's first child without a label (「[ ] 委託しない」): printed on the heading line, as in the 様式."""
    first = item.children[0] if item.type == "heading" and item.children else None
    return first if first is not None and first.answerable and not first.label.strip() else None


def _children(item: Item) -> list[Item]:
    return item.children[1:] if _line_child(item) else item.children


def _heading_line(ctx: _Ctx, uid: str, item: Item, vals: dict) -> str:
    text = _display(ctx, item)
    child = _line_child(item)
    if child is None or skip_reason(ctx.d, child.id, vals):
        return text
    if ctx.withheld(uid, child.id):
        return f"{text}　{WITHHELD}"
    return f"{text}　" + "　".join(p.text for p in _answer(ctx, uid, child, ctx.value(uid, child)))


def _label(ctx: _Ctx, item: Item) -> Cell:
    return Cell([Para.of(_display(ctx, item), bold=True)], shade=True)


def _span_row(text: str) -> list[Cell]:
    """A heading row inside a table: kept with the row below it."""
    return [Cell([Para.of(text, bold=True, keep_with_next=True)], shade=True, span=2)]


def _value(ctx: _Ctx, uid: str, item: Item, vals: dict, value: Any, width_mm: float = ANSWER_MM) -> list[Para]:
    if skip_reason(ctx.d, item.id, vals):
        return [Para.of(DASH)]
    if ctx.withheld(uid, item.id):
        return [Para.of(WITHHELD)]
    return keep_choices(_answer(ctx, uid, item, value), width_mm)


def _rows(ctx: _Ctx, uid: str, item: Item, vals: dict) -> list[list[Cell]]:
    if item.type == "heading":
        out = [_span_row(_heading_line(ctx, uid, item, vals))]
        for child in _children(item):
            out.extend(_rows(ctx, uid, child, vals))
        return out
    if item.type == "fixed":
        return [[Cell([Para.of(strip_unsafe(item.text or item.label))], span=2)]]
    if item.type == "group":
        nothing = _no_entries(ctx, uid, item, vals)
        if nothing:
            return [[_label(ctx, item), Cell([Para.of(nothing)])]]
        entries = _entries(ctx, uid, item, vals)
        # 「委託事項」 above 「委託事項1」 says nothing: the group's label is printed once only when the entries don't
        return entries if row_label(item, 1).startswith(item.label) and not _star(ctx, item) else \
            [_span_row(_display(ctx, item))] + entries
    if item.type in FULL_WIDTH_TYPES:  # the label above, the answer at page width below
        return [_span_row(_display(ctx, item)), [Cell(_value(ctx, uid, item, vals, ctx.value(uid, item), PAGE_MM),
                                                      span=2)]]
    return [[_label(ctx, item), Cell(_value(ctx, uid, item, vals, ctx.value(uid, item)))]]


def _no_entries(ctx: _Ctx, uid: str, item: Item, vals: dict) -> str | None:
    """What a group prints instead of entries: 「-」 when skipped or empty, 「(非公表)」 when withheld; None otherwise."""
    if skip_reason(ctx.d, item.id, vals):
        return DASH
    if ctx.withheld(uid, item.id):
        return WITHHELD
    return None if vals.get(item.id) else DASH


def _title_child(item: Item) -> Item | None:
    """A group's unnumbered name (委託事項の名称, 提供先の名称): printed beside 「委託事項1」, as in the 様式."""
    first = item.children[0] if item.children else None
    return first if first is not None and one_line(first) and not first.number else None


def _entries(ctx: _Ctx, uid: str, item: Item, vals: dict) -> list[list[Cell]]:
    """A group's entries under one heading: 「委託事項1 | 名称」 (or 「システム1」), then the entry's items."""
    nothing = _no_entries(ctx, uid, item, vals)
    if nothing:
        return [[Cell([Para.of(nothing)], span=2)]]
    rows = vals.get(item.id) or []
    title = _title_child(item)
    out = []
    for n, row in enumerate(rows, 1):
        row_vals = {**vals, **row}
        if title is not None:
            out.append([Cell([Para.of(row_label(item, n), bold=True, keep_with_next=True)], shade=True),
                        Cell([Para(p.runs, p.style, p.align, True, p.size_pt)
                              for p in _value(ctx, uid, title, row_vals, row.get(title.id))])])
        else:
            out.append(_span_row(row_label(item, n)))
        for child in item.children[1 if title is not None else 0:]:
            out.append([_label(ctx, child), Cell(_value(ctx, uid, child, row_vals, row.get(child.id)))])
    return out


def _list_table(ctx: _Ctx, uid: str, item: Item, vals: dict) -> Table:
    """A group printed as a list ((別添2) 記録項目): one numbered row per entry, the header row repeated per page."""
    cols = item.children
    widths = [NUMBER_MM] + [(PAGE_MM - NUMBER_MM) / len(cols)] * len(cols)
    head = [Cell([Para.of("項番", bold=True, align="center")], shade=True)] + \
        [Cell([Para.of(_display(ctx, c), bold=True)], shade=True) for c in cols]
    nothing = _no_entries(ctx, uid, item, vals)
    rows = [] if nothing else vals.get(item.id) or []
    body: list[list[Cell]] = [[Cell([Para.of(nothing)], span=len(cols) + 1)]] if nothing else []
    for n, row in enumerate(rows, 1):
        row_vals = {**vals, **row}
        body.append([Cell([Para.of(str(n), align="center")])] +
                    [Cell(_value(ctx, uid, c, row_vals, row.get(c.id), widths[k + 1])) for k, c in enumerate(cols)])
    return Table([head] + body, widths, header_rows=1)


def keep_choices(paras: list[Para], width_mm: float) -> list[Para]:
    """Choice lists and check boxes break between choices, never inside one: the line breaks are placed here, by the
    printed width of each choice (a choice wider than the cell still wraps inside itself)."""
    out = []
    for p in paras:
        text = p.text if isinstance(p, Para) else ""  # (other blocks, e.g. a figure, pass through)
        if text.startswith(CHOICES_PREFIX):
            tokens, sep = re.split(r" (?=\d+\) )", text), " "
        elif text.startswith("[") and "　[" in text:
            tokens, sep = re.split(r"　(?=\[)", text), "　"
        else:
            out.append(p)
            continue
        per_line = (width_mm - CELL_PADDING_MM) / (BODY_PT * PT_MM) - 1  # one em of slack for metrics
        lines: list[str] = []
        for token in tokens:
            if lines and width_units(lines[-1] + sep + token) <= per_line:
                lines[-1] += sep + token
            else:
                lines.append(token)
        out.append(Para([Run("\n".join(lines), any(r.bold for r in p.runs))], p.style, p.align, p.keep_with_next,
                        p.size_pt))
    return out


def _answer(ctx: _Ctx, uid: str, item: Item, value: Any) -> list[Para]:
    """How one answer prints (one printer per answer type: app/export/answer_print.py)."""
    return answer_print.answer(item, value, ctx.settings)


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
