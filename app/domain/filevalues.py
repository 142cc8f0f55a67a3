"""Reading one answer from the text a filled 評価書 prints for it (pure): the inverse of app/export/answer_print.py.

`parse_value(item, text)` gives a `Parsed`: the value in the item's stored shape (app/domain/answer_types.py), or
None when the file leaves the item empty (「-」, nothing, 「(非公表)」), and a Japanese `problem` when there is text
that cannot be read as the item's type (the caller lists it as 「取り込めなかった記載」 with the original text).

What is read:
- choices: 「[ 十分である ]」 (with or without the ＜選択肢＞ list under it), a marked option (「■ 十分である □ …」,
  「[○] 十分である」, 「☑」), or the choice itself as plain text;
- check boxes: 「[○]」「[●]」「[✓]」「■」「☑」「☒」 are checked, 「[ ]」「□」「☐」 are not; 「その他 ( … )」 keeps its text;
- numbers: 「1,234人」「3件」 (the item's unit, 「人」「件」, 「,」 and spaces ignored);
- text: as written; a text answer of 「-」 (the usual 「なし」) is kept as 「-」;
- dates: 和暦 (令和3年3月15日, R3.3.15) or 2021-03-15;
- measures: 【市民・事業者・委託先等に対する措置】/【職員に対する措置】/【システムにおける措置】 headings; one measure
  per 「・」, 「1.」, 「(1)」, 「①」 line (or per line when none is marked); a line without a mark continues the measure;
  measures under no heading are `unassigned` (placed with 市民・事業者・委託先等 for the user to sort).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from app.domain.answer_types import clean_value
from app.domain.forms import AUDIENCES, Item
from app.domain.wareki import BadDate, parse_date

EMPTY_TEXTS = {"", "-", "－", "ー", "―", "(非公表)", "（非公表）", "なし(空欄)"}
_CIRCLED = "".join(chr(0x2460 + i) for i in range(20))
CHECKED = set("○◯〇●✓✔✗xX×■☑☒")
_MARK = re.compile(r"\[\s*([○◯〇●✓✔✗xX×]?)\s*\]|［\s*([○◯〇●✓✔✗xX×]?)\s*］|([□☐■☑☒])")
_BRACKET = re.compile(r"^\s*[\[［]\s*([^\]］]*?)\s*[\]］]")
_CHOICES_HEAD = re.compile(r"[<＜]\s*選択肢\s*[>＞]")
ITEM_MARK = re.compile(rf"^\s*(?:[・･]|\d+[.．)）](?!\d)|[(（]\d+[)）]|[{_CIRCLED}])\s*")
_HEADING = re.compile(r"^\s*【([^】]+)】\s*$")


@dataclass(frozen=True)
class Parsed:
    value: Any = None          # None: nothing to store (empty in the file, or not readable: see problem)
    problem: str = ""          # why text present in the file was not taken
    unassigned: int = 0        # measures: how many had no audience heading in the file


def norm(text: str) -> str:
    """Comparable form: NFKC, no spaces or line breaks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def is_empty_text(text: str | None) -> bool:
    return text is None or norm(text) in {norm(t) for t in EMPTY_TEXTS}


def match_choice(labels: list[str], text: str) -> str | None:
    """The choice whose normalised label equals `text` (normalised); None when none does."""
    key = norm(text)
    for label in labels:
        if norm(label) == key:
            return label
    return None


def marks(text: str) -> list[tuple[bool, str]]:
    """The options of a check-box text, in order: (checked, the text after the mark up to the next mark)."""
    found = list(_MARK.finditer(text))
    out = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        sign = m.group(1) or m.group(2) or m.group(3) or ""
        out.append((sign in CHECKED, text[m.end():end].strip(" \u3000\n\t")))
    return out


def _split_label(labels: list[str], option: str) -> tuple[str, str] | None:
    """(choice label, the rest of the option text) when the option begins with a choice label (longest first)."""
    key = norm(option)
    for label in sorted(labels, key=lambda c: -len(norm(c))):
        lk = norm(label)
        if not key.startswith(lk):
            continue
        for end in range(1, len(option) + 1):  # where the label ends in the original text
            if norm(option[:end]) == lk:
                return label, option[end:].strip()
    return None


def _paren_text(rest: str) -> str:
    m = re.fullmatch(r"[(（]\s*(.*?)\s*[)）]", rest.strip(), re.S)
    return re.sub(r"\s*\n\s*", "", m.group(1)) if m else ""


def parse_choice(item: Item, text: str) -> Parsed:
    labels = item.choice_labels
    body = _CHOICES_HEAD.split(text)[0]
    m = _BRACKET.match(body)
    if m and not _MARK.match(body.strip()):
        inner = m.group(1)
        if is_empty_text(inner):
            return Parsed()
        choice = match_choice(labels, inner)
        return Parsed(choice) if choice else Parsed(problem=f"選択肢「{inner.strip()[:40]}」は様式にありません。")
    options = marks(text)
    if options:
        split = [_split_label(labels, t) for checked, t in options if checked]
        picked = [p[0] for p in split if p]
        if len(picked) == 1:
            return Parsed(picked[0])
        if not picked:
            return Parsed()
        return Parsed(problem="選択肢に複数の印があります。")
    if is_empty_text(body):
        return Parsed()
    choice = match_choice(labels, body)
    return Parsed(choice) if choice else Parsed(problem=f"選択肢「{body.strip()[:40]}」は様式にありません。")


