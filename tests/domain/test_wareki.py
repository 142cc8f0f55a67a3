from datetime import date

import pytest

from app.domain.wareki import BadDate, fiscal_year_label, parse_date, wareki, wareki_compact


@pytest.mark.parametrize(("d", "text"), [
    (date(2025, 4, 1), "令和7年4月1日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    (date(1989, 1, 7), "昭和64年1月7日"),
    (date(2020, 1, 1), "令和2年1月1日"),
    (date(2026, 12, 31), "令和8年12月31日"),
])
def test_wareki(d, text):
    assert wareki(d) == text
    assert parse_date(text) == d


def test_empty_and_compact():
    assert wareki(None, empty="-") == "-"
    assert wareki_compact(date(2025, 4, 1)) == "R070401"
    assert wareki_compact(date(2019, 4, 30)) == "H310430"


@pytest.mark.parametrize(("d", "label"), [
    (date(2025, 4, 1), "令和7年度"), (date(2026, 3, 31), "令和7年度"), (date(2019, 4, 1), "令和元年度"),
    (date(2019, 3, 31), "平成30年度"),
])
def test_fiscal_year(d, label):
    assert fiscal_year_label(d) == label


@pytest.mark.parametrize("text", ["2025-04-01", "2025/4/1", "令和7年4月1日", "R7.4.1", "r7.4.1", "２０２５－０４－０１"])
def test_parse_variants(text):
    assert parse_date(text) == date(2025, 4, 1)


@pytest.mark.parametrize(("text", "fragment"), [
    ("2025-02-30", "存在しない日付"), ("令和7年2月29日", "存在しない日付"), ("tomorrow", "形式"), ("", "入力"),
    ("0001-01-01", "範囲外"),
])
def test_parse_errors(text, fragment):
    with pytest.raises(BadDate) as exc:
        parse_date(text)
    assert fragment in str(exc.value)


def test_wareki_datetime_is_japan_time():
    from datetime import UTC, datetime

    from app.domain.wareki import wareki_datetime

    assert wareki_datetime(datetime(2026, 11, 19, 15, 5, tzinfo=UTC)) == "令和8年11月20日 0:05"  # JST is UTC+9
    assert wareki_datetime(datetime(2019, 5, 1, 1, 2, 3), seconds=True) == "令和元年5月1日 10:02:03"  # naive = UTC
    assert wareki_datetime(None, empty="-") == "-"


@pytest.mark.parametrize(("raw", "required", "not_after", "value", "message"), [
    ("2025-04-01", False, None, date(2025, 4, 1), None),
    ("令和7年4月1日", True, date(2025, 4, 1), date(2025, 4, 1), None),          # the bound itself is allowed
    ("", False, None, None, None),                                              # empty and optional: nothing said
    ("  ", True, None, None, "受付日を入力してください。"),
    (None, True, None, None, "受付日を入力してください。"),
    ("2025-02-30", False, None, None, "受付日「2025-02-30」は存在しない日付です。"),
    ("来週", True, None, None, "受付日は「2025-04-01」または「令和7年4月1日」の形式で入力してください。"),
    ("2025-04-02", True, date(2025, 4, 1), None, "受付日に未来の日付は指定できません。"),
])
def test_a_date_field_gives_the_date_or_one_japanese_message(raw, required, not_after, value, message):
    from app.domain.wareki import date_field

    errors: dict[str, str] = {}
    got = date_field(raw, label="受付日", errors=errors, key="received_on", required=required, not_after=not_after)
    assert got == value
    assert errors == ({"received_on": message} if message else {})
