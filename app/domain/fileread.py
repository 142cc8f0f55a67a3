"""Reading a filled 評価書 (its rows of cells) into answers of a form definition (pure, no I/O).

The file is read the way `spia forms verify` reads a blank 様式 (app/domain/formverify.py: the same normalising
matcher): each row becomes a `Line` (number, label, the answer cells); the file is cut at the section headings
(the 項目一覧 lists them too: the last occurrence in order is the heading) and, in per-file sections, at
「【ファイルn】名称」; in each piece the definition's items — repeating groups expanded to as many entries as the
file shows (委託事項1…, 提供先1…, システム1…) — are aligned in order with the file's labels, and each paired item's
answer is read by its type (app/domain/filevalues.py). An item printed with its answer in a box under its heading
takes the unlabelled rows that follow it. Whatever text is left over, or cannot be read as its item's type, is
listed as not placed (never dropped silently).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.answer_types import empty, row_label
from app.domain.filevalues import is_empty_text, norm, parse_value
from app.domain.forms import FORM_LABEL, Definition, Item, Section
from app.domain.formverify import Expected, Found, align, is_number, normalize, split_number

Rows = Sequence[tuple[str, Sequence[str]]]
FILE_MARK = re.compile(r"^【\s*ファイル\s*(\d+)\s*】\s*(.*)$", re.S)
VERSION_LABEL = re.compile(r"\[[^\[\]]*様式\s*(\d+)\s*\]")
FORM_OF_YOSHIKI = {"2": "basic", "3": "focused", "4": "full"}
TITLE_WORD = {"basic": "基礎項目評価書", "focused": "重点項目評価書", "full": "全項目評価書"}
LEGEND = "※重要な変更の対象である記載項目"


@dataclass
class Line:
    where: str
    number: str
    label: str
    value: str | None           # the answer cell(s); None for a row of one cell
    raw: str                    # the whole text of the row (a heading, a value box)
    table: list[Sequence[str]] | None = None   # a list table (項番 | …): header first, then its entries


def _line(where: str, cells: Sequence[str]) -> Line:
    raw = "\n".join(cells)
    if len(cells) >= 2 and is_number(cells[0]):  # number | label | answer, each in its own cell
        return Line(where, cells[0].strip(), re.sub(r"\s*\n\s*", "", cells[1]).strip(),
                    "\n".join(cells[2:]) if len(cells) > 2 else None, raw)
    number, label = split_number(cells[0])
    value = "\n".join(cells[1:]) if len(cells) > 1 else None
    return Line(where, number, re.sub(r"\s*\n\s*", "", label), value, raw)


def lines_from_rows(rows: Rows, d: Definition) -> list[Line]:
    """Rows → Lines: a row of cover labels over a row of values is read column by column; a 「項番」 table is one
    Line holding its entries."""
    cover_labels = {norm(i.label) for i in d.section("cover").items if i.label} if _has(d, "cover") else set()
    rows = [(w, [c for c in cells if c is not None and str(c).strip()]) for w, cells in rows]
    rows = [(w, [str(c).strip() for c in cells]) for w, cells in rows if cells]
    out: list[Line] = []
    k = 0
    while k < len(rows):
        where, cells = rows[k]
        if norm(cells[0]) == "項番":
            table = [cells[1:]]
            k += 1
            while k < len(rows) and re.fullmatch(r"\d+", norm(rows[k][1][0])):
                table.append(rows[k][1][1:])
                k += 1
            out.append(Line(where, "", "項番", None, "\n".join(cells), table=table))
            continue
        nxt = rows[k + 1][1] if k + 1 < len(rows) else None
        if len(cells) >= 2 and all(norm(c) in cover_labels for c in cells) and nxt and len(nxt) == len(cells):
            out.extend(Line(where, "", c, v, f"{c}\n{v}") for c, v in zip(cells, nxt, strict=True))
            k += 2
            continue
        out.append(_line(where, cells))
        k += 1
    return out


def _has(d: Definition, section_id: str) -> bool:
    return any(s.id == section_id for s in d.sections)


# ---------------------------------------------------------------- what the file says about itself

def version_label(lines: Sequence[Line]) -> str:
    """The 様式 label printed on the cover ([平成30年5月 様式4]), spaces removed; "" when there is none."""
    for ln in lines:
        m = VERSION_LABEL.search(norm(ln.raw))
        if m:
            return m.group(0)
    return ""


def form_of_file(lines: Sequence[Line]) -> str | None:
    """basic / focused / full as the file says it (its 様式 number, else its title); None when it does not say."""
    label = version_label(lines)
    if label:
        m = VERSION_LABEL.search(label)
        if m and m.group(1) in FORM_OF_YOSHIKI:
            return FORM_OF_YOSHIKI[m.group(1)]
    for ln in lines[:10]:
        for form, word in TITLE_WORD.items():
            if word in norm(ln.raw) and "特定個人情報保護評価書" in norm(ln.raw):
                return form
    return None


# ---------------------------------------------------------------- the definition's slots

@dataclass
class Slot:
    item: Item | None           # None: a label without an answer (a heading, 「システム1」 without a name)
    number: str
    label: str
    row: int = 0                # entry number in a repeating group (1-based)
    group: Item | None = None
    line_child: Item | None = None   # a heading's unlabelled answer printed on the heading line (「[ ] 委託しない」)
    list_group: Item | None = None   # a group printed as a 「項番」 table


def _line_child(item: Item) -> Item | None:
    first = item.children[0] if item.type == "heading" and item.children else None
    return first if first is not None and first.answerable and not first.label.strip() else None


def _title_child(item: Item) -> Item | None:
    from app.domain.answer_types import one_line

    first = item.children[0] if item.children else None
    return first if first is not None and one_line(first) and not first.number else None


def entries_in(group: Item, lines: Sequence[Line]) -> int:
    """How many entries of a repeating group the file shows (「委託事項1」「委託事項2」… in a row)."""
    labels = {norm(ln.label) for ln in lines if not ln.number}
    n = 0
    while norm(row_label(group, n + 1)) in labels:
        n += 1
    return n


def slots(items: Sequence[Item], lines: Sequence[Line], *, top: bool = True) -> list[Slot]:
    out: list[Slot] = []
    for item in items:
        if item.type == "fixed":
            continue
        if item.type == "heading":
            child = _line_child(item)
            out.append(Slot(None, item.number, item.label, line_child=child))
            out.extend(slots([c for c in item.children if c is not child], lines, top=False))
        elif item.type == "group" and item.print_as == "list":
            out.append(Slot(None, item.number, item.label, list_group=item))
        elif item.type == "group":
            n = entries_in(item, lines)
            if n == 0:
                out.append(Slot(item, item.number, item.label))   # 「移転先 | -」
                continue
            if top or item.number or not row_label(item, 1).startswith(item.label):
                out.append(Slot(None, item.number, item.label))
            title = _title_child(item)
            for r in range(1, n + 1):
                out.append(Slot(title, "", row_label(item, r), row=r, group=item))
                for child in item.children[1 if title is not None else 0:]:
                    out.append(Slot(child, child.number, child.label, row=r, group=item))
        elif item.answerable:
            out.append(Slot(item, item.number, item.label))
    return out


# ---------------------------------------------------------------- the result

@dataclass
class Unplaced:
    uid: str
    where: str
    label: str                  # the item it was read for, or the file's own label
    text: str
    reason: str
    item_id: str = ""


@dataclass
class Reading:
    files: list[tuple[str, str]] = field(default_factory=list)        # (uid, name)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # {uid or "": {item id: value}}
    filled: list[tuple[str, str]] = field(default_factory=list)       # (uid, item id)
    empty: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    unassigned: list[tuple[str, str, int]] = field(default_factory=list)  # measures without audience
    number: int | None = None   # 評価書番号 as the file prints it
    label: str = ""             # 様式 label as the file prints it


# ---------------------------------------------------------------- reading

def _heading_key(s: Section) -> str:
    return f"{normalize(s.number)}|{normalize(s.title)}"


def _line_key(ln: Line) -> str:
    return f"{normalize(ln.number)}|{normalize(ln.label)}"


def _section_starts(d: Definition, lines: Sequence[Line]) -> dict[str, int]:
    """Line index of each body section's heading: the last occurrence before the next section's (the 項目一覧
    lists the headings first)."""
    body = [s for s in d.sections if s.kind != "cover"]
    keys = [_line_key(ln) if ln.value is None else "" for ln in lines]
    starts: dict[str, int] = {}
    limit = len(lines)
    for s in reversed(body):
        hits = [k for k in range(limit) if keys[k] == _heading_key(s)]
        if hits:
            starts[s.id] = hits[-1]
            limit = hits[-1]
    return starts


def _split_files(lines: Sequence[Line]) -> list[tuple[int, str, list[Line]]]:
    """(file number, name, its lines) per 「【ファイルn】名称」; one unnamed file when the piece has no marker."""
    out: list[tuple[int, str, list[Line]]] = []
    for ln in lines:
        m = FILE_MARK.match(ln.raw.strip()) if ln.value is None else None
        if m:
            out.append((int(m.group(1)), re.sub(r"\s+", " ", m.group(2)).strip(), []))
        elif out:
            out[-1][2].append(ln)
    return out or [(1, "", list(lines))]


def _rest_after_label(label: str, text: str) -> str:
    """What follows `label` in `text` (a heading printed with its answer, 「①事務の名称:…」), or ""."""
    key = normalize(label)
    for end in range(1, len(text) + 1):
        if normalize(text[:end]) == key:
            return text[end:].strip().lstrip(":：").strip()
    return ""


class _Reader:
    def __init__(self, d: Definition):
        self.d, self.r = d, Reading()

    def put(self, uid: str, item: Item, text: str | None, where: str) -> Any:
        parsed = parse_value(item, text)
        if parsed.problem:
            self.r.unplaced.append(Unplaced(uid, where, item.label, (text or "").strip(), parsed.problem, item.id))
            return None
        if parsed.unassigned:
            self.r.unassigned.append((uid, item.id, parsed.unassigned))
        return None if parsed.value is None or empty(item, parsed.value) else parsed.value

    def piece(self, uid: str, items: Sequence[Item], lines: list[Line]) -> None:
        sl = slots(items, lines)
        expected = [Expected(str(k), s.number, s.label, None) for k, s in enumerate(sl)]
        found = [Found(ln.number, ln.label, str(k)) for k, ln in enumerate(lines) if ln.table is None]
        paired: dict[int, int] = {}
        for row in align(expected, found).rows:
            if row.status in ("match", "differs") and row.key and row.where:
                paired[int(row.key)] = int(row.where)
        used = set(paired.values())
        tables = [k for k, ln in enumerate(lines) if ln.table is not None]
        answers = self.r.answers.setdefault(uid, {})
        groups: dict[str, list[dict[str, Any]]] = {}
        for k, s in enumerate(sl):
            if s.list_group is not None:
                if tables:
                    t = tables.pop(0)
                    used.add(t)
                    self.list_table(uid, s.list_group, lines[t], answers)
                else:
                    self.r.missing.append((uid, s.list_group.id))
                continue
            if s.group is not None and s.row and s.group.id not in groups:
                groups[s.group.id] = [{} for _ in range(entries_in(s.group, lines))]
            if k not in paired:
                if s.item is not None and s.group is None and not s.item.readonly:
                    self.r.missing.append((uid, s.item.id))
                continue
            ln = lines[paired[k]]
            text = ln.value
            if s.line_child is not None:
                rest = _rest_after_label(s.label, ln.label) or (ln.value or "")
                self.store(uid, s.line_child, rest, ln.where, answers)
                continue
            if s.item is None or (s.item.readonly and s.item.prefill != "assessment.number"):
                continue
            if text is None:
                text = _rest_after_label(s.label, ln.label) or None
            if text is None:  # the answer in a box under the label: the unlabelled rows that follow
                box, j = [], paired[k] + 1
                while j < len(lines) and j not in used and lines[j].table is None and lines[j].value is None:
                    if FILE_MARK.match(lines[j].raw.strip()):
                        break
                    box.append(lines[j].raw)
                    used.add(j)
                    j += 1
                text = "\n".join(box) if box else None
            if s.item.prefill == "assessment.number":
                if text and re.fullmatch(r"\d+", norm(text)):
                    self.r.number = int(norm(text))
                continue
            if s.group is not None and s.row:
                value = self.put(uid, s.item, text, ln.where)
                if value is not None and value != "-":   # an entry's item left out prints 「-」
                    groups[s.group.id][s.row - 1][s.item.id] = value
                    self.r.filled.append((uid, f"{s.group.id}#{s.row}.{s.item.id}"))
                continue
            if s.item.type == "group":   # a group printed without entries (「-」)
                if not is_empty_text(text):
                    self.r.unplaced.append(Unplaced(uid, ln.where, s.item.label, text or "",
                                                    "繰り返しの記載(1件目、2件目…)として読み取れません。", s.item.id))
                else:
                    self.r.empty.append((uid, s.item.id))
                continue
            self.store(uid, s.item, text, ln.where, answers)
        for gid, rows in groups.items():
            answers[gid] = rows
        self.leftovers(uid, lines, used)

    def store(self, uid: str, item: Item, text: str | None, where: str, answers: dict[str, Any]) -> None:
        value = self.put(uid, item, text, where)
        if value is not None:
            answers[item.id] = value
            self.r.filled.append((uid, item.id))
        elif not any(u.item_id == item.id and u.uid == uid for u in self.r.unplaced):
            self.r.empty.append((uid, item.id))

    def list_table(self, uid: str, group: Item, ln: Line, answers: dict[str, Any]) -> None:
        header, *entries = ln.table or [[]]
        cols: list[Item | None] = []
        for n, h in enumerate(header):
            hit = next((c for c in group.children if normalize(c.label) == normalize(h)), None)
            cols.append(hit or (group.children[n] if n < len(group.children) else None))
        rows = []
        for e, cells in enumerate(entries, 1):
            row: dict[str, Any] = {}
            for child, cell in zip(cols, cells, strict=False):
                if child is None:
                    continue
                value = self.put(uid, child, cell, f"{ln.where} {e}行目")
                if value is not None and value != "-":
                    row[child.id] = value
            rows.append(row)
        if rows:
            answers[group.id] = rows
            self.r.filled.append((uid, group.id))
        else:
            self.r.empty.append((uid, group.id))

    def leftovers(self, uid: str, lines: Sequence[Line], used: set[int]) -> None:
        """Rows of the piece that no item took: listed when they say something (not a heading, a note or 「-」)."""
        noise = {_heading_key(s) for s in self.d.sections} | {"|項目一覧"}
        fixed = {normalize(i.text or i.label) for s in self.d.sections for i in s.walk() if i.type == "fixed"}
        for k, ln in enumerate(lines):
            if k in used or ln.table is not None:
                continue
            text = ln.raw.strip()
            if ln.value is None and (_line_key(ln) in noise or normalize(text) in fixed or is_empty_text(text)
                                     or FILE_MARK.match(text) or VERSION_LABEL.search(norm(text))
                                     or norm(text) == norm(LEGEND) or norm(text) == norm(self.d.manifest.title)
                                     or re.fullmatch(r"-?\d+-?", norm(text))):
                continue
            if ln.value is not None and is_empty_text(ln.value) and not ln.number:
                continue
            self.r.unplaced.append(Unplaced(uid, ln.where, ln.label if ln.value is not None else "", text,
                                            "様式の項目に対応付けられませんでした。"))


def read(d: Definition, lines: Sequence[Line]) -> Reading:
    """Answers of `d` read from the lines of a filled 評価書 (see the module docstring)."""
    rd = _Reader(d)
    rd.r.label = version_label(lines)
    starts = _section_starts(d, lines)
    body = [s for s in d.sections if s.kind != "cover"]
    bounds = sorted(starts.values()) + [len(lines)]
    first = min(starts.values()) if starts else len(lines)
    file_names: dict[int, str] = {}
    pieces: list[tuple[Section, list[Line]]] = []
    for s in d.sections:
        if s.kind == "cover":
            pieces.append((s, list(lines[:first])))
        elif s.id in starts:
            a = starts[s.id]
            b = next(x for x in bounds if x > a)
            pieces.append((s, list(lines[a + 1:b])))
    for s, part in pieces:
        if s.id == "changes":
            continue   # (別添3) 変更箇所 is generated from the versions, never imported
        if s.scope != "file":
            rd.piece("", s.items, part)
            continue
        for n, name, flines in _split_files(part):
            if n not in file_names:
                file_names[n] = name or _file_name(d, s, flines) or f"ファイル{n}"
            rd.piece(f"file{n}", s.items, flines)
    rd.r.files = [(f"file{n}", name) for n, name in sorted(file_names.items())]
    missing_sections = [s for s in body if s.id not in starts and s.id != "changes"]
    for s in missing_sections:
        for item in s.walk():
            if item.answerable and not item.readonly:
                rd.r.missing.append(("" if s.scope != "file" else "*", item.id))
    return rd.r


def _file_name(d: Definition, s: Section, lines: Sequence[Line]) -> str:
    """A file's name when the file has no 「【ファイルn】」 marker: the answer of 「特定個人情報ファイル名」."""
    for k, ln in enumerate(lines):
        if normalize(ln.label) == normalize("特定個人情報ファイル名"):
            text = ln.value if ln.value is not None else (lines[k + 1].raw if k + 1 < len(lines) else "")
            return (text or "").strip().split("\n")[0][:200]
    return ""


