"""Reading a 計画管理書 (a spreadsheet kept by the records section) into register lines (pure).

Columns are matched by their header text (評価書番号, 評価書名 / 事務の名称, 評価の種類, 公表日, 提出日, 担当部署 …);
a header that is not recognised is left to the user's mapping. Cells are the strings (or dates) of the sheet;
dates are read in 和暦 (令和3年4月1日, R3.4.1, 令和元年5月1日) or western form (2021/4/1, 2021-04-01).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.wareki import BadDate, parse_date

# field → the label shown in the mapping step
FIELDS = {
    "number": "評価書番号", "title": "評価書名", "jimu": "事務の名称", "form": "評価の種類", "published_on": "公表日",
    "submitted_on": "提出日", "threshold": "しきい値判断の結果", "department": "担当部署", "note": "備考",
}
IGNORE = "ignore"  # a column known (e.g. of our own export) or chosen by the user as not imported
# header text (normalised by header_key) → field
SYNONYMS: dict[str, str] = {}
for _field, _names in {
    "number": ("評価書番号", "評価番号", "番号", "整理番号", "no", "no.", "評価書no"),
    "title": ("評価書名", "評価書の名称", "評価書名称"),
    "jimu": ("事務の名称", "事務名", "事務名称", "事務", "評価対象の事務", "対象事務"),
    "form": ("評価の種類", "評価書の種類", "実施する評価", "実施した評価", "評価の区分", "種類", "評価種別", "評価書種別"),
    "published_on": ("公表日", "公表年月日", "直近の公表日", "最終公表日", "最新の公表日", "公表"),
    "submitted_on": ("提出日", "提出年月日", "委員会への提出日", "直近の提出日", "最終提出日", "提出"),
    "threshold": ("しきい値判断の結果", "しきい値判断結果", "しきい値判断", "閾値判断の結果", "閾値判断結果"),
    "department": ("担当部署", "担当部署名", "担当課", "担当課名", "所管課", "所管部署", "部署", "部署名", "担当"),
    "note": ("備考", "摘要", "メモ"),
    # columns of our own 計画管理書 export that are computed here, not imported
    IGNORE: ("義務付けられる評価", "対象人数", "取扱者数", "重大事故", "しきい値判断日", "次回の見直し期限", "再実施の期限"),
}.items():
    for _n in _names:
        SYNONYMS[unicodedata.normalize("NFKC", _n).casefold()] = _field

FORM_WORDS = (("basic", "基礎"), ("focused", "重点"), ("full", "全項目"))
FORM_NAME = {"basic": "基礎項目評価書", "focused": "重点項目評価書", "full": "全項目評価書"}
MAX_NUMBER = 999_999


def header_key(text: object) -> str:
    """NFKC, no spaces or line breaks, no ※ marks, lower case: 「 公表日 ※」 → 「公表日」."""
    t = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s※*＊:]", "", t)


def match_header(text: object) -> str | None:
    """The field of a header, or None when it is not recognised (「公表日(和暦)」 is 公表日)."""
    key = header_key(text)
    if not key:
        return None
    if key in SYNONYMS:
        return SYNONYMS[key]
    bare = re.sub(r"[(\[【].*?[)\]】]", "", key)  # a remark in brackets: 公表日(和暦), 担当部署【課】
    return SYNONYMS.get(bare)


def match_headers(headers: list[object], chosen: dict[int, str] | None = None) -> tuple[dict[int, str], list[int]]:
    """Column index → field for every recognised (or user-mapped) header, and the indexes still unmapped.

    `chosen`: the user's mapping for columns (field, or IGNORE) — it wins over recognition. A field is taken by
    the first column that claims it; a later column with the same field is left unmapped (listed for mapping).
    """
    chosen = chosen or {}
    mapping: dict[int, str] = {}
    unknown: list[int] = []
    taken: set[str] = set()
    for i, h in enumerate(headers):
        f = chosen.get(i) or match_header(h)
        if f is None and not header_key(h):
            continue  # an empty header over an empty column
        if f is None or (f != IGNORE and f in taken):
            unknown.append(i)
            continue
        mapping[i] = f
        if f != IGNORE:
            taken.add(f)
    return mapping, unknown


def header_score(cells: list[object]) -> int:
    """How many cells of a row are recognised headers (to find the header row below a title)."""
    return sum(1 for c in cells if match_header(c) not in (None, IGNORE))


def parse_form(text: object) -> str:
    """基礎 / 基礎項目評価書 / 重点項目評価 / 全項目 → basic / focused / full; ValueError in Japanese."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not t:
        raise ValueError("評価の種類がありません。")
    found = [form for form, word in FORM_WORDS if word in t]
    if len(found) != 1:
        raise ValueError(f"評価の種類「{t}」を読み取れません(基礎・重点・全項目のいずれか1つを記載してください)。")
    return found[0]


def form_in_title(title: str) -> str | None:
    try:
        return parse_form(title) if any(w in title for _, w in FORM_WORDS) and "評価" in title else None
    except ValueError:
        return None


def jimu_from_title(title: str) -> str:
    """「住民基本台帳に関する事務 基礎項目評価書(案)」 → 「住民基本台帳に関する事務」."""
    t = unicodedata.normalize("NFKC", title).strip()
    t = re.sub(r"[((]案[))]$", "", t).strip()
    t = re.sub(r"[\s]*(基礎項目|重点項目|全項目)評価書?$", "", t).strip()
    t = re.sub(r"[\s]*(特定個人情報保護評価書|評価書)$", "", t).strip()
    return t


