"""共通記載 rules (pure): placing a block at each level, the 固定 guard, the inline diff, the three-way rebase."""
from __future__ import annotations

import itertools

import pytest

from app.domain import blocks as B
from app.domain import campaign as C
from app.domain.forms import AUDIENCES


def ids():
    n = itertools.count(1)
    return lambda: f"m{next(n)}"


@pytest.mark.parametrize(("current", "level", "expected"), [
    (None, "fixed", "共通"), ("", "adjustable", "共通"), ("前の記載", "fixed", "共通"),
    ("前の記載", "adjustable", "共通"), ("前の記載", "reference", "前の記載\n共通"), ("", "reference", "共通"),
])
def test_insert_text_by_level(current, level, expected):
    assert B.insert_text(current, "共通", level) == expected


def test_insert_measures_appends_by_audience_and_maps_entries():
    block = {"staff": [{"id": "1", "text": "権限"}], "system": [{"id": "2", "text": "暗号化"}]}
    value, mapping = B.insert_measures({"staff": [{"id": "x", "text": "既存"}]}, block, ids())
    assert [m["text"] for m in value["staff"]] == ["既存", "権限"] and value["system"] == [{"id": "m2", "text": "暗号化"}]
    assert mapping == {"1": "m1", "2": "m2"} and set(value) == set(AUDIENCES)


@pytest.mark.parametrize(("before", "after", "changed"), [
    ("共通", "共通", False), ("共通", "共通を書き換え", True), ("共通", "", True), (None, None, False),
])
def test_fixed_text_guard(before, after, changed):
    assert B.fixed_changed("text", before, after, {}) is changed


M = {"staff": [{"id": "a", "text": "固定の措置"}, {"id": "b", "text": "自由"}], "external": []}


@pytest.mark.parametrize(("after", "changed"), [
    (M, False),
    ({"staff": [{"id": "b", "text": "自由"}, {"id": "a", "text": "固定の措置"}]}, False),  # order may change
    ({"staff": [{"id": "a", "text": "固定の措置"}, {"id": "b", "text": "書き換え"}]}, False),  # others are free
    ({"staff": [{"id": "a", "text": "書き換え"}]}, True),
    ({"staff": [{"id": "b", "text": "自由"}]}, True),  # deleted
    ({"external": [{"id": "a", "text": "固定の措置"}], "staff": []}, True),  # moved to another audience
])
def test_fixed_measures_guard(after, changed):
    assert B.fixed_changed("measures", M, after, {"1": "a"}) is changed


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("同じ", "同じ", [("=", "同じ")]),
    ("", "追加", [("+", "追加")]),
    ("削除", "", [("-", "削除")]),
    ("年1回確認する。", "年2回確認する。", [("=", "年"), ("-", "1"), ("+", "2"), ("=", "回確認する。")]),
])
def test_inline_diff(old, new, expected):
    assert B.inline_diff(old, new) == expected


BASE = "一行目\n二行目\n三行目"


@pytest.mark.parametrize(("local", "new", "expected"), [
    (BASE, "一行目\n二行目(改)\n三行目", "一行目\n二行目(改)\n三行目"),             # untouched: the new text
    ("市の前書き\n" + BASE, BASE + "\n四行目", "市の前書き\n" + BASE + "\n四行目"),  # contained: replaced in place
    ("一行目(市)\n二行目\n三行目", "一行目\n二行目\n三行目(改)", "一行目(市)\n二行目\n三行目(改)"),  # both kept
    ("一行目\n二行目(市)\n三行目", "一行目\n二行目(改)\n三行目", None),             # the same line: a person decides
    ("一行目(市)\n二行目\n三行目", BASE, "一行目(市)\n二行目\n三行目"),             # the block did not change
    ("", "新", None),                                                                 # emptied locally
])
def test_rebase(local, new, expected):
    assert B.rebase(local, BASE, new) == expected


def test_number_entries_keeps_ids_by_position_and_never_reuses():
    first = B.number_entries({"staff": ["a", "b"]})
    assert [e["id"] for e in first["staff"]] == ["1", "2"]
    second = B.number_entries({"staff": ["a(改)"], "system": ["c"]}, first)
    assert second["staff"] == [{"id": "1", "text": "a(改)"}] and second["system"] == [{"id": "3", "text": "c"}]


def test_rebase_measures_edits_adds_and_removes():
    base = {"staff": [{"id": "1", "text": "権限"}, {"id": "2", "text": "古い"}]}
    new = {"staff": [{"id": "1", "text": "権限(棚卸し)"}], "system": [{"id": "3", "text": "暗号化"}]}
    value = {"staff": [{"id": "x", "text": "権限"}, {"id": "y", "text": "古い"}, {"id": "z", "text": "市の措置"}]}
    out, mapping = B.rebase_measures(value, {"1": "x", "2": "y"}, base, new, ids())
    assert [m["text"] for m in out["staff"]] == ["権限(棚卸し)", "市の措置"]
    assert out["system"] == [{"id": "m1", "text": "暗号化"}] and mapping == {"1": "x", "3": "m1"}
    edited = {"staff": [{"id": "x", "text": "権限"}, {"id": "y", "text": "古い(市で調整)"}]}
    assert B.rebase_measures(edited, {"1": "x", "2": "y"}, base, new, ids())[0] is None  # removed but adjusted


@pytest.mark.parametrize(("item_type", "kind", "ok"), [
    ("text", "text", True), ("longtext", "text", True), ("measures", "measures", True), ("measures", "text", False),
    ("choice", "text", False), ("group", "measures", False),
])
def test_where_a_block_can_be_used(item_type, kind, ok):
    assert B.usable(kind, item_type) is ok


def test_campaign_rebase_edits_parse_and_filter_by_assessment():
    spec = C.parse_spec({"name": "x", "reason": "r", "planned_on": "2027-04-01", "targets": {"assessments": ["a"]},
                         "edits": [{"op": "rebase", "item": "I.1", "old": "旧", "text": "新", "only": ["3/full"]},
                                   {"op": "rebase_measure", "item": "I.2", "audience": "staff", "entry": "m1",
                                    "text": "措置"}]})
    assert spec.edits[0].only == frozenset({"3/full"}) and spec.edits[1].entry == "m1"
    with pytest.raises(C.SpecError) as exc:
        C.parse_spec({"name": "x", "reason": "r", "planned_on": "2027-04-01", "targets": {"assessments": ["a"]},
                      "edits": [{"op": "rebase_measure", "item": "I.2", "audience": "staff"}]})
    assert "entry" in exc.value.problems[0]