def form_label(form: str) -> str:
    return FORM_LABEL.get(form, form)


# ---------------------------------------------------------------- pdftotext -layout text

_ASCII_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[^\x00-\x7f\u3000])")
_GAP = re.compile(r"[ \u3000]{2,}|\t")
_PAGE_NUMBER = re.compile(r"^\s*[-－]\s*\d+\s*[-－]\s*$")
_BREAK_BEFORE = re.compile(r"^(?:[・･【\[［<＜□☐■☑☒]|\d{1,2}[.．)）](?!\d)|[(（]\d{1,2}[)）]|[①-⑳])")
INDENT = 6   # a line indented this far continues the answer column (or is a centred line)


def _spacing(text: str) -> str:
    """pdftotext puts a space between Japanese and ASCII (「令和 3 年」): removed."""
    return _ASCII_GAP.sub("", text)


def _known_labels(d: Definition) -> tuple[set[str], set[str]]:
    labels = {normalize(s.title) for s in d.sections}
    for s in d.sections:
        for item in s.walk():
            for it in [item, *(item.children if item.type == "group" else [])]:
                if it.label:
                    labels.add(normalize(it.label))
                if it.type == "group":
                    labels.add(normalize(row_label(it, 1))[:-1])
    prefixes = {k[:n] for k in labels for n in range(1, len(k) + 1)}
    return labels, prefixes


