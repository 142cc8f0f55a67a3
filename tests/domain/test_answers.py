"""Parsing posted pages, value validation, skip rules, editor operations and completeness (pure)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.domain.answer_text import answer_text
from app.domain.answers import BadOperation, apply_op, clean_value, parse_page, skip_reason
from app.domain.completeness import FileRef, evaluate, percent
from app.domain.forms import load_definition

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "forms"
D = load_definition(FIXTURE / "full" / "t1", base_dir=FIXTURE)


def test_parse_only_reads_items_the_page_showed():
    page = D.page("I")
    form = {"p|I.1.1": ["1"], "a|I.1.1": ["住民基本台帳に関する事務"], "a|I.1.2": ["not shown: no p| marker"]}
    parsed = parse_page(page, form)
    assert parsed.values == {"I.1.1": "住民基本台帳に関する事務"}


def test_parse_group_rows_multi_text_and_measures():
    form = {
        "p|I.systems": ["1"], "r|I.systems": ["r1", "r2"],
        "a|I.systems|r1|I.systems.name": ["住民記録システム"],
        "a|I.systems|r1|I.systems.links": ["住民基本台帳ネットワークシステム", "その他"],
        "t|I.systems|r1|I.systems.links|1": ["コンビニ交付システム"],
        "a|I.systems|r2|I.systems.name": ["宛名システム"],
    }
    parsed = parse_page(D.page("I"), form)
    rows = parsed.values["I.systems"]
    assert [r["_id"] for r in rows] == ["r1", "r2"]
    assert rows[0]["I.systems.links"] == {"checked": ["住民基本台帳ネットワークシステム", "その他"],
                                         "texts": {"その他": "コンビニ交付システム"}}
    measures = parse_page(D.page("III~III.4"), {
        "p|III.4.r.m": ["1"], "m|III.4.r.m|external": ["委託先と秘密保持契約を締結している。"],
        "mi|III.4.r.m|external": ["m1"], "m|III.4.r.m|staff": ["職員の操作ログを確認している。", "研修している。"],
        "mi|III.4.r.m|staff": ["m2", "m3"]}).values["III.4.r.m"]
    assert [m["text"] for m in measures["external"]] == ["委託先と秘密保持契約を締結している。"]
    assert [m["id"] for m in measures["staff"]] == ["m2", "m3"]


@pytest.mark.parametrize(("item_id", "value", "fragment"), [
    ("I.1.1", "abc\x00", "制御文字"),
    ("I.1.1", "あ" * 401, "400文字以内"),
    ("I.band", "100万人以上", "様式にありません"),
    ("I.as_of", "2025-02-30", "存在しない日付"),
    ("III.4.r.j", "まあまあ", "様式にありません"),
    ("III.4.r.m", {"external": [{"id": "x", "text": "a\x1b"}], "staff": []}, "制御文字"),
    ("III.4.r.m", {"external": "text"}, "不正"),
    ("I.systems", [{"_id": "r", "I.systems.name": "x", "bogus": 1}], "様式にない項目"),
    ("I.systems.links", {"checked": ["FAX"], "texts": {}}, "様式にありません"),
])
def test_bad_values_are_reported(item_id, value, fragment):
    _, err = clean_value(D.item(item_id), value)
    assert err and fragment in err


def test_good_values_are_normalised():
    assert clean_value(D.item("I.as_of"), "令和7年4月1日") == ("2025-04-01", None)
    assert clean_value(D.item("I.1.2"), "a\r\nb") == ("a\nb", None)
    assert clean_value(D.item("cover.number"), "１２")[0] == 12


def test_skip_rules_any_and_inherited():
    vals = {"II.entrust.has": "委託しない"}
    assert "記載不要" in skip_reason(D, "II.entrust.rows", vals)
    assert skip_reason(D, "III.4.r.m", vals) == "委託しないため記載不要です。"
    assert skip_reason(D, "III.4.r.m", {"III.4.none": ["委託しない"]})
    assert skip_reason(D, "III.4.r.m", {"II.entrust.has": "委託する"}) is None


def test_measure_operations_move_between_audiences():
    vals = {"III.4.r.m": {"external": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], "staff": []}}
    apply_op(D, vals, "move|III.4.r.m|external|0")
    assert [m["id"] for m in vals["III.4.r.m"]["external"]] == ["b"]
    assert [m["id"] for m in vals["III.4.r.m"]["staff"]] == ["a"]
    apply_op(D, vals, "add|III.4.r.m|staff")
    apply_op(D, vals, "up|III.4.r.m|staff|1")
    assert vals["III.4.r.m"]["staff"][0]["text"] == ""
    apply_op(D, vals, "del|III.4.r.m|staff|0")
    apply_op(D, vals, "lib|III.4.r.m|external", library_text="ライブラリの措置")
    assert [m["text"] for m in vals["III.4.r.m"]["external"]] == ["B", "ライブラリの措置"]
    # the third list: technical controls go to 【システムにおける措置】 and back
    apply_op(D, vals, "move|III.4.r.m|external|0|system")
    assert [m["text"] for m in vals["III.4.r.m"]["system"]] == ["B"]
    apply_op(D, vals, "move|III.4.r.m|system|0|staff")
    assert vals["III.4.r.m"]["system"] == [] and vals["III.4.r.m"]["staff"][-1]["text"] == "B"
    for bad in ("move|III.4.r.m|external|9", "add|I.1.1|external", "add|III.4.r.m|public", "explode|x",
                "delrow|I.systems|nope", "lib|III.4.r.m|staff", "move|III.4.r.m|staff|0|staff",
                "move|III.4.r.m|staff|0|public"):
        with pytest.raises(BadOperation):
            apply_op(D, vals, bad)


def test_group_row_operations():
    vals = {"I.systems": [{"_id": "r1"}, {"_id": "r2"}]}
    apply_op(D, vals, "addrow|I.systems")
    apply_op(D, vals, "rowdown|I.systems|r1")
    assert [r["_id"] for r in vals["I.systems"]][:2] == ["r2", "r1"]
    apply_op(D, vals, "delrow|I.systems|r2")
    assert vals["I.systems"][0]["_id"] == "r1" and len(vals["I.systems"]) == 2


def test_completeness_and_consistency_checks():
    files = [FileRef("f1", "住民基本台帳ファイル"), FileRef("f2", "本人確認情報ファイル")]
    values = {
        "": {"cover.name": "住基 全項目評価書", "I.1.1": "住基", "I.1.2": "内容", "I.band": "1万人以上10万人未満",
             "I.as_of": "2099-01-01", "I.systems": [{"_id": "r", "I.systems.name": ""}]},
        "f1": {"II.name": "住民基本台帳ファイル", "II.entrust.has": "委託する", "III.4.r.j": "課題が残されている",
               "III.4.r.m": {"external": [{"id": "m", "text": "秘密保持契約"}], "staff": []},
               "III.7.r1.incident": "発生なし"},
        "f2": {"II.name": "本人確認情報ファイル", "II.entrust.has": "委託しない",
               "II.entrust.rows": [{"_id": "x", "II.entrust.rows.what": "残っている行"}], "III.7.r1.incident": "発生なし"},
    }
    problems, statuses = evaluate(D, values, files, prefill={"": {"I.band": "30万人以上"}}, actions={},
                                  today=date(2026, 11, 23))
    messages = [p.message for p in problems]
    assert any("システム1の「システムの名称」が未記入" in m for m in messages)
    assert any(m.startswith("【住民基本台帳ファイル】") and "委託事項が登録されていません" in m for m in messages)
    assert any(m.startswith("【本人確認情報ファイル】") and "委託事項が登録されています" in m for m in messages)
    assert any("改善策(内容・担当・期限)が登録されていません" in m for m in messages)
    assert "対象人数がしきい値判断の記録と異なります。" in messages
    assert "いつ時点の計数かが未来の日付です。" in messages
    # f2 does not entrust: its Ⅲ4 risk is skipped and not required
    assert not any(p.file_uid == "f2" and p.item_id.startswith("III.4") for p in problems)
    assert 0 < percent(statuses) < 100
    fixed = evaluate(D, values, files, prefill={}, today=date(2026, 11, 23),
                     actions={("f1", "III.4.r.j"): {"content": "監査を行う", "owner": "市民課", "due_on": date(2027, 3, 31)}})[0]
    assert not any(p.kind == "action" for p in fixed)


def test_answer_text_for_exports():
    m = {"external": [{"id": "1", "text": "A"}], "staff": []}
    assert answer_text(D.item("III.4.r.m"), m) == "【市民・事業者・委託先等に対する措置】\n・A"
    m3 = {"external": [], "staff": [{"id": "2", "text": "B"}], "system": [{"id": "3", "text": "C"}]}
    assert answer_text(D.item("III.4.r.m"), m3) == "【職員に対する措置】\n・B\n【システムにおける措置】\n・C"
    assert answer_text(D.item("III.4.r.m"), {"external": [], "staff": [{"id": "4", "text": " "}]}, empty="-") == "-"
    assert answer_text(D.item("I.systems.links"), {"checked": ["その他"], "texts": {"その他": "X"}}) == "その他(X)"
