"""formverify: normalisation, numbers, choices, and the item-by-item alignment (table tests)."""
from __future__ import annotations

import copy

import pytest

from app.domain.formverify import (
    Expected,
    Found,
    align,
    canon_number,
    definition_digest,
    expected_entries,
    join_wrapped,
    normalize,
    parse_choices,
    parse_rows,
    split_number,
    verify,
)
from app.services.catalogue import catalogue


@pytest.mark.parametrize(("a", "b"), [
    ("特定個人情報ファイル名", "特定個人情報ファイル名"),
    ("システム１", "システム1"),                          # full width digits
    ("ＡＢＣ（ｘ）", "ABC(x)"),                            # full width letters and brackets
    ("事務の 名称", "事務の名称"),                         # half-width space
    ("事務の\u3000名称", "事務の名称"),                     # U+3000
    ("事務の\n名称", "事務の名称"),                         # a line break
    ("「委託しない」を選択", "委託しないを選択"),            # 「」
    ("基本情報 ※", "基本情報"),                            # trailing ※
    ("リスク対策 ※(7.リスク1⑨を除く。)", "リスク対策"),    # trailing ※ with its note
    ("ｶﾅ", "カナ"),                                       # half-width katakana
])
def test_normalize_equal(a, b):
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(("a", "b"), [
    ("事務の名称", "事務の内容"),
    ("※ 注記のある項目名", "注記のある項目名"),    # ※ at the start is kept
    ("対象人数", "対象人数等"),
])
def test_normalize_different(a, b):
    assert normalize(a) != normalize(b)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("①", "(1)", True), ("①", "（１）", True), ("①", "1)", True), ("⑩", "(10)", True),
    ("1.", "1．", True), ("1.", "１.", True), ("Ⅲ", "III", True), ("リスク1:", "リスク１：", True),
    ("(別添1)", "（別添１）", True),
    ("1.", "(1)", False), ("①", "②", False), ("Ⅱ", "Ⅲ", False), ("リスク1:", "リスク2:", False),
])
def test_canon_number(a, b, same):
    assert (canon_number(a) == canon_number(b)) is same


@pytest.mark.parametrize(("text", "number", "label"), [
    ("1. 基本情報", "1.", "基本情報"),
    ("1.基本情報", "1.", "基本情報"),
    ("①事務の名称", "①", "事務の名称"),
    ("(2) 事務の内容", "(2)", "事務の内容"),
    ("３） 対象人数", "３）", "対象人数"),
    ("リスク1： 目的外の入手が行われるリスク", "リスク1：", "目的外の入手が行われるリスク"),
    ("Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策", "Ⅲ", "特定個人情報ファイルの取扱いプロセスにおけるリスク対策"),
    ("(別添1) 事務の内容", "(別添1)", "事務の内容"),
    ("(別添 1) 事務の内容", "(別添 1)", "事務の内容"),        # pdftotext puts a space before a digit
    ("リスク 1: 目的外の入手", "リスク 1:", "目的外の入手"),
    ("1,000人未満", "", "1,000人未満"),          # a number that is not an item number
    ("10万人以上", "", "10万人以上"),
    ("IT 基盤", "", "IT 基盤"),                  # a Latin word is not a Roman numeral
    ("評価書名", "", "評価書名"),
])
def test_split_number(text, number, label):
    assert split_number(text) == (number, label)


@pytest.mark.parametrize(("text", "choices"), [
    ("＜選択肢＞\n1) 実施する\n2) 実施しない\n3) 未定", ["実施する", "実施しない", "未定"]),
    ("＜選択肢＞ 1) 実施する 2) 実施しない", ["実施する", "実施しない"]),
    ("□ 実施する □ 実施しない", ["実施する", "実施しない"]),
    ("[ ] 委託する\n[ ] 委託しない", ["委託する", "委託しない"]),
    ("＜選択肢＞\n1) 1,000人未満(任意実施)\n2) 1,000人以上1万人未満",
     ["1,000人未満(任意実施)", "1,000人以上1万人未満"]),
])
def test_parse_choices(text, choices):
    assert parse_choices(text) == choices


E = [Expected("title", "", "表題", None), Expected("section:I", "Ⅰ", "基本情報", None),
     Expected("a", "1.", "事務の名称", None), Expected("b", "2.", "対象人数", ("1万人未満", "1万人以上")),
     Expected("c", "", "リスクへの対策は十分か", ("十分である", "課題が残されている")),
     Expected("d", "3.", "担当部署", None)]