def _join(pieces: list[str]) -> str:
    out = ""
    for p in pieces:
        if not out:
            out = p
        elif _BREAK_BEFORE.match(p):
            out += "\n" + p
        else:
            out += p
    return out


def _label_apart(text: str, labels: set[str], prefixes: set[str]) -> list[str]:
    """A label and its answer separated by a single space (a long label fills its column): split after the longest
    part that is (the beginning of) a label of the definition."""
    _number, label = split_number(text)
    if normalize(label) in labels:
        return [text]
    best = None
    for m in re.finditer(r" ", text):
        left = text[:m.start()]
        _, rest = split_number(left)
        right = text[m.end():].strip()
        if rest and normalize(rest) in prefixes and right and not right.startswith("※"):
            best = m
    return [text[:best.start()], text[best.end():].strip()] if best else [text]


def _label_rest(head: str, text: str, labels: set[str], prefixes: set[str]) -> int | None:
    """Where the rest of the wrapped label `head` ends in `text` (at a space or the end), or None."""
    best = None
    for p in [m.start() for m in re.finditer(r"[ \u3000]+", text)] + [len(text)]:
        joined = normalize(head + text[:p])
        if joined in prefixes or any(normalize(head + text[:k]) in labels for k in range(1, p + 1)):
            best = p
    return best


