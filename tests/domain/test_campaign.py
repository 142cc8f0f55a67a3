"""一括変更 (pure): the campaign file, each edit on one 評価書's answers, ※ classification, the backward schedule."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import campaign as C
from app.domain import changes as diffs
from app.domain import workflow
from app.services import catalogue

FULL = catalogue.definition("full", "r06-10")
FOCUSED = catalogue.definition("focused", "r06-10")
BASIC = catalogue.definition("basic", "r06-10")
FILES = [("f1", "住民基本台帳ファイル"), ("f2", "本人確認情報ファイル")]


def spec(**over) -> dict:
    return {"name": "移行", "reason": "標準準拠システムへの移行のため", "planned_on": "2027-04-01",
            "targets": {"jimu": ["住民基本台帳に関する事務"]},
            "edits": [{"op": "append", "item": "cover.notes", "text": "追記"}]} | over


def edit(**kw) -> C.Edit:
    raw = spec(edits=[kw])
    return C.parse_spec(raw).edits[0]


# ------------------------------------------------------------------ the file


@pytest.mark.parametrize(("over", "message"), [
    ({"name": ""}, "name"),
    ({"reason": ""}, "reason"),
    ({"planned_on": "2027-13-01"}, "planned_on"),
    ({"planned_on": None}, "planned_on"),
    ({"classification": "maybe"}, "classification"),
    ({"targets": {}}, "targets"),
    ({"targets": {"uses_system": ["X"]}}, "system_items"),
    ({"values": {"住基": "x"}}, "values"),
    ({"durations": {"internal_check": -1}}, "durations"),
    ({"edits": []}, "edits"),
    ({"edits": [{"op": "delete", "item": "I.1"}]}, "op は"),
    ({"edits": [{"op": "append", "item": ""}]}, "item"),
    ({"edits": [{"op": "append", "item": "I.1.2"}]}, "text が必要"),
    ({"edits": [{"op": "replace_text", "item": "I.1.2", "text": "b"}]}, "old が必要"),
    ({"edits": [{"op": "replace_row", "item": "I.2", "row": {"I.2.1": "x"}}]}, "match が必要"),
    ({"edits": [{"op": "add_measure", "item": "m", "audience": "citizens", "text": "x"}]}, "audience は"),
    ({"edits": [{"op": "set", "item": "x", "value": "v", "forms": ["all"]}]}, "forms は"),
    ({"edits": [{"op": "set", "item": "x", "value": "v", "cls": "big"}]}, "cls は"),
    ({"edits": ["append"]}, "マッピング"),
])
def test_a_wrong_file_lists_each_mistake(over, message):
    with pytest.raises(C.SpecError) as exc:
        C.parse_spec(spec(**over))
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_a_good_file_is_typed():
    s = C.parse_spec(spec(values={"住民基本台帳に関する事務": {"旧": "A"}}, durations={"internal_check": 7}))
    assert s.planned_on == date(2027, 4, 1) and s.classification == "important"
    assert s.edits[0].forms == frozenset({"basic", "focused", "full"}) and s.edits[0].n == 1
    assert s.durations == {"internal_check": 7}


def test_placeholders_come_from_the_jimu_then_the_form_specific_row():
    s = C.parse_spec(spec(values={"住基": {"名": "一般", "番": "x"}, "住基/full": {"名": "全項目用"}}))
    env = C.env_for(s, "住基", "full", 1)
    assert env == {"事務名": "住基", "評価書番号": "1", "名": "全項目用", "番": "x"}
    missing: set[str] = set()
    assert C.fill({"a": ["{事務名}の{名}", "{無い}"]}, env, missing) == {"a": ["住基の全項目用", "{無い}"]}
    assert missing == {"無い"}


# ------------------------------------------------------------------ edits on one 評価書


SYSTEMS = [{"_id": "r1", "I.2.1": "住民記録システム(既存)", "I.2.2": "住民票の記載"},
           {"_id": "r2", "I.2.1": "中間サーバー(情報連携システム)"}]
BASE = {"": {"I.1.2": "事務の内容", "I.2": SYSTEMS},
        "f1": {"II.6.1": "本庁舎のサーバ室に保管", "II.4.rows": [{"_id": "c1", "II.4.rows.name": "窓口業務"}],
               "III.7.r1.6.how": {"external": [], "staff": [], "system": [{"id": "m1", "text": "分離している。"}]}},
        "f2": {"II.6.1": "CSのサーバ室に保管"}}
ENV = {"事務名": "住基", "旧": "住民記録システム(既存)", "新": "住民記録システム(標準)"}


def run(d=FULL, **kw):
    return C.apply_edits(d, BASE, FILES, (edit(**kw),), ENV)


@pytest.mark.parametrize(("kw", "where", "item", "expected"), [
    ({"op": "set", "item": "I.1.2", "value": "{事務名}の新しい内容"}, "", "I.1.2", "住基の新しい内容"),
    ({"op": "append", "item": "I.1.2", "text": "追記"}, "", "I.1.2", "事務の内容\n追記"),
    ({"op": "append", "item": "cover.notes", "text": "追記"}, "", "cover.notes", "追記"),
    ({"op": "replace_text", "item": "II.6.1", "old": "本庁舎のサーバ室", "text": "ガバメントクラウド", "files": "住民基本台帳"},
     "f1", "II.6.1", "ガバメントクラウドに保管"),
    ({"op": "set", "item": "I.6.1", "value": "実施する"}, "", "I.6.1", "実施する"),
])
def test_text_edits(kw, where, item, expected):
    out = run(**kw)
    assert out.problems == [] and out.values[where][item] == expected
    assert out.touched == {item: 1}


def test_replace_row_keeps_the_row_id_and_other_columns():
    out = run(op="replace_row", item="I.2", match={"I.2.1": "{旧}"}, row={"I.2.1": "{新}"})
    rows = out.values[""]["I.2"]
    assert rows[0] == {"_id": "r1", "I.2.1": "住民記録システム(標準)", "I.2.2": "住民票の記載"} and rows[1] == SYSTEMS[1]
    assert BASE[""]["I.2"][0]["I.2.1"] == "住民記録システム(既存)"  # the input is not changed


def test_upsert_row_adds_then_changes():
    kw = dict(op="upsert_row", item="II.4.rows", files="住民基本台帳", match={"II.4.rows.name": "クラウド"},
              row={"II.4.rows.name": "クラウドの運用", "II.4.rows.7": "再委託しない"})
    out = run(**kw)
    rows = out.values["f1"]["II.4.rows"]
    assert len(rows) == 2 and rows[1]["II.4.rows.name"] == "クラウドの運用" and rows[1]["_id"].startswith("r")
    again = C.apply_edits(FULL, out.values, FILES, (edit(**kw),), ENV)
    assert again.values == out.values and again.touched == {}


def test_add_measure_to_one_audience_once():
    kw = dict(op="add_measure", item="III.7.r1.6.how", audience="system", text="閉域で接続する。", files="住民基本台帳")
    out = run(**kw)
    texts = [m["text"] for m in out.values["f1"]["III.7.r1.6.how"]["system"]]
    assert texts == ["分離している。", "閉域で接続する。"] and out.values["f1"]["III.7.r1.6.how"]["staff"] == []
    assert C.apply_edits(FULL, out.values, FILES, (edit(**kw),), ENV).touched == {}


def test_a_file_scope_edit_applies_to_every_file_by_default():
    out = run(op="append", item="II.6.1", text="(移行後)")
    assert out.values["f1"]["II.6.1"].endswith("(移行後)") and out.values["f2"]["II.6.1"].endswith("(移行後)")


@pytest.mark.parametrize(("d", "kw", "message"), [
    (FOCUSED, {"op": "add_measure", "item": "IV.2.how", "audience": "staff", "text": "x"}, "様式"),
    (FULL, {"op": "replace_row", "item": "I.2", "match": {"I.2.1": "無いシステム"}, "row": {"I.2.1": "x"}}, "合う行がありません"),
    (FULL, {"op": "replace_row", "item": "I.2", "match": {"I.2.1": "システム"}, "row": {"I.2.1": "x"}}, "2行あります"),
    (FULL, {"op": "replace_row", "item": "I.2", "match": {"I.2.name": "x"}, "row": {"I.2.1": "x"}}, "子項目「I.2.name」"),
    (FULL, {"op": "replace_row", "item": "I.1.2", "match": {"a": "x"}, "row": {"a": "x"}}, "繰り返し項目ではありません"),
    (FULL, {"op": "replace_text", "item": "I.1.2", "old": "無い語句", "text": "x"}, "ありません"),
    (FULL, {"op": "append", "item": "I.6.1", "text": "x"}, "文章の項目ではありません"),
    (FULL, {"op": "set", "item": "I.6.1", "value": "多分"}, "様式にありません"),
    (FULL, {"op": "add_measure", "item": "I.1.2", "audience": "staff", "text": "x"}, "措置の一覧"),
    (FULL, {"op": "set", "item": "I.1.2", "value": "{未定義}"}, "values にありません"),
    (FULL, {"op": "append", "item": "II.6.1", "text": "x", "files": "無いファイル"}, "ファイルがありません"),
    (FULL, {"op": "set", "item": "cover.published_on", "value": "2027-01-01"}, "様式"),  # readonly
])
def test_an_edit_that_does_not_fit_is_reported_and_not_applied(d, kw, message):
    out = C.apply_edits(d, BASE, FILES, (edit(**kw),), ENV)
    assert len(out.problems) == 1 and message in out.problems[0].message, out.problems
    assert out.problems[0].message.startswith("変更1(")
    assert out.values == {uid: dict(v) for uid, v in BASE.items()} and out.touched == {}


def test_an_edit_for_other_forms_is_silent():
    out = C.apply_edits(BASIC, {}, [], (edit(op="append", item="II.6.1", text="x", forms=["full"]),), ENV)
    assert out.problems == [] and out.values == {}


# ------------------------------------------------------------------ classification


def classify_of(kw, default="important"):
    e = edit(**kw)
    out = C.apply_edits(FULL, BASE, FILES, (e,), ENV)
    found = diffs.diff(FULL, BASE, FILES, FULL, out.values, FILES)
    return C.classify(FULL, found, out.touched, (e,), default)


@pytest.mark.parametrize(("kw", "default", "kind", "n"), [
    ({"op": "replace_row", "item": "I.2", "match": {"I.2.1": "中間"}, "row": {"I.2.1": "新"}}, "important", "correction", 0),
    ({"op": "append", "item": "I.1.2", "text": "x"}, "important", "reassessment", 1),            # ※ 事務の内容
    ({"op": "append", "item": "I.1.2", "text": "x"}, "formal", "correction", 1),                 # the campaign says 形式的
    ({"op": "append", "item": "I.1.2", "text": "x", "cls": "risk_reducing"}, "important", "correction", 1),
    ({"op": "append", "item": "II.6.1", "text": "x"}, "important", "reassessment", 2),          # ※ 保管場所, 2 files
    ({"op": "upsert_row", "item": "II.4.rows", "files": "住民基本台帳", "match": {"II.4.rows.name": "新"},
      "row": {"II.4.rows.name": "新"}}, "important", "reassessment", 1),                        # a 委託 row (※ columns)
])
def test_star_items_are_classified_as_in_a_single_revision(kw, default, kind, n):
    classes, got = classify_of(kw, default)
    assert got == kind and len(classes) == n


def test_a_basic_has_no_star_items():
    e = edit(op="append", item="I.1.2", text="x")
    out = C.apply_edits(BASIC, {}, [], (e,), ENV)
    assert C.classify(BASIC, diffs.diff(BASIC, {}, [], BASIC, out.values, []), out.touched, (e,), "important") == (
        {}, "correction")


# ------------------------------------------------------------------ the procedure, backwards


@pytest.mark.parametrize(("form", "org", "kind", "stages"), [
    ("basic", "local", "correction", ["draft", "internal_check", "submitted", "published"]),
    ("basic", "local", "reassessment", ["draft", "internal_check", "submitted", "published"]),
    ("focused", "local", "reassessment", ["draft", "internal_check", "submitted", "published"]),
    ("full", "local", "correction", ["draft", "internal_check", "submitted", "published"]),
    ("full", "local", "reassessment", ["draft", "internal_check", "public_comment", "comment_revision",
                                       "third_party_review", "review_revision", "submitted", "published"]),
    ("full", "national", "reassessment", ["draft", "internal_check", "public_comment", "comment_revision",
                                          "ppc_approval", "approved", "submitted", "published"]),
])
def test_the_route_is_the_shortest_way_to_publication(form, org, kind, stages):
    assert C.path(workflow.transitions(form, org, (), kind)) == stages


def test_a_municipality_step_is_on_the_route():
    step = workflow.CustomStep("council_report", "審議会報告", "submitted", frozenset({"full"}))
    stages = C.path(workflow.transitions("full", "local", [step], "reassessment"))
    assert stages[-3:] == ["review_revision", "custom:council_report", "submitted"] or \
        "custom:council_report" in stages
    steps = C.schedule(stages, date(2027, 4, 1), custom_labels={"custom:council_report": "審議会報告"})
    assert any(s.label == "審議会報告" for s in steps)


PLANNED = date(2027, 4, 1)
FULL_LOCAL = C.path(workflow.transitions("full", "local", (), "reassessment"))
BASIC_ROUTE = C.path(workflow.transitions("basic", "local", (), "correction"))


def test_schedule_of_a_full_reassessment():
    got = [(s.stage, s.latest_start) for s in C.schedule(FULL_LOCAL, PLANNED)]
    assert got == [
        ("draft", date(2026, 10, 29)), ("internal_check", date(2026, 11, 12)), ("public_comment", date(2026, 11, 26)),
        ("comment_revision", date(2026, 12, 26)),  # 30 days counting the first: 11/26 … 12/25
        ("third_party_review", date(2027, 1, 9)), ("review_revision", date(2027, 3, 10)),
        ("submitted", date(2027, 3, 24)), ("published", date(2027, 3, 31)),  # the day before the change
    ]


def test_public_comment_never_shorter_than_30_days():
    steps = C.schedule(FULL_LOCAL, PLANNED, {"public_comment": 10, "comment_revision": 0})
    by = {s.stage: s.latest_start for s in steps}
    assert (by["third_party_review"] - by["public_comment"]).days == 30


@pytest.mark.parametrize(("kind", "as_of", "timing", "warnings", "note"), [
    ("reassessment", date(2026, 10, 29), "事前", 0, False),   # the last day of the first step: still in time
    ("reassessment", date(2026, 10, 30), "事前", 2, False),   # one step late, + the 事前 warning
    ("reassessment", date(2026, 11, 13), "事前", 3, False),
    ("correction", date(2027, 2, 24), "事前", 0, False),
    ("correction", date(2027, 2, 25), "事後", 0, True),        # a 修正 may be submitted after the change
])
def test_timing_and_warnings(kind, as_of, timing, warnings, note):
    route = FULL_LOCAL if kind == "reassessment" else BASIC_ROUTE
    t, n, w = C.timing(kind, C.schedule(route, PLANNED), as_of, PLANNED)
    assert (t, len(w), bool(n)) == (timing, warnings, note)
    if w:
        assert "令和8年" in w[0] and "過ぎています" in w[0]


def test_next_step():
    assert C.next_step(FULL_LOCAL, "public_comment") == "comment_revision"
    assert C.next_step(FULL_LOCAL, "published") is None and C.next_step(FULL_LOCAL, "approved") is None


def test_step_dict_is_in_wareki():
    s = C.schedule(BASIC_ROUTE, PLANNED)[-1]
    assert s.as_dict(date(2027, 4, 1)) == {"stage": "published", "label": "公表", "latest_start": "2027-03-31",
                                           "latest_start_wareki": "令和9年3月31日", "passed": True}
