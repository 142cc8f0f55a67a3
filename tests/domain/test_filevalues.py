"""Issue 15 §2: reading one answer from the text a filled 評価書 prints (app/domain/filevalues.py), type by type."""
from __future__ import annotations

import pytest

from app.domain.filevalues import marks, parse_value, split_measures
from app.domain.forms import Item

JUDGE = Item(id="j", label="リスクへの対策は十分か", type="judgement", recall=True,
             choices=["特に力を入れている", "十分である", "課題が残されている"])
MULTI = Item(id="m", label="入手方法", type="multi", recall=True, choices=["紙", "電子メール", "専用線"])
MTEXT = Item(id="t", label="入手元", type="multi_text", recall=True,
             choices=["本人又は本人の代理人", {"label": "その他", "text": True}])
NUM = Item(id="n", label="委託の件数", type="number", unit="件", recall=True)
PEOPLE = Item(id="p", label="人数", type="number", unit="人", recall=True)
DATE = Item(id="d", label="公表日", type="date", recall=True)
TEXT = Item(id="x", label="事務の名称", type="text", recall=True)
MEAS = Item(id="r", label="措置の内容", type="measures", recall=True)


@pytest.mark.parametrize(("text", "value"), [
    ("[ 十分である ]\n<選択肢> 1) 特に力を入れている 2) 十分である\n3) 課題が残されている", "十分である"),
    ("[十分である]", "十分である"),
    ("［ 十分である ］", "十分である"),
    ("■ 特に力を入れている　□ 十分である　□ 課題が残されている", "特に力を入れている"),
    ("□特に力を入れている ☑十分である □課題が残されている", "十分である"),
    ("[ ] 特に力を入れている [○] 課題が残されている", "課題が残されている"),
    ("十分である", "十分である"),
    ("[ 十 分 で あ る ]", "十分である"),
    ("-", None), ("", None), ("[ ]\n<選択肢> 1) 特に力を入れている", None), ("(非公表)", None),
])
def test_choice(text, value):
    assert parse_value(JUDGE, text).value == value and not parse_value(JUDGE, text).problem


@pytest.mark.parametrize("text", ["[ よくできている ]", "■ 特に力を入れている ■ 十分である", "たぶん十分"])
def test_choice_not_read(text):
    got = parse_value(JUDGE, text)
    assert got.value is None and got.problem


@pytest.mark.parametrize(("text", "value"), [
    ("[○] 紙　[ ] 電子メール　[○] 専用線", ["紙", "専用線"]),
    ("■紙 □電子メール ■専用線", ["紙", "専用線"]),
    ("☑ 電子メール ☐ 紙", ["電子メール"]),
    ("[●] 専用線\n[ ] 紙", ["専用線"]),
    ("紙、専用線", ["紙", "専用線"]),
    ("[ ] 紙 [ ] 電子メール", []),      # nothing checked (the reader counts it as empty)
])
def test_multi(text, value):
    assert parse_value(MULTI, text).value == value


def test_multi_unknown_checked_option_is_a_problem():
    assert parse_value(MULTI, "[○] 紙 [○] 伝書鳩").problem


@pytest.mark.parametrize(("text", "value"), [
    ("[○] 本人又は本人の代理人　[○] その他 ( 都道府県サーバ、全国サーバ(機構) )",
     {"checked": ["本人又は本人の代理人", "その他"], "texts": {"その他": "都道府県サーバ、全国サーバ(機構)"}}),
    ("□ 本人又は本人の代理人 ■ その他(中間サーバー)", {"checked": ["その他"], "texts": {"その他": "中間サーバー"}}),
    ("■ その他", {"checked": ["その他"], "texts": {}}),
])
def test_multi_text(text, value):
    assert parse_value(MTEXT, text).value == value


@pytest.mark.parametrize(("item", "text", "value"), [
    (NUM, "3件", 3), (NUM, "3", 3), (NUM, "３件", 3), (PEOPLE, "1,234人", 1234), (PEOPLE, "12 345 人", 12345),
])
def test_number(item, text, value):
    assert parse_value(item, text).value == value


def test_number_not_read():
    assert parse_value(NUM, "三件").problem


@pytest.mark.parametrize(("text", "value"), [
    ("令和3年3月15日", "2021-03-15"), ("令和 3 年 3 月 15 日", "2021-03-15"), ("令和元年5月1日", "2019-05-01"),
    ("平成27年10月5日", "2015-10-05"), ("R7.4.1", "2025-04-01"), ("2025-04-01", "2025-04-01"),
])
def test_date(text, value):
    assert parse_value(DATE, text).value == value


def test_date_not_read():
    assert parse_value(DATE, "来年の春").problem


def test_text_keeps_dash_and_lines():
    assert parse_value(TEXT, " 住民基本台帳に関する事務 ").value == "住民基本台帳に関する事務"
    assert parse_value(TEXT, "-").value == "-"


@pytest.mark.parametrize(("text", "external", "staff", "system", "unassigned"), [
    ("【市民・事業者・委託先等に対する措置】\n・A\n・B\n【職員に対する措置】\n・C", ["A", "B"], ["C"], [], 0),
    ("【職員に対する措置】\n1. C\n2. D\n【システムにおける措置】\n(1) E", [], ["C", "D"], ["E"], 0),
    ("【職員】\n① C\n② D", [], ["C", "D"], [], 0),
    ("・A\n　続き\n・B", ["A\n続き", "B"], [], [], 2),      # no heading: unassigned, kept with 市民・事業者等
    ("Aをしている。\nBをしている。", ["Aをしている。", "Bをしている。"], [], [], 2),   # no marks: one per line
    ("【市民・事業者・委託先等に対する措置】\n・受付・入力・照会を分ける", ["受付・入力・照会を分ける"], [], [], 0),
])
def test_measures(text, external, staff, system, unassigned):
    groups, n = split_measures(text)
    assert (groups["external"], groups["staff"], groups["system"], n) == (external, staff, system, unassigned)
    value = parse_value(MEAS, text).value
    assert [m["text"] for m in value["external"]] == external and all(m["id"] for m in value["external"])


def test_marks():
    assert marks("[○] A　[ ] B ■ C □ D") == [(True, "A"), (False, "B"), (True, "C"), (False, "D")]