def layout_rows(text: str, d: Definition) -> list[tuple[str, list[str]]]:
    """Rows of cells from `pdftotext -layout` text of a 評価書: the label column and the answer column apart, a wrapped
    label joined (using the definition's labels), the answer's further lines (indented) joined to it, page headers and
    page numbers left out."""
    labels, prefixes = _known_labels(d)
    pages = text.split("\f")
    firsts = [next((ln.strip() for ln in p.splitlines() if ln.strip()), "") for p in pages]
    header = max(set(firsts), key=firsts.count) if len(pages) > 2 else ""
    header = header if header and firsts.count(header) >= 2 else ""
    rows: list[dict[str, Any]] = []
    n = 0
    for page in pages:
        top = True
        blank = False
        for raw in page.splitlines():
            n += 1
            line = raw.rstrip()
            if not line.strip() or _PAGE_NUMBER.match(line):
                blank = True
                continue
            if top and header and line.strip() == header:
                top = False
                continue
            top = False
            indent = len(line) - len(line.lstrip(" \u3000"))
            cells = [_spacing(c.strip()) for c in _GAP.split(line.strip()) if c.strip()]
            cur = rows[-1] if rows else None
            if VERSION_LABEL.search(norm(line)):   # the 様式 label, centred at the foot of the cover
                rows.append({"where": f"{n}行", "number": "", "label": norm(line), "box": [norm(line)],
                             "value": None, "heading": True})
                continue
            if cur is not None and cur["value"] is not None and indent >= INDENT:
                cur["value"].append(" ".join(cells))
                blank = False
                continue
            if re.fullmatch(r"\d+|項番", cells[0]):   # a row of a 「項番」 table: its cells as they are
                rows.append({"where": f"{n}行", "cells": cells, "value": None, "heading": True, "label": ""})
                continue
            if len(cells) == 1 and indent < INDENT:
                cells = _label_apart(cells[0], labels, prefixes)
            number, label = split_number(cells[0])
            if cur is not None and cur["label"] and cur["value"] is not None and len(cells) == 1 and indent < INDENT \
                    and normalize(cur["label"]) not in labels and not number:
                whole = cells[0]
                cut = _label_rest(cur["label"], whole, labels, prefixes)
                if cut is not None and cut < len(whole):   # a wrapped label with its answer beside it, one space apart
                    cur["label"] += whole[:cut]
                    cur["value"].append(whole[cut:].strip())
                    blank = False
                    continue
            if cur is not None and cur["label"] and indent < INDENT and normalize(cur["label"]) not in labels \
                    and not number and (normalize(cur["label"] + label) in prefixes or any(
                        normalize(cur["label"] + label[:k]) in labels for k in range(1, len(label) + 1))):
                cur["label"] += label
                if len(cells) > 1:
                    cur["value"] = (cur["value"] or []) + [" ".join(cells[1:])]
                blank = False
                continue
            if cur is not None and cur["value"] is None and len(cells) == 1 and not blank and not cur["heading"] \
                    and normalize(label) not in labels and not number:
                cur["box"].append(cells[0])
                continue
            heading = len(cells) == 1 and (bool(number) or normalize(label) in labels or indent >= INDENT)
            rows.append({"where": f"{n}行", "number": number, "label": label, "box": [cells[0]],
                         "value": [" ".join(cells[1:])] if len(cells) > 1 else None, "heading": heading})
            blank = False
    out = []
    for r in rows:
        if "cells" in r:
            out.append((r["where"], r["cells"]))
        elif r["value"] is None:
            out.append((r["where"], [_join(r["box"]) if len(r["box"]) > 1 else
                                     (f"{r['number']} {r['label']}" if r["number"] else r["box"][0])]))
        else:
            out.append((r["where"], [f"{r['number']} {r['label']}".strip(), _join(r["value"])]))
    return out
