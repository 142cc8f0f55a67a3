"""Checking a form definition against an official 様式 file: normalise, align, classify. Pure (no I/O).

A reader (app/services/formfiles.py) turns a .docx/.xlsx/pdftotext file into rows of cells (a table row, a
paragraph, a text line). `parse_rows` finds the labels in them: a number (1. / (1) / ① / リスク1: / Ⅲ / (別添1)),
a label, and a choice list where the file shows one (＜選択肢＞ 1) … 2) …, or □ / [ ] boxes). `align` walks the
definition's headings and items in order against them and classifies item by item: match / differs (both texts) /
missing (in the definition, not in the file) / extra (in the file, not in the definition).

Normalisation (`normalize`): NFKC (full/half width), every space (U+3000 too) and line break removed, 「」『』
dropped, ①② read as (1)(2) and 1) as (1), a trailing ※ (with its parenthesis) dropped. Prose (a line ending
in 「。」, a note starting with ※) and a bare version label ([令和6年10月 様式4]) are not labels.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Literal

from app.domain.forms import Definition, Item

CHOICE_TYPES = {"choice", "multi", "multi_text", "judgement"}
Status = Literal["match", "differs", "missing", "extra"]
STATUS_LABEL = {"match": "一致", "differs": "相違", "missing": "ファイルにない", "extra": "定義にない"}

_CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}  # ①..⑳
_QUOTES = str.maketrans("", "", "「」『』")
_TRAILING_NOTE = re.compile(r"※(\(.*\))?$")
_NUMBER = re.compile(
    r"^(?:\(\s*別添\s*\d+\s*\)|別添\s*\d+|リスク\s*\d+\s*:|\(\s*\d+\s*\)|\d+\)|\d+\.(?!\d)"
    r"|(?:VIII|VII|VI|IV|IX|V|III|II|I|X)(?=\s|$))")  # pdftotext may put a space around digits: リスク 1:
_CHOICE_MARK = re.compile(r"(?:^|(?<=\s))(?:\d+\)|\[\s*\]|[□☐■☑])")
_CHOICES_HEAD = re.compile(r"^<\s*選択肢\s*>")
_VERSION_LABEL = re.compile(r"^\[[^\]]*様式\d*\]$")


def _nfkc(text: str) -> str:
    for k, v in _CIRCLED.items():
        text = text.replace(k, v)
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """The comparable form of a label or choice: width, spaces, line breaks, 「」 and a trailing ※ ignored."""
    text = re.sub(r"\s+", "", _nfkc(text)).translate(_QUOTES)
    return _TRAILING_NOTE.sub("", text)


def canon_number(number: str) -> str:
    """(1), 1) and ① are one number; 1. and Ⅰ keep their own form."""
    text = re.sub(r"\s+", "", _nfkc(number))
    m = re.fullmatch(r"\(?(\d+)\)", text)
    return f"({m.group(1)})" if m else text


def split_number(text: str) -> tuple[str, str]:
    """Split a leading number token off a label: 「1. 基本情報」 → ("1.", "基本情報")."""
    stripped = text.strip()
    norm = _nfkc(stripped)
    m = _NUMBER.match(norm)
    if not m:
        return "", stripped
    token = m.group(0)
    # find where the token ends in the original (normalisation may change lengths, e.g. ① → (1))
    for end in range(1, len(stripped) + 1):
        if canon_number(stripped[:end]) == canon_number(token):
            return stripped[:end], stripped[end:].strip()
    return token, norm[len(token):].strip()


def is_number(text: str) -> bool:
    number, rest = split_number(text)
    return bool(number) and not rest


def parse_choices(text: str) -> list[str]:
    """Choices of a cell or line: ＜選択肢＞ 1) A 2) B, or □ A □ B / [ ] A (line breaks separate too)."""
    body = _CHOICES_HEAD.sub("", _nfkc(text).strip())
    parts = _CHOICE_MARK.split(body)
    if len(parts) == 1:
        parts = body.split("\n")
    return [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]


def _is_choice_text(text: str) -> bool:
    norm = _nfkc(text).strip()
    return bool(_CHOICES_HEAD.match(norm)) or bool(re.match(r"^(?:\[\s*\]|[□☐■☑])", norm))


# ---------------------------------------------------------------- what the definition expects

@dataclass(frozen=True)
class Expected:
    key: str                          # item id, or "section:<id>" / "toc:<id>" / "item_list" / "title"
    number: str
    label: str
    choices: tuple[str, ...] | None   # None: no choice list

    @property
    def text(self) -> str:
        return f"{self.number} {self.label}".strip()


def _item_choices(item: Item) -> tuple[str, ...] | None:
    return tuple(item.choice_labels) if item.type in CHOICE_TYPES and item.choices else None


def expected_entries(d: Definition) -> list[Expected]:
    """The title, the 項目一覧 (when the 様式 has one), every section heading (not the cover's) and every labelled
    item, in printed order."""
    out = [Expected("title", "", d.manifest.title, None)]

    def walk(item: Item) -> Iterable[Item]:
        yield item
        for child in item.children:
            yield from walk(child)

    body = [s for s in d.sections if s.kind != "cover"]
    for s in d.sections:
        if d.manifest.item_list and body and s is body[0]:  # 項目一覧: after the cover, the headings listed
            out.append(Expected("item_list", "", "項目一覧", None))
            out.extend(Expected(f"toc:{t.id}", t.number, t.title, None) for t in body if t.toc)
        if s.kind != "cover":
            out.append(Expected(f"section:{s.id}", s.number, s.title, None))
        for top in s.items:
            for item in walk(top):
                if item.label:
                    out.append(Expected(item.id, item.number, item.label, _item_choices(item)))
    return out


def definition_digest(d: Definition) -> str:
    """sha256 of a canonical dump of what the 様式 prints: title, headings, numbers, labels, choices, order.

    A confirmation against an official file is tied to it: any later change of these reopens the check.
    """
    dump = [[e.key, e.number, e.label, list(e.choices) if e.choices is not None else None]
            for e in expected_entries(d)]
    data = json.dumps({"form": d.form, "version": d.version, "entries": dump}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- what the file shows

@dataclass
class Found:
    number: str
    label: str
    where: str
    choices: list[str] | None = None
    beside: list[str] = field(default_factory=list)  # other cells of the row (a wrapped choice, an answer box)

    @property
    def text(self) -> str:
        return f"{self.number} {self.label}".strip()


def _is_prose(text: str) -> bool:
    norm = _nfkc(text).strip()
    return norm.endswith("。") or norm.startswith("※") or bool(_VERSION_LABEL.match(re.sub(r"\s+", "", norm)))


def parse_rows(rows: Sequence[tuple[str, Sequence[str]]]) -> list[Found]:
    """Labels of a file, as it shows them: each row is (where, cells). A row that is only a choice list
    (＜選択肢＞, □ / [ ]) gives a Found without a label; `join_wrapped` puts the pieces together."""
    found: list[Found] = []
    for where, raw_cells in rows:
        cells = [c.strip() for c in raw_cells if c and c.strip()]
        if not cells:
            continue
        if _is_choice_text(cells[0]):
            found.append(Found(number="", label="", where=where,
                               choices=[c for cell in cells for c in parse_choices(cell)]))
            continue
        if is_number(cells[0]) and len(cells) > 1:
            number, label, rest = cells[0], cells[1], cells[2:]
        else:
            number, label = split_number(cells[0])
            rest = cells[1:]
        label = re.sub(r"\s*\n\s*", "", label).strip()
        if not label:
            continue
        choices, beside = None, []
        for cell in rest:  # a cell beside the label: ＜選択肢＞ … or a choice of a list that began above
            if _is_choice_text(cell) or re.match(r"^\d+\)", _nfkc(cell)):
                choices = (choices or []) + parse_choices(cell)
            else:
                beside.append(cell)
        found.append(Found(number=number.strip(), label=label, where=where, choices=choices, beside=beside))
    return found


def join_wrapped(found: list[Found], expected: Sequence[Expected]) -> list[Found]:
    """Put together what a text file wrapped onto several lines, using the definition's labels and choices:
    - a choice list without a label, or a line numbered 1) 2) … under a label with choices: more choices;
    - an unnumbered piece that, added to the label before, begins (or is) a label of the definition that the
      label before alone is not: the rest of that label;
    - an unnumbered piece that, added to the last choice before, begins a choice of the definition: its rest."""
    keys = {_key(e.number, e.label) for e in expected}
    label_prefixes = {k[:n] for k in keys for n in range(1, len(k) + 1)}
    choices = {normalize(c) for e in expected for c in e.choices or ()}
    choice_prefixes = {c[:n] for c in choices for n in range(1, len(c) + 1)}

    def wrapped_choices(prev: Found, piece: str) -> list[str] | None:
        """prev's choices when `piece` continues its last choice (else None)."""
        if prev.choices and normalize(prev.choices[-1]) not in choices \
                and normalize(prev.choices[-1] + piece) in choice_prefixes:
            return prev.choices
        return None

    out: list[Found] = []
    for f in (replace(x, choices=list(x.choices) if x.choices is not None else None) for x in found):
        prev = out[-1] if out else None  # a copy: the caller's list is left as it was
        if prev is not None:
            if not f.label and f.choices is not None:
                prev.choices = (prev.choices or []) + f.choices
                continue
            if prev.choices is not None and re.fullmatch(r"\d+\)", _nfkc(f.number)):
                prev.choices += [f.label] + (f.choices or [])
                continue
            if not f.number and _key(prev.number, prev.label) not in keys \
                    and _key(prev.number, prev.label + f.label) in label_prefixes:
                prev.label += f.label
                for piece in f.beside:  # the rest of a wrapped choice printed beside the wrapped label
                    if (wrapped := wrapped_choices(prev, piece)) is not None:
                        wrapped[-1] += piece
                if f.choices is not None:
                    prev.choices = (prev.choices or []) + f.choices
                continue
            if not f.number and (wrapped := wrapped_choices(prev, f.label)) is not None:
                wrapped[-1] += f.label
                wrapped += f.choices or []
                continue
        if not f.number and _is_prose(f.label) and _key("", f.label) not in keys:
            continue  # a sentence, a note or the version label: not a label (unless the definition has it)
        out.append(f)
    return [f for f in out if f.label]