def parse_number(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("評価書番号は数字で記載してください。")
    if isinstance(value, int | float):
        if float(value) != int(value):
            raise ValueError(f"評価書番号「{value}」は整数で記載してください。")
        n = int(value)
    else:
        t = unicodedata.normalize("NFKC", str(value or "")).strip()
        t = re.sub(r"^(no\.?|第)", "", t, flags=re.I).removesuffix("号").strip()
        if not t:
            raise ValueError("評価書番号がありません。")
        if re.fullmatch(r"\d+\.0+", t):
            t = t.split(".")[0]
        if not t.isascii() or not t.isdigit():
            raise ValueError(f"評価書番号「{t}」は数字で記載してください。")
        n = int(t)
    if not 1 <= n <= MAX_NUMBER:
        raise ValueError(f"評価書番号は1から{MAX_NUMBER:,}までです。")
    return n


def parse_cell_date(value: object, label: str) -> date | None:
    """A date cell: a date / datetime of the sheet, or text in 和暦 or western form; None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    t = unicodedata.normalize("NFKC", str(value)).strip()
    if t in ("", "-", "ー", "―", "なし", "未"):
        return None
    t = re.sub(r"[T ]\d{1,2}:\d{2}(:\d{2})?$", "", t)  # 2021-04-01 00:00:00 (a date cell written as text)
    t = re.sub(r"[((][月火水木金土日][))]$", "", t)    # 令和3年4月1日(木)
    try:
        return parse_date(t, label=label)
    except BadDate as exc:
        raise ValueError(str(exc)) from None


def text(value: object, limit: int = 200) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()[:limit]


@dataclass
class PlanLine:
    """One row of the sheet, read: `line` is its row number in the file (for messages)."""

    line: int
    number: int | None = None
    jimu: str = ""
    title: str = ""
    form: str = ""
    published_on: date | None = None
    submitted_on: date | None = None
    department: str = ""
    threshold: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.jimu, self.form)


def read_line(line: int, cells: list[object], mapping: dict[int, str], today: date) -> PlanLine | None:
    """One data row → PlanLine (with its problems in Japanese); None for an empty row."""
    values: dict[str, object] = {}
    for i, f in mapping.items():
        if f != IGNORE and i < len(cells) and text(cells[i]) != "":
            values[f] = cells[i]
    if not values:
        return None
    p = PlanLine(line)
    try:
        p.number = parse_number(values.get("number"))
    except ValueError as exc:
        p.errors.append(str(exc))
    p.title = text(values.get("title"), 300)
    p.jimu = text(values.get("jimu")) or (jimu_from_title(p.title)[:200] if p.title else "")
    if not p.jimu:
        p.errors.append("事務の名称(または評価書名)がありません。")
    raw_form = values.get("form")
    try:
        p.form = parse_form(raw_form) if raw_form is not None else (form_in_title(p.title) or parse_form(""))
    except ValueError as exc:
        p.errors.append(str(exc))
    for key, label in (("published_on", "公表日"), ("submitted_on", "提出日")):
        try:
            setattr(p, key, parse_cell_date(values.get(key), label))
        except ValueError as exc:
            p.errors.append(str(exc))
    for d, label in ((p.published_on, "公表日"), (p.submitted_on, "提出日")):
        if d and d > today:
            p.errors.append(f"{label}({d.isoformat()})が未来の日付です。")
    if p.published_on and p.submitted_on and p.submitted_on > p.published_on:
        p.errors.append("提出日が公表日より後になっています。")
    if p.submitted_on and not p.published_on:
        p.errors.append("提出日だけで公表日がありません(公表済みの評価書だけを登録します)。")
    p.department = text(values.get("department"))
    p.threshold = text(values.get("threshold"))
    p.note = text(values.get("note"), 1000)
    return p


def read_lines(rows: list[tuple[int, list[object]]], mapping: dict[int, str], today: date) -> list[PlanLine]:
    """Every non-empty row; a second row for the same 評価書 (事務 and 種類, or 種類 and 番号) is an error."""
    out: list[PlanLine] = []
    seen_key: dict[tuple[str, str], int] = {}
    seen_number: dict[tuple[str, int | None], int] = {}
    for line, cells in rows:
        p = read_line(line, cells, mapping, today)
        if p is None:
            continue
        if not p.errors:
            k = (name_key(p.jimu), p.form)
            if k in seen_key:
                p.errors.append(f"{seen_key[k]}行目と同じ評価書です(事務と評価の種類が同じ)。")
            elif (p.form, p.number) in seen_number:
                p.errors.append(f"{seen_number[(p.form, p.number)]}行目と評価書番号・種類が同じです。")
            seen_key.setdefault(k, line)
            seen_number.setdefault((p.form, p.number), line)
        out.append(p)
    return out


def name_key(name: str) -> str:
    """The same key as the 事務 register uses to compare names (NFKC, no spaces, case-folded)."""
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "").casefold()


def missing_fields(mapping: dict[int, str]) -> list[str]:
    """Required fields no column provides (評価書番号, 事務の名称 or 評価書名, 評価の種類 unless the 評価書名 says it)."""
    have = set(mapping.values())
    out = []
    if "number" not in have:
        out.append(FIELDS["number"])
    if "jimu" not in have and "title" not in have:
        out.append(f"{FIELDS['jimu']}(または{FIELDS['title']})")
    if "form" not in have and "title" not in have:
        out.append(FIELDS["form"])
    return out
