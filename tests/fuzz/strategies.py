"""Hypothesis strategies for editor answers: any Unicode, posted as the editor's form fields.

A generated page is a list of `Posted` answers, all of them storable; `poison` then (maybe) breaks exactly one
thing the app must refuse. `form_fields` turns the answers into the multidict the editor POSTs (`p|id` marks
an item as shown, `a|id` its value, `m|id|aud` the measures, `r|id` the rows of a group …).
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from hypothesis import strategies as st

from app.domain.answers import MAX_MEASURES, MEASURE_MAX
from app.domain.forms import AUDIENCES, Item, Page
from app.domain.text import LONG_MAX, SHORT_MAX

# What the app must refuse in text (stated here independently of app/domain/text.py): C0 controls except
# TAB/LF/CR (CR is a newline), DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
FORBIDDEN_CHARS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udbff",
                   "\udfff", "\ufffe", "\uffff"]

INTERESTING = [
    "👨‍👩‍👧‍👦", "🏯", "🇯🇵", "〜", "～", "髙", "﨑", "德", "齋", "邊", "葛󠄀", "𠮷", "𩸽", "ｶﾞ", "㈱", "①", "Ⅻ", "〓",
    "\u3000", "\u200b", "\u200d", "\u202e", "\u2028", "\u2029", "\ufeff", "\u00a0", "é", "é", "\t", "\n",
    "\r\n", "\r", "<", ">", "&", '"', "'", "]]>", "<w:t>", "&amp;", "{{", "}}", "%s", "\\", "|", "--", "ー",
    "\U0010fffd", "\U000e0100", "\ufdd0", "\U0001fffe", "  ", " ",
]
ANY_CHAR = st.characters(codec=None, exclude_categories=())
RAW_TEXT = st.one_of(
    st.text(alphabet=ANY_CHAR, max_size=60),
    st.lists(st.sampled_from(INTERESTING + FORBIDDEN_CHARS), max_size=12).map("".join),
    st.text(alphabet=st.sampled_from("あいうアイウ亜漢字　 \n"), min_size=1, max_size=40),
)
# Any Unicode the app must store as typed (only the refused characters removed).
TEXT = RAW_TEXT.map(lambda s: FORBIDDEN.sub("", s))


def storable(text: str, max_len: int) -> bool:
    """Whether the app must accept `text` for a field of `max_len` characters."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return not FORBIDDEN.search(text) and len(normalised) <= max_len


def text_limit(item: Item) -> int:
    if item.type == "longtext":
        return item.max_length or LONG_MAX
    if item.type == "ref":
        return 2000
    return item.max_length or SHORT_MAX


ROW_IDS = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=6, max_size=10)
DATES = st.one_of(
    st.dates(min_value=date(1868, 1, 25), max_value=date(2200, 12, 31)).map(date.isoformat),
    st.sampled_from(["", "令和7年4月1日", "R7.4.1", "r7.4.1", "２０２５／４／１", "令和元年5月1日", "平成31年4月30日",
                     "2025/4/1", " 2025-04-01 ", "٢٠٢٥-٠٤-٠١"]),
)
BAD_DATES = ["2025-02-30", "令和0年1月1日", "1800-01-01", "2201-01-01", "明日", "2025-4", "令和7年13月1日", "²⁰²⁵-04-01"]


@dataclass
class Posted:
    """One answer as the editor posts it (`raw` is what the browser sends, before the app normalises it)."""

    item: Item
    raw: Any                       # text: str | multi: [str] | measures: {aud: [text]} | group: [(row id, {child: raw})]
    withheld: tuple[bool, str] | None = None
    action: dict[str, str] | None = None


@dataclass
class PageCase:
    page_id: str
    file_index: int                # which 特定個人情報ファイル for a per-file page
    posted: list[Posted]
    poison: str | None = None      # what was broken on purpose (the save must be refused), or None
    extra: dict[str, list[str]] = field(default_factory=dict)


def valid_value(item: Item, *, rows: int = 3, measures: int = 5) -> st.SearchStrategy:
    t = item.type
    if t in ("text", "ref", "longtext"):
        return TEXT
    if t in ("choice", "judgement"):
        return st.sampled_from(["", *item.choice_labels])
    if t == "multi":
        return st.lists(st.sampled_from(item.choice_labels), unique=True)
    if t == "multi_text":
        return st.fixed_dictionaries({
            "checked": st.lists(st.sampled_from(item.choice_labels), unique=True),
            "texts": st.fixed_dictionaries({c.label: TEXT for c in item.choices if c.text}),
        })
    if t == "date":
        return DATES
    if t == "number":
        lo = item.min if item.min is not None else 0
        hi = item.max if item.max is not None else 1_000_000_000
        n = st.integers(min_value=lo, max_value=hi)
        return st.one_of(st.just(""), n.map(str), n.map(lambda x: f"{x:,}"),
                         n.map(lambda x: str(x).translate(str.maketrans("0123456789", "０１２３４５６７８９"))))
    if t == "measures":
        return st.fixed_dictionaries({aud: st.lists(TEXT, max_size=measures) for aud in AUDIENCES})
    if t == "group":
        child_values = st.fixed_dictionaries(
            {}, optional={c.id: valid_value(c) for c in item.children if c.answerable and not c.readonly})
        return st.lists(st.tuples(ROW_IDS, child_values), max_size=rows, unique_by=lambda r: r[0])
    raise AssertionError(t)


