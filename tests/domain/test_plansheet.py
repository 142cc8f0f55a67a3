"""計画管理書 rows → register lines: header synonyms, 和暦 and western dates, kinds, numbers (table tests)."""
from datetime import date, datetime

import pytest

from app.domain import plansheet as ps

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(("header", "field"), [
    ("評価書番号", "number"), (" 評価書番号 ", "number"), ("番号", "number"), ("No.", "number"), ("ＮＯ", "number"),
    ("評価書名", "title"), ("評価書の名称", "title"),
    ("事務の名称", "jimu"), ("事務名", "jimu"), ("事務", "jimu"),
    ("評価の種類", "form"), ("実施する評価", "form"), ("評価書の種類", "form"), ("種類", "form"),
    ("公表日", "published_on"), ("公表年月日", "published_on"), ("直近の公表日", "published_on"),
    ("公表日(和暦)", "published_on"), ("公表日（和暦）", "published_on"), ("公表日※", "published_on"),
    ("提出日", "submitted_on"), ("委員会への提出日", "submitted_on"),
    ("しきい値判断の結果", "threshold"), ("しきい値判断結果", "threshold"),
    ("担当部署", "department"), ("担当課", "department"), ("所管課", "department"), ("担当部署【課】", "department"),
    ("備考", "note"),
    # our own export: computed columns are known and not imported
    ("義務付けられる評価", ps.IGNORE), ("次回の見直し期限", ps.IGNORE), ("再実施の期限", ps.IGNORE),
    ("しきい値判断日", ps.IGNORE), ("対象人数", ps.IGNORE),
    # not recognised: left to the user's mapping
    ("連絡先", None), ("評価実施機関", None), ("", None), (None, None),
])
def test_match_header(header, field):
    assert ps.match_header(header) == field


def test_match_headers_unknown_duplicate_and_chosen():
    headers = ["番号", "事務の名称", "区分", "公表日", "公表年月日", "", "メールアドレス"]
    mapping, unknown = ps.match_headers(headers)
    assert mapping == {0: "number", 1: "jimu", 3: "published_on"}
    assert unknown == [2, 4, 6]  # 区分 unknown; a second 公表日 column; an unknown header (the empty one is skipped)
    mapping, unknown = ps.match_headers(headers, {2: "form", 4: ps.IGNORE, 6: ps.IGNORE})
    assert mapping == {0: "number", 1: "jimu", 2: "form", 3: "published_on", 4: ps.IGNORE, 6: ps.IGNORE}
    assert unknown == []


def test_missing_fields():
    assert ps.missing_fields({0: "number", 1: "jimu", 2: "form"}) == []
    assert ps.missing_fields({0: "number", 1: "title"}) == []  # the 評価書名 names the 事務 and the kind
    assert ps.missing_fields({0: "jimu"}) == ["評価書番号", "評価の種類"]
    assert ps.missing_fields({}) == ["評価書番号", "事務の名称(または評価書名)", "評価の種類"]


@pytest.mark.parametrize(("text", "form"), [
    ("基礎", "basic"), ("基礎項目評価書", "basic"), ("基礎項目評価", "basic"), ("重点", "focused"),
    ("重点項目評価書", "focused"), ("全項目", "full"), ("全項目評価書", "full"), (" 全項目評価 ", "full"),
])
def test_parse_form(text, form):
    assert ps.parse_form(text) == form


@pytest.mark.parametrize("text", ["", "その他", "基礎・全項目", None])
def test_parse_form_refused(text):
    with pytest.raises(ValueError, match="評価の種類"):
        ps.parse_form(text)


@pytest.mark.parametrize(("value", "expected"), [
    ("令和3年4月1日", date(2021, 4, 1)), ("令和元年5月1日", date(2019, 5, 1)), ("R3.4.1", date(2021, 4, 1)),
    ("r3.4.1", date(2021, 4, 1)), ("Ｒ３．４．１", date(2021, 4, 1)), ("H31.4.30", date(2019, 4, 30)),
    ("平成30年12月1日", date(2018, 12, 1)), ("2021/4/1", date(2021, 4, 1)), ("2021-04-01", date(2021, 4, 1)),
    ("2021.4.1", date(2021, 4, 1)), ("2021年4月1日", date(2021, 4, 1)), ("2021-04-01 00:00:00", date(2021, 4, 1)),
    ("令和3年4月1日(木)", date(2021, 4, 1)), (datetime(2021, 4, 1, 0, 0), date(2021, 4, 1)),
    (date(2021, 4, 1), date(2021, 4, 1)), ("", None), (None, None), ("-", None),
])
def test_parse_cell_date(value, expected):
    assert ps.parse_cell_date(value, "公表日") == expected


