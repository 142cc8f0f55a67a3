"""The `figure` answer type as pure rules: shapes accepted and refused, editor operations, text and change rows."""
from __future__ import annotations

import pytest

from app.domain.answer_text import answer_text
from app.domain.answers import MAX_FIGURES, BadOperation, apply_op, clean_value, empty
from app.domain.changes import _same
from app.services import catalogue

D = catalogue.definition("full", "r06-10")
ITEM = D.item("annex1.diagram")
A, B = "a" * 64, "b" * 64


def f(sha=A, caption="図の表題", fid="g0001"):
    return {"id": fid, "sha": sha, "caption": caption}


@pytest.mark.parametrize(("value", "expected"), [
    ([], []),
    ("", []),
    ([f()], [f()]),
    ([f(caption="  前後の空白  ")], [f(caption="前後の空白")]),
    ([f(caption="一行目\n二行目")], [f(caption="一行目 二行目")]),
    ([{"sha": A}], None),  # id made, caption empty: checked below
])
def test_accepted_values_are_normalised(value, expected):
    clean, err = clean_value(ITEM, value)
    assert err is None
    if expected is not None:
        assert clean == expected
    else:
        assert clean[0]["sha"] == A and clean[0]["caption"] == "" and clean[0]["id"].startswith("g")


@pytest.mark.parametrize(("value", "message"), [
    ("別添1 事務の内容(図)を参照", "画像ファイルで添付"),
    ({"sha": A}, "画像ファイルで添付"),
    ([f()] * (MAX_FIGURES + 1), "10枚まで"),
    (["not a dict"], "値が不正"),
    ([f(sha="A" * 64)], "画像が指定されていません"),
    ([f(sha="short")], "画像が指定されていません"),
    ([{**f(), "data": "iVBOR"}], "不明な項目"),
    ([f(fid="bad id|x")], "識別子が不正"),
    ([f(caption=3)], "表題の値が不正"),
    ([f(caption="x" * 201)], "200"),
    ([f(caption="制御\x1b文字")], "制御文字"),
])
def test_refused_values_say_why(value, message):
    clean, err = clean_value(ITEM, value)
    assert clean is None and message in err, err


def test_empty_and_text():
    assert empty(ITEM, []) and empty(ITEM, "") and not empty(ITEM, [f()])
    assert answer_text(ITEM, [f(caption="流れ"), f(caption="")]) == "図1 流れ\n図2 (表題なし)"
    assert answer_text(ITEM, "別添1を参照") == "別添1を参照"  # an old text answer of a frozen version prints as it was
    assert answer_text(ITEM, [], empty="-") == "-"


@pytest.mark.parametrize(("op", "start", "expected"), [
    ("figdel|annex1.diagram|0", [f(A, fid="g1"), f(B, fid="g2")], ["g2"]),
    ("figup|annex1.diagram|1", [f(A, fid="g1"), f(B, fid="g2")], ["g2", "g1"]),
    ("figdown|annex1.diagram|0", [f(A, fid="g1"), f(B, fid="g2")], ["g2", "g1"]),
    ("figup|annex1.diagram|0", [f(A, fid="g1"), f(B, fid="g2")], ["g1", "g2"]),
    ("figdown|annex1.diagram|1", [f(A, fid="g1"), f(B, fid="g2")], ["g1", "g2"]),
])
def test_operations(op, start, expected):
    values = {"annex1.diagram": start}
    assert apply_op(D, values, op) == "annex1.diagram"
    assert [x["id"] for x in values["annex1.diagram"]] == expected


def test_add_needs_the_stored_picture_and_stops_at_ten():
    values = {"annex1.diagram": []}
    with pytest.raises(BadOperation):
        apply_op(D, values, "figadd|annex1.diagram")
    apply_op(D, values, "figadd|annex1.diagram", figure={"sha": A, "caption": "新しい図"})
    assert values["annex1.diagram"][0]["sha"] == A and values["annex1.diagram"][0]["caption"] == "新しい図"
    values = {"annex1.diagram": [f(fid=f"g{n}") for n in range(MAX_FIGURES)]}
    with pytest.raises(BadOperation):
        apply_op(D, values, "figadd|annex1.diagram", figure={"sha": A})


@pytest.mark.parametrize("op", ["figdel|annex1.diagram|5", "figdel|annex1.diagram|x", "figadd|annex1.notes",
                                "figdel|no.such.item|0"])
def test_bad_operations(op):
    with pytest.raises((BadOperation, KeyError)):
        apply_op(D, {"annex1.diagram": [f()]}, op, figure={"sha": A})


def test_a_change_is_the_picture_or_the_caption_not_the_entry_id():
    assert _same(ITEM, [f(fid="g1")], ITEM, [f(fid="g2")])
    assert not _same(ITEM, [f(A)], ITEM, [f(B)])
    assert not _same(ITEM, [f(caption="旧")], ITEM, [f(caption="新")])


def test_change_rows_name_a_replaced_picture():
    from app.domain.changes import diff

    rows = diff(D, {"": {"annex1.diagram": [f(A, "流れ")]}}, [], D, {"": {"annex1.diagram": [f(B, "流れ")]}}, [])
    row = next(r for r in rows if r.item_id == "annex1.diagram")
    assert row.before == "図1 流れ" and row.after == "図1 流れ(図を差し替え)"
    rows = diff(D, {"": {}}, [], D, {"": {"annex1.diagram": [f(A, "流れ")]}}, [])
    assert next(r for r in rows if r.item_id == "annex1.diagram").after == "図1 流れ"