def page_posts(page: Page, *, rows: int = 3, measures: int = 5) -> st.SearchStrategy[list[Posted]]:
    @st.composite
    def build(draw):
        out = []
        for item in page.walk():
            if not item.answerable or item.readonly or not draw(st.integers(0, 3)):
                continue  # the editor never posts readonly items; some items are left as they are
            p = Posted(item=item, raw=draw(valid_value(item, rows=rows, measures=measures)))
            if item.type in ("text", "longtext") and not draw(st.integers(0, 4)):
                p.withheld = (True, draw(TEXT))
                p.raw = secret_marker(item) + p.raw  # recognisable: must not leak into 案・公表用
            if item.type == "judgement" and draw(st.booleans()):
                p.action = {"content": draw(TEXT), "owner": draw(TEXT),
                            "due": draw(st.sampled_from(["", "2027-03-31", "令和9年3月31日"]))}
            out.append(p)
        return out

    return build()


def secret_marker(item: Item) -> str:
    return f"《非公表:{item.id}》"


POISONS = ("control", "too_long", "choice", "date", "number", "measures", "rows", "withheld", "action_due",
           "action_text", "child_text")


def poison(draw, posted: list[Posted]) -> tuple[list[Posted], str | None]:
    """Break one thing the app must refuse, when the page has an item it applies to."""
    kind = draw(st.sampled_from(POISONS))
    fits = [n for n, p in enumerate(posted) if _applies(kind, p)]
    if not fits:
        return posted, None
    n = draw(st.sampled_from(fits))
    p = posted[n]
    bad_char = draw(st.sampled_from(FORBIDDEN_CHARS))
    t = p.item.type
    if kind == "control":
        if t == "measures":
            aud = draw(st.sampled_from(list(AUDIENCES)))
            raw = {**p.raw, aud: [*p.raw.get(aud, []), f"措置{bad_char}"]}
        elif t == "multi_text":
            label = next(iter(p.raw["texts"]))
            raw = {**p.raw, "texts": {**p.raw["texts"], label: p.raw["texts"][label] + bad_char}}
        else:
            raw = draw(st.sampled_from([bad_char + p.raw, p.raw + bad_char, f"前{bad_char}後"]))
        p = replace(p, raw=raw)
    elif kind == "too_long":
        limit = MEASURE_MAX if t == "measures" else text_limit(p.item)
        huge = draw(st.sampled_from(["あ", "a", "𠮷", "\n"])) * (limit + 1)
        p = replace(p, raw={**p.raw, "staff": [huge]} if t == "measures" else huge)
    elif kind == "choice":
        wrong = draw(st.sampled_from(["存在しない選択肢", " ", "十分である ", "その他\x00"]))
        p = replace(p, raw=[*p.raw, wrong] if t == "multi" else wrong)
    elif kind == "date":
        p = replace(p, raw=draw(st.sampled_from(BAD_DATES)))
    elif kind == "number":
        hi = p.item.max if p.item.max is not None else 1_000_000_000
        lo = p.item.min if p.item.min is not None else 0
        p = replace(p, raw=draw(st.sampled_from([str(hi + 1), str(lo - 1), "1.5", "²", "十", "1e3", "0x10", "--1"])))
    elif kind == "measures":
        aud = draw(st.sampled_from(list(AUDIENCES)))
        p = replace(p, raw={**p.raw, aud: [f"措置{i}" for i in range(MAX_MEASURES + 1)]})
    elif kind == "rows":
        p = replace(p, raw=[(f"row{i:05d}", {}) for i in range(p.item.max_rows + 1)])
    elif kind == "withheld":
        p = replace(p, withheld=(True, draw(st.sampled_from([f"理由{bad_char}", "理" * 1001]))))
    elif kind == "action_due":
        p = replace(p, action={"content": "改善する", "owner": "担当", "due": draw(st.sampled_from(BAD_DATES))})
    elif kind == "action_text":
        p = replace(p, action={"content": draw(st.sampled_from([f"改善{bad_char}", "改" * 4001])), "owner": "",
                               "due": ""})
    elif kind == "child_text":
        rows = list(p.raw)
        children = {c.id: c for c in p.item.children}
        idx = next(i for i, (_, values) in enumerate(rows)
                   if any(children[c].type in ("text", "longtext") for c in values))
        row_id, values = rows[idx]
        cid = next(c for c in values if children[c].type in ("text", "longtext"))
        rows[idx] = (row_id, {**values, cid: f"{values[cid]}{bad_char}"})
        p = replace(p, raw=rows)
    return [*posted[:n], p, *posted[n + 1:]], kind