def F(number, label, choices=None):
    return Found(number=number, label=label, where="w", choices=choices)


EXACT = [F("", "表題"), F("Ⅰ", "基本情報"), F("1.", "事務の名称"), F("2.", "対象人数", ["1万人未満", "1万人以上"]),
         F("", "リスクへの対策は十分か"), F("3.", "担当部署")]


def _statuses(found):
    return [(r.status, r.key, r.what) for r in align(E, found).rows]


@pytest.mark.parametrize(("name", "found", "expected"), [
    ("exact", EXACT, [("match", e.key, ()) for e in E]),
    ("width and numbering", [F("", "表題"), F("I", "基本情報"), F("１．", "事務の\u3000名称"),
                             F("2.", "対象人数", ["１万人未満", "1万人以上"]), F("", "リスクへの対策は十分か"),
                             F("3.", "担当部署 ※")], [("match", e.key, ()) for e in E]),
    ("one differing label", EXACT[:2] + [F("1.", "事務の名称等")] + EXACT[3:],
     [("match", "title", ()), ("match", "section:I", ()), ("differs", "a", ("label",)), ("match", "b", ()),
      ("match", "c", ()), ("match", "d", ())]),
    ("differing choices", EXACT[:3] + [F("2.", "対象人数", ["1万人未満", "1万人以上", "10万人以上"])] + EXACT[4:],
     [("match", "title", ()), ("match", "section:I", ()), ("match", "a", ()), ("differs", "b", ("choices",)),
      ("match", "c", ()), ("match", "d", ())]),
    ("renumbered", EXACT[:5] + [F("4.", "担当部署")],
     [("match", e.key, ()) for e in E[:5]] + [("differs", "d", ("number",))]),
    ("one missing", EXACT[:2] + EXACT[3:],
     [("match", "title", ()), ("match", "section:I", ()), ("missing", "a", ()), ("match", "b", ()),
      ("match", "c", ()), ("match", "d", ())]),
    ("one extra", EXACT[:3] + [F("(1)", "事務の概要")] + EXACT[3:],
     [("match", "title", ()), ("match", "section:I", ()), ("match", "a", ()), ("extra", "", ()),
      ("match", "b", ()), ("match", "c", ()), ("match", "d", ())]),
    ("empty file", [], [("missing", e.key, ()) for e in E]),
])
def test_align(name, found, expected):
    assert _statuses(found) == expected


def test_align_is_deterministic_and_counts():
    found = EXACT[:2] + [F("1.", "事務の名称等")] + EXACT[4:] + [F("9.", "余分")]
    first = align(E, found)
    assert [r.as_dict() for r in first.rows] == [r.as_dict() for r in align(E, copy.deepcopy(found)).rows]
    assert first.counts == {"match": 4, "differs": 1, "missing": 1, "extra": 1}
    assert first.differences == 3 and not first.ok
    assert "相違 1" in first.summary()


def test_differs_keeps_both_texts():
    row = align(E, EXACT[:2] + [F("1.", "事務の名称等")] + EXACT[3:]).rows[2]
    assert (row.expected, row.found, row.found_label) == ("1. 事務の名称", "1. 事務の名称等", "事務の名称等")


def test_parse_rows_table_layout_and_prose():
    rows = [("p1", ["特定個人情報保護評価書(全項目評価書)"]), ("p2", ["[令和6年10月 様式4]"]),
            ("p3", ["※ 記載に当たっては記載要領を参照すること。"]), ("p4", ["この様式は記載例です。"]),
            ("p5", ["委託しない場合は記載不要。"]),
            ("t1", ["①", "実施の有無", "＜選択肢＞\n1) 実施する\n2) 実施しない"]), ("t2", ["", "", ""]),
            ("t3", ["2. 特定個人情報ファイル名"])]
    exp = [Expected("title", "", "特定個人情報保護評価書(全項目評価書)", None),
           Expected("n", "", "委託しない場合は記載不要。", None),   # a label that ends like a sentence is kept
           Expected("a", "①", "実施の有無", ("実施する", "実施しない")), Expected("b", "2.", "特定個人情報ファイル名", None)]
    found = join_wrapped(parse_rows(rows), exp)
    assert [(f.number, f.label, f.choices) for f in found] == [
        ("", "特定個人情報保護評価書(全項目評価書)", None), ("", "委託しない場合は記載不要。", None),
        ("①", "実施の有無", ["実施する", "実施しない"]), ("2.", "特定個人情報ファイル名", None)]
    assert align(exp, found).ok