# ---------------------------------------------------------------- alignment

@dataclass(frozen=True)
class Row:
    status: Status
    key: str = ""                      # item id / section:<id> / title ("" for extra)
    expected: str = ""                 # number + label of the definition
    found: str = ""                    # number + label as the file prints it
    where: str = ""                    # where in the file
    what: tuple[str, ...] = ()         # differs: "number" / "label" / "choices"
    expected_choices: tuple[str, ...] | None = None
    found_choices: tuple[str, ...] | None = None
    found_number: str = ""             # the file's number and label apart (for --write-patch)
    found_label: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABEL[self.status]

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "key": self.key, "expected": self.expected, "found": self.found,
                "where": self.where, "what": list(self.what),
                "expected_choices": list(self.expected_choices) if self.expected_choices is not None else None,
                "found_choices": list(self.found_choices) if self.found_choices is not None else None}


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUS_LABEL}
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def differences(self) -> int:
        c = self.counts
        return c["differs"] + c["missing"] + c["extra"]

    @property
    def ok(self) -> bool:
        return self.differences == 0

    def summary(self) -> str:
        c = self.counts
        return (f"一致 {c['match']}、相違 {c['differs']}、ファイルにない {c['missing']}、定義にない {c['extra']}"
                f"(差異 {self.differences} 件)")