def parse_multi(item: Item, text: str) -> Parsed:
    options = marks(text)
    if not options:
        if is_empty_text(text):
            return Parsed()
        parts = [p for p in re.split(r"[、,\n]", text) if p.strip()]  # 「A、B」 as answer_text writes it
        chosen = [match_choice(item.choice_labels, p) for p in parts]
        if all(chosen):
            return Parsed([c for c in item.choice_labels if c in chosen])
        return Parsed(problem="チェック欄(「[○]」「■」など)が読み取れません。")
    ticked, unknown = _ticked(item, options)
    if unknown:
        return Parsed(problem=f"選択肢「{unknown[:40]}」は様式にありません。")
    checked = {label for label, _ in ticked}
    return Parsed([c for c in item.choice_labels if c in checked])


def _ticked(item: Item, options: list[tuple[bool, str]]) -> tuple[list[tuple[str, str]], str | None]:
    """The ticked choices as (label, the text after it), and the first ticked option that is not in the 様式."""
    ticked: list[tuple[str, str]] = []
    for on, option in options:
        if not on:
            continue
        hit = _split_label(item.choice_labels, option)
        if hit is None:
            return ticked, option
        ticked.append(hit)
    return ticked, None


def parse_multi_text(item: Item, text: str) -> Parsed:
    options = marks(text)
    if not options:
        return Parsed() if is_empty_text(text) else Parsed(problem="チェック欄(「[○]」「■」など)が読み取れません。")
    ticked, unknown = _ticked(item, options)
    if unknown:
        return Parsed(problem=f"選択肢「{unknown[:40]}」は様式にありません。")
    with_text = {c.label for c in item.choices if c.text}
    checked = [label for label, _ in ticked]
    texts = {label: _paren_text(rest) for label, rest in ticked if label in with_text and _paren_text(rest)}
    return Parsed({"checked": [c for c in item.choice_labels if c in checked], "texts": texts})


def parse_number(item: Item, text: str) -> Parsed:
    t = norm(text).replace(",", "")
    for unit in (item.unit, "人", "件", "名"):
        if unit and t.endswith(norm(unit)):
            t = t[: -len(norm(unit))]
    if re.fullmatch(r"-?\d+", t):
        return Parsed(int(t))
    return Parsed(problem=f"数値として読めません(「{text.strip()[:40]}」)。")


def parse_date_text(text: str) -> Parsed:
    try:
        return Parsed(parse_date(text.strip()).isoformat())
    except BadDate:
        return Parsed(problem=f"日付として読めません(「{text.strip()[:40]}」)。")


def audience_of(heading: str) -> str | None:
    key = norm(heading)
    for aud, label in AUDIENCES.items():
        if norm(label) == key:
            return aud
    if "職員" in key:
        return "staff"
    if "システム" in key:
        return "system"
    if any(w in key for w in ("市民", "事業者", "委託先", "住民")):
        return "external"
    return None


def split_measures(text: str) -> tuple[dict[str, list[str]], int]:
    """{audience: [measure text]} and how many measures stood under no audience heading."""
    out: dict[str, list[list[str]]] = {aud: [] for aud in AUDIENCES}   # the lines of each measure
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n")]
    marked = any(ITEM_MARK.match(ln) for ln in lines if not _HEADING.match(ln))
    aud: str | None = None
    unassigned = 0
    current: list[str] | None = None   # the measure being read
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            current = None
            continue
        h = _HEADING.match(line)
        if h and audience_of(h.group(1)):
            aud, current = audience_of(h.group(1)), None
            continue
        starts = ITEM_MARK.match(line)
        if current is not None and marked and not starts:
            current.append(line.strip(" \u3000"))   # a further line of the same measure
            continue
        first = line[starts.end():] if starts else line
        current = [first.strip(" \u3000")]
        target = aud or "external"
        if aud is None:
            unassigned += 1
        out[target].append(current)
    return {a: ["\n".join(m) for m in ms] for a, ms in out.items()}, unassigned


def parse_measures(item: Item, text: str) -> Parsed:
    if is_empty_text(text):
        return Parsed()
    groups, unassigned = split_measures(text)
    value = {aud: [{"id": "", "text": t} for t in texts if t.strip()] for aud, texts in groups.items()}
    return Parsed(value, unassigned=unassigned)


def parse_value(item: Item, text: str | None) -> Parsed:
    """The answer of `item` read from its printed text (one of the item's answer types), cleaned as an editor save
    would clean it; a value the type refuses becomes a problem (never stored)."""
    t = item.type
    if t in ("text", "longtext", "ref") and text is not None and text.strip() in ("-", "－"):
        return Parsed(text.strip())   # 「-」 as written (an empty answer prints the same: see the module docstring)
    if text is None or is_empty_text(text):
        return Parsed()
    if t in ("choice", "judgement"):
        parsed = parse_choice(item, text)
    elif t == "multi":
        parsed = parse_multi(item, text)
    elif t == "multi_text":
        parsed = parse_multi_text(item, text)
    elif t == "number":
        parsed = parse_number(item, text)
    elif t == "date":
        parsed = parse_date_text(text)
    elif t == "measures":
        parsed = parse_measures(item, text)
    elif t in ("text", "longtext", "ref"):
        parsed = Parsed(text.strip())
    else:  # figures (pictures are not in the text), groups (read row by row elsewhere)
        return Parsed(problem="この種類の項目は文書から取り込めません(画面で入力してください)。")
    if parsed.value is None:
        return parsed
    value, err = clean_value(item, parsed.value)
    if err:
        return Parsed(problem=err)
    return Parsed(value, unassigned=parsed.unassigned)