def test_a_wrapped_choice_beside_a_wrapped_label():
    exp = [Expected("x", "", "再委託先による取扱いの確保", ("特に力を入れて行っている", "十分に行っている"))]
    rows = [("1", ["再委託先による取扱い", "＜選択肢＞"]), ("2", ["", "1) 特に力を入れて行って"]),
            ("3", ["の確保", "いる"]), ("4", ["", "2) 十分に行っている"])]
    found = join_wrapped(parse_rows(rows), exp)
    assert [r.status for r in align(exp, found).rows] == ["match"]
    assert found[0].choices == ["特に力を入れて行っている", "十分に行っている"]


def test_join_wrapped_lines_of_a_text_file():
    exp = [Expected("x", "1.", "特定個人情報ファイルを取り扱う事務", None),
           Expected("y", "", "評価対象の事務の対象人数は何人か", ("1,000人未満(任意実施)", "1,000人以上1万人未満")),
           Expected("z", "", "いつ時点の計数か", None)]
    rows = [("1", ["1.", "特定個人情報ファイルを取"]), ("2", ["り扱う事務"]),
            ("3", ["評価対象の事務の対象人数", "＜選択肢＞"]), ("4", ["は何人か", "1) 1,000 人未満(任意実"]),
            ("5", ["施)"]), ("6", ["2) 1,000 人以上 1 万人未"]), ("7", ["満"]), ("8", ["いつ時点の計数か"])]
    parsed = parse_rows(rows)
    before = copy.deepcopy(parsed)
    found = join_wrapped(parsed, exp)
    assert parsed == before  # the pieces are copied, not changed
    assert [r.status for r in align(exp, found).rows] == ["match", "match", "match"]
    assert [normalize(c) for c in found[1].choices] == ["1,000人未満(任意実施)", "1,000人以上1万人未満"]


@pytest.mark.parametrize("key", ["basic/r06-10", "focused/r06-10", "full/r06-10", "full/h30-05"])
def test_every_shipped_definition_verifies_against_itself(key):
    d = catalogue().get(*key.split("/"))
    rows = [(str(i), [e.number, e.label] + (["＜選択肢＞\n" + "\n".join(f"{k}) {c}" for k, c in
                                                                        enumerate(e.choices, 1))] if e.choices else []))
            for i, e in enumerate(expected_entries(d))]
    result = verify(d, rows)
    assert result.ok, [r for r in result.rows if r.status != "match"][:5]
    assert result.counts["match"] == len(expected_entries(d))


def _walk(item):
    yield item
    for child in item.children:
        yield from _walk(child)


def test_expected_entries_cover_headings_items_and_choices():
    d = catalogue().get("full", "r06-10")
    entries = expected_entries(d)
    keys = [e.key for e in entries]
    assert keys[0] == "title" and "section:cover" not in keys and "section:III" in keys
    order = [i.id for s in d.sections for top in s.items for i in _walk(top) if i.label]
    assert [k for k in keys if not k.startswith(("title", "section:", "toc:", "item_list"))] == order
    toc = keys[keys.index("item_list") + 1:keys.index("section:I")]
    assert toc == [f"toc:{s.id}" for s in d.sections if s.kind != "cover" and s.toc]
    assert "item_list" not in [e.key for e in expected_entries(catalogue().get("basic", "r06-10"))]
    judgement = next(e for e in entries if d.has(e.key) and d.item(e.key).type == "judgement")
    assert judgement.choices == tuple(d.manifest.judgement.choices)


def test_digest_changes_with_any_printed_wording_and_only_then():
    d = catalogue().get("basic", "r06-10")
    base = definition_digest(d)
    assert base == definition_digest(d) and len(base) == 64
    changed = copy.deepcopy(d)
    changed.sections[1].items[0].label += "等"
    assert definition_digest(changed) != base
    helped = copy.deepcopy(d)
    helped.sections[1].items[0].help = "説明だけを変えた"
    assert definition_digest(helped) == base
    reordered = copy.deepcopy(d)
    reordered.sections[1].items.reverse()
    assert definition_digest(reordered) != base
