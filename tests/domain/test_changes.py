"""The item-level diff behind the 変更箇所 and the ※ classification (app/domain/changes.py, pure)."""
from __future__ import annotations

import copy

import pytest

from app.domain import changes as ch
from app.services import catalogue

FILES = [("f1", "住民基本台帳ファイル"), ("f2", "本人確認情報ファイル")]


@pytest.fixture(scope="module")
def d():
    return catalogue.definition("full", "r06-10")


def base() -> dict:
    return {
        "": {"V.1.1": "しののめ市 市民課", "I.1.2": "住民基本台帳の記録を行う。"},
        "f1": {"II.6.1": "庁舎内のサーバ室", "III.2.r2.m": {"external": [{"id": "m1", "text": "本人確認書類で確認する。"}],
                                                    "staff": [{"id": "m2", "text": "職員に研修を行う。"}]},
               "II.4.rows": [{"_id": "r1", "II.4.rows.name": "システム運用保守", "II.4.rows.7": "再委託しない"},
                             {"_id": "r2", "II.4.rows.name": "窓口業務", "II.4.rows.7": "再委託しない"}]},
        "f2": {"II.6.1": "データセンター"},
    }


def diff(d, old, new, old_files=FILES, new_files=FILES, **kw):
    return ch.diff(d, old, old_files, d, new, new_files, **kw)


def changed(values: dict, uid: str, item: str, value) -> dict:
    out = copy.deepcopy(values)
    out.setdefault(uid, {})[item] = value
    return out


def test_no_change_gives_no_rows(d):
    assert diff(d, base(), base()) == []


@pytest.mark.parametrize(("old", "new"), [(None, ""), ("", None), (None, []), ({"external": [], "staff": []}, None),
                                     ({"external": [{"id": "x", "text": "  "}], "staff": []}, None)])
def test_empty_to_empty_is_not_a_change(d, old, new):
    item = "III.2.r2.m" if isinstance(old, dict) or isinstance(new, dict) else "V.1.2"
    assert diff(d, changed(base(), "f1" if item.startswith("III") else "", item, old),
                changed(base(), "f1" if item.startswith("III") else "", item, new)) == []


def test_a_plain_item_change_is_one_row_with_its_number_and_label(d):
    rows = diff(d, base(), changed(base(), "", "V.1.1", "しののめ市 市民課(本庁舎1階)"))
    assert len(rows) == 1
    r = rows[0]
    assert (r.item_id, r.file_uid, r.label, r.before, r.after, r.important) == (
        "V.1.1", "", "Ⅴ 1.①請求先", "しののめ市 市民課", "しののめ市 市民課(本庁舎1階)", False)
    assert r.key == "|V.1.1"


def test_a_per_file_star_item_names_its_file_and_is_important(d):
    rows = diff(d, base(), changed(base(), "f2", "II.6.1", "ガバメントクラウド"))
    assert [(r.label, r.file_uid, r.important) for r in rows] == [("【本人確認情報ファイル】Ⅱ 6.①保管場所", "f2", True)]


def test_measures_compare_both_audiences_by_text(d):
    old = base()
    new = copy.deepcopy(old)
    m = new["f1"]["III.2.r2.m"]
    m["external"][0]["text"] = "本人確認書類で確認する。 "  # whitespace only
    assert diff(d, old, new) == []
    m["staff"].append({"id": "m3", "text": "アクセスログを年2回分析する。"})
    rows = diff(d, old, new)
    assert len(rows) == 1 and rows[0].important
    assert "【職員に対する措置】" in rows[0].after and "アクセスログを年2回分析する。" in rows[0].after
    # moving a measure to the other audience is a change too
    moved = copy.deepcopy(old)
    moved["f1"]["III.2.r2.m"] = {"external": [], "staff": old["f1"]["III.2.r2.m"]["external"]
                                 + old["f1"]["III.2.r2.m"]["staff"]}
    assert len(diff(d, old, moved)) == 1