@pytest.mark.parametrize("value", ["令和3年2月30日", "2021/13/1", "来年度", "R3"])
def test_parse_cell_date_refused(value):
    with pytest.raises(ValueError, match="公表日"):
        ps.parse_cell_date(value, "公表日")


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1), ("001", 1), ("１２", 12), (12, 12), (12.0, 12), ("12.0", 12), ("No.7", 7), ("第3号", 3), (999_999, 999_999),
])
def test_parse_number(value, expected):
    assert ps.parse_number(value) == expected


@pytest.mark.parametrize("value", ["", None, "0", "1000000", "A-1", 1.5, True, "-3"])
def test_parse_number_refused(value):
    with pytest.raises(ValueError, match="評価書番号"):
        ps.parse_number(value)


@pytest.mark.parametrize(("title", "jimu", "form"), [
    ("住民基本台帳に関する事務 基礎項目評価書", "住民基本台帳に関する事務", "basic"),
    ("住民基本台帳に関する事務　全項目評価書(案)", "住民基本台帳に関する事務", "full"),
    ("国民健康保険に関する事務重点項目評価書", "国民健康保険に関する事務", "focused"),
    ("児童手当の支給に関する事務", "児童手当の支給に関する事務", None),
])
def test_title(title, jimu, form):
    assert ps.jimu_from_title(title) == jimu
    assert ps.form_in_title(title) == form


MAPPING = {0: "number", 1: "jimu", 2: "form", 3: "published_on", 4: "submitted_on", 5: "department", 6: "note"}


def test_read_line_full():
    p = ps.read_line(5, ["3", "児童手当の支給に関する事務", "基礎項目評価書", "R3.4.1", "令和3年3月20日", "こども家庭課", "x"],
                     MAPPING, TODAY)
    assert (p.line, p.number, p.jimu, p.form, p.published_on, p.submitted_on, p.department, p.note, p.errors) == (
        5, 3, "児童手当の支給に関する事務", "basic", date(2021, 4, 1), date(2021, 3, 20), "こども家庭課", "x", [])


def test_read_line_title_only():
    p = ps.read_line(2, ["4", "個人住民税の賦課徴収に関する事務 全項目評価書"], {0: "number", 1: "title"}, TODAY)
    assert (p.jimu, p.form, p.errors) == ("個人住民税の賦課徴収に関する事務", "full", [])


@pytest.mark.parametrize(("cells", "message"), [
    (["", "事務A", "基礎", "R3.4.1"], "評価書番号がありません"),
    (["1", "", "基礎", "R3.4.1"], "事務の名称"),
    (["1", "事務A", "", "R3.4.1"], "評価の種類がありません"),
    (["1", "事務A", "基礎", "R9.4.1"], "未来の日付"),
    (["1", "事務A", "基礎", "R3.4.1", "R3.5.1"], "提出日が公表日より後"),
    (["1", "事務A", "基礎", "", "R3.5.1"], "公表日がありません"),
    (["1", "事務A", "基礎", "R3.2.30"], "存在しない日付"),
])
def test_read_line_errors(cells, message):
    p = ps.read_line(2, cells, MAPPING, TODAY)
    assert any(message in e for e in p.errors), p.errors


def test_read_line_empty_and_ignored():
    assert ps.read_line(2, ["", None, " "], MAPPING, TODAY) is None
    assert ps.read_line(2, ["", "", "", "", "", "", "", "x"], {**MAPPING, 7: ps.IGNORE}, TODAY) is None


def test_read_lines_duplicates():
    rows = [(2, ["1", "事務A", "基礎", "R3.4.1"]), (3, ["", "", ""]), (4, ["2", "事務Ａ", "基礎", "R3.4.1"]),
            (5, ["1", "事務B", "基礎", "R3.4.1"]), (6, ["1", "事務A", "全項目", "R3.4.1"])]
    lines = ps.read_lines(rows, MAPPING, TODAY)
    assert [p.line for p in lines] == [2, 4, 5, 6]
    assert lines[0].errors == [] and lines[3].errors == []  # 基礎 and 全項目 of one 事務 share a number
    assert "2行目と同じ評価書" in lines[1].errors[0]
    assert "2行目と評価書番号・種類が同じ" in lines[2].errors[0]