def _applies(kind: str, p: Posted) -> bool:
    t = p.item.type
    if kind == "control":
        return t in ("text", "ref", "longtext", "measures") or (t == "multi_text" and bool(p.raw["texts"]))
    if kind == "too_long":
        return t in ("text", "ref", "longtext", "measures")
    if kind == "choice":
        return t in ("choice", "judgement", "multi")
    if kind in ("date", "number"):
        return t == kind
    if kind == "measures":
        return t == "measures"
    if kind == "rows":
        return t == "group"
    if kind == "withheld":
        return t in ("text", "longtext")
    if kind in ("action_due", "action_text"):
        return t == "judgement"
    if kind == "child_text":
        children = {c.id: c for c in p.item.children}
        return t == "group" and any(children[c].type in ("text", "longtext") for _, vals in p.raw for c in vals)
    return False


def form_fields(posted: list[Posted], *, lock: int) -> dict[str, list[str]]:
    """The multidict a browser posts for these answers (what app.routes.editor.save reads)."""
    f: dict[str, list[str]] = {"lock": [str(lock)]}
    for p in posted:
        _put(f, p.item, p.item.id, p.raw)
        f[f"p|{p.item.id}"] = ["1"]
        if p.withheld is not None:
            flag, reason = p.withheld
            if flag:
                f[f"w|{p.item.id}"] = ["1"]
            f[f"wr|{p.item.id}"] = [reason]
        if p.action is not None:
            for k, v in p.action.items():
                f[f"act|{p.item.id}|{k}"] = [v]
    return f


def _put(f: dict[str, list[str]], item: Item, key: str, raw: Any) -> None:
    t = item.type
    if t == "multi":
        f[f"a|{key}"] = list(raw)
    elif t == "multi_text":
        f[f"a|{key}"] = list(raw["checked"])
        for i, choice in enumerate(item.choices):
            if choice.text:
                f[f"t|{key}|{i}"] = [raw["texts"].get(choice.label, "")]
    elif t == "measures":
        for aud, texts in raw.items():
            f[f"m|{key}|{aud}"] = list(texts)
            f[f"mi|{key}|{aud}"] = [f"m{aud[:2]}{n:04d}" for n in range(len(texts))]
    elif t == "group":
        f[f"r|{key}"] = [row_id for row_id, _ in raw]
        children = {c.id: c for c in item.children}
        for row_id, values in raw:
            for child_id, v in values.items():
                _put(f, children[child_id], f"{key}|{row_id}|{child_id}", v)
    else:
        f[f"a|{key}"] = [raw]


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def expected_value(item: Item, raw: Any) -> Any:
    """What the app must store for a storable raw value (stated independently of app/domain/answers.py)."""
    t = item.type
    if t in ("text", "ref", "longtext"):
        return newlines(raw)
    if t in ("choice", "judgement"):
        return raw
    if t == "multi":
        return [c for c in item.choice_labels if c in raw]
    if t == "multi_text":
        return {"checked": [c for c in item.choice_labels if c in raw["checked"]],
                "texts": {k: newlines(v) for k, v in raw["texts"].items() if v}}
    if t == "date":
        return "" if raw == "" else None   # any accepted date is stored as YYYY-MM-DD (checked by the caller)
    if t == "number":
        return "" if raw == "" else int(raw.replace(",", "").translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if t == "measures":
        return {aud: [{"id": f"m{aud[:2]}{n:04d}", "text": newlines(text)} for n, text in enumerate(raw.get(aud, []))]
                for aud in AUDIENCES}
    if t == "group":
        # check boxes and measures of a row are always posted (an unchecked box sends nothing): empty, not absent
        always = {c.id: expected_value(c, EMPTY[c.type]) for c in item.children if c.type in EMPTY}
        children = {c.id: c for c in item.children}
        return [{"_id": row_id, **always, **{cid: expected_value(children[cid], v) for cid, v in values.items()}}
                for row_id, values in raw]
    raise AssertionError(t)


EMPTY = {"multi": [], "multi_text": {"checked": [], "texts": {}}, "measures": {aud: [] for aud in AUDIENCES}}
