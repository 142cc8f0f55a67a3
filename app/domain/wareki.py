"""和暦 (Japanese era) formatting for documents: 令和7年4月1日, 元年 for the first year."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

# (era name, short letter, first day of the era)
ERAS: tuple[tuple[str, str, date], ...] = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)


def era_of(d: date) -> tuple[str, str, int]:
    for name, letter, start in ERAS:
        if d >= start:
            return name, letter, d.year - start.year + 1
    raise ValueError(f"{d.isoformat()} は明治より前の日付のため和暦に変換できません。")


def wareki(d: date | None, *, empty: str = "") -> str:
    """令和7年4月1日; 令和元年5月1日 for the first year."""
    if d is None:
        return empty
    name, _, year = era_of(d)
    y = "元" if year == 1 else str(year)
    return f"{name}{y}年{d.month}月{d.day}日"


def wareki_datetime(dt: datetime | None, *, seconds: bool = False, empty: str = "") -> str:
    """令和8年11月20日 10:05 in Japan time (a timestamp stored in UTC; a naive one is taken as UTC)."""
    if dt is None:
        return empty
    local = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(TOKYO)
    clock = f"{local.hour}:{local.minute:02d}" + (f":{local.second:02d}" if seconds else "")
    return f"{wareki(local.date())} {clock}"


def wareki_month(d: date | None, *, empty: str = "") -> str:
    if d is None:
        return empty
    name, _, year = era_of(d)
    return f"{name}{'元' if year == 1 else year}年{d.month}月"


def wareki_compact(d: date) -> str:
    """R070401 — used in file names."""
    _, letter, year = era_of(d)
    return f"{letter}{year:02d}{d.month:02d}{d.day:02d}"


def fiscal_year_label(d: date) -> str:
    """令和7年度 for dates from 令和7年4月1日 to 令和8年3月31日."""
    # An era that begins during the fiscal year names the whole year (令和元年度 = FY2019).
    fy = d.year if d.month >= 4 else d.year - 1
    name, _, year = era_of(date(fy, 5, 1))
    return f"{name}{'元' if year == 1 else year}年度"


_ERA_BY_NAME = {name: start for name, _, start in ERAS}
_ERA_BY_LETTER = {letter: start for _, letter, start in ERAS}


class BadDate(ValueError):
    pass


def parse_date(text: str, *, label: str = "日付") -> date:
    """Accept 2025-04-01, 2025/4/1, 令和7年4月1日 (元年 too) and R7.4.1; raise BadDate in Japanese."""
    import re
    import unicodedata

    t = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    if not t:
        raise BadDate(f"{label}を入力してください。")
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = re.fullmatch(r"(明治|大正|昭和|平成|令和|[MTSHR])(元|\d{1,2})[.年/](\d{1,2})[.月/](\d{1,2})日?", t, re.I)
        if not m:
            raise BadDate(f"{label}は「2025-04-01」または「令和7年4月1日」の形式で入力してください。")
        era, ey, mo_s, d_s = m.groups()
        mo, d = int(mo_s), int(d_s)
        start = _ERA_BY_NAME.get(era) or _ERA_BY_LETTER[era.upper()]
        y = start.year + (0 if ey == "元" else int(ey) - 1)
    try:
        value = date(y, mo, d)
    except ValueError:
        raise BadDate(f"{label}「{text}」は存在しない日付です。") from None
    if not 1868 <= value.year <= 2200:
        raise BadDate(f"{label}「{text}」は範囲外の日付です。")
    return value


def date_field(raw: str | None, *, label: str, errors: dict[str, str], key: str, required: bool = False,
               not_after: date | None = None) -> date | None:
    """A date typed into a form: the date, or None with the Japanese message put in `errors[key]` (empty and
    `required`; unreadable; later than `not_after`, e.g. today for a date something was done). Empty and not
    required gives None and no message."""
    if not (raw or "").strip():
        if required:
            errors[key] = f"{label}を入力してください。"
        return None
    try:
        value = parse_date(raw or "", label=label)
    except BadDate as exc:
        errors[key] = str(exc)
        return None
    if not_after is not None and value > not_after:
        errors[key] = f"{label}に未来の日付は指定できません。"
        return None
    return value