def test_group_rows_added_removed_and_changed(d):
    old = base()
    new = copy.deepcopy(old)
    rows = new["f1"]["II.4.rows"]
    rows[0]["II.4.rows.7"] = "再委託する"                                  # a ※ column changes
    del rows[1]                                                            # a row is removed
    rows.append({"_id": "r3", "II.4.rows.name": "コールセンター"})            # a row is added
    found = diff(d, old, new)
    by_key = {r.key: r for r in found}
    assert set(by_key) == {"f1|II.4.rows|r1|II.4.rows.7", "f1|II.4.rows|r3", "f1|II.4.rows|r2"}
    assert by_key["f1|II.4.rows|r1|II.4.rows.7"].important and by_key["f1|II.4.rows|r1|II.4.rows.7"].item_id == "II.4.rows.7"
    assert by_key["f1|II.4.rows|r3"].label.endswith("(追加)") and "コールセンター" in by_key["f1|II.4.rows|r3"].after
    assert by_key["f1|II.4.rows|r2"].label.endswith("(削除)") and by_key["f1|II.4.rows|r2"].after == "-"
    assert by_key["f1|II.4.rows|r3"].important  # the group has a ※ column


def test_files_added_removed_and_renamed(d):
    new_files = [("f1", "住民基本台帳ファイル(改)"), ("f3", "送付先情報ファイル")]
    found = {r.label: r for r in diff(d, base(), base(), new_files=new_files)}
    assert set(found) == {"特定個人情報ファイル名", "特定個人情報ファイルの追加", "特定個人情報ファイルの削除"}
    assert all(r.item_id == ch.FILE_ITEM and r.important for r in found.values())
    assert found["特定個人情報ファイルの削除"].before == "本人確認情報ファイル"


def test_page_filter_limits_the_comparison(d):
    new = changed(changed(base(), "", "V.1.1", "別の窓口"), "f1", "II.6.1", "別の場所")
    assert [r.item_id for r in diff(d, base(), new, only_items={"II.6.1"}, only_file="f1")] == ["II.6.1"]
    assert diff(d, base(), new, only_items={"II.6.1"}, only_file="f2") == []
    assert [r.item_id for r in diff(d, base(), new, only_items={"V.1.1"}, only_file="")] == ["V.1.1"]


@pytest.mark.parametrize(("classes", "forced", "kind"), [
    ({}, False, "correction"),
    ({"f1|II.6.1": "formal"}, False, "correction"),
    ({"f1|II.6.1": "risk_reducing", "|I.1.2": "correction"}, False, "correction"),
    ({"f1|II.6.1": "formal", "|I.1.2": "important"}, False, "reassessment"),
    ({}, True, "reassessment"),
])
def test_kind_of(classes, forced, kind):
    assert ch.kind_of(classes, forced_reassessment=forced) == kind


def test_unclassified_asks_once_per_item_and_file(d):
    new = changed(changed(base(), "f1", "II.6.1", "A"), "f2", "II.6.1", "B")
    new = changed(new, "", "V.1.1", "別の窓口")
    found = diff(d, base(), new)
    waiting = ch.unclassified(found, {})
    assert [(c.file_uid, c.item_id) for c in waiting] == [("f1", "II.6.1"), ("f2", "II.6.1")]  # not the 非※ Ⅴ item
    assert [(c.file_uid, c.item_id) for c in ch.unclassified(found, {ch.class_key("f1", "II.6.1"): "formal"})] == [
        ("f2", "II.6.1")]


@pytest.mark.parametrize(("item", "expected"), [
    ("II.6.1", True), ("V.1.1", False), ("II.4.rows", True), ("II.4.rows.name", False), ("II.4.rows.7", True),
    (ch.FILE_ITEM, True), ("no.such.item", False), ("III.7.r1.9", False),   # 7.リスク1⑨ is not ※
])
def test_classifiable(d, item, expected):
    assert ch.classifiable(d, item) is expected


def test_every_class_has_the_official_wording():
    assert ch.CLASSES == {
        "important": "重要な変更",
        "risk_reducing": "重要な変更に当たらない(リスクを明らかに軽減する変更)",
        "formal": "重要な変更に当たらない(形式的な変更)",
        "correction": "評価書の修正",
    }