def _key(number: str, label: str) -> str:
    return f"{canon_number(number)}|{normalize(label)}"


def _choices_equal(a: Sequence[str] | None, b: Sequence[str] | None) -> bool:
    return [normalize(x) for x in a or []] == [normalize(x) for x in b or []]


def _pair(e: Expected, f: Found) -> Row:
    what = []
    if canon_number(e.number) != canon_number(f.number):
        what.append("number")
    if normalize(e.label) != normalize(f.label):
        what.append("label")
    if f.choices is not None and not _choices_equal(e.choices, f.choices):
        what.append("choices")
    return Row(status="differs" if what else "match", key=e.key, expected=e.text, found=f.text, where=f.where,
               what=tuple(what), expected_choices=e.choices,
               found_choices=tuple(f.choices) if f.choices is not None else None,
               found_number=f.number, found_label=f.label)


def _similarity(e: Expected, f: Found) -> float:
    """How likely f is e reworded: 0 when they should not be paired at all."""
    a, b = normalize(e.label), normalize(f.label)
    same_number = bool(e.number) and canon_number(e.number) == canon_number(f.number)
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0
    if same_number and ratio >= 0.4:
        return 1.0 + ratio
    if ratio >= 0.75:
        return ratio
    return 0.0


def _align_block(exp: Sequence[Expected], fnd: Sequence[Found]) -> list[Row]:
    """Pair a run of unmatched entries in order, maximising similarity; the rest is missing / extra."""
    n, m = len(exp), len(fnd)
    sim = [[_similarity(e, f) for f in fnd] for e in exp]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            options = [best[i + 1][j], best[i][j + 1]]
            if sim[i][j] > 0:
                options.append(best[i + 1][j + 1] + sim[i][j])
            best[i][j] = max(options)
    rows, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m and sim[i][j] > 0 and best[i][j] == best[i + 1][j + 1] + sim[i][j]:
            rows.append(_pair(exp[i], fnd[j]))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i][j] == best[i + 1][j]):
            e = exp[i]
            rows.append(Row(status="missing", key=e.key, expected=e.text, expected_choices=e.choices))
            i += 1
        else:
            f = fnd[j]
            rows.append(Row(status="extra", found=f.text, where=f.where,
                            found_choices=tuple(f.choices) if f.choices is not None else None,
                            found_number=f.number, found_label=f.label))
            j += 1
    return rows


def align(expected: Sequence[Expected], found: Sequence[Found]) -> Result:
    """Classify every expected entry and every label of the file, in order (deterministic)."""
    ekeys = [_key(e.number, e.label) for e in expected]
    fkeys = [_key(f.number, f.label) for f in found]
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ekeys, fkeys, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(_pair(expected[i1 + k], found[j1 + k]) for k in range(i2 - i1))
        else:
            rows.extend(_align_block(expected[i1:i2], found[j1:j2]))
    return Result(rows=rows)


def verify(d: Definition, rows: Sequence[tuple[str, Sequence[str]]]) -> Result:
    expected = expected_entries(d)
    return align(expected, join_wrapped(parse_rows(rows), expected))
