"""The shipped 様式 definitions against spia-rules §6 (sections, counts, ※ items, choice lists, skip rules)."""
from __future__ import annotations

import pytest

from app.config import get_settings
from app.domain.answers import skip_reason
from app.domain.forms import AUDIENCES, load_catalogue
from app.services.catalogue import catalogue

CAT = catalogue()
FULL = CAT.get("full", "r06-10")
FOCUSED = CAT.get("focused", "r06-10")
BASIC = CAT.get("basic", "r06-10")

SUBJECT_BANDS = ["1,000人未満(任意実施)", "1,000人以上1万人未満", "1万人以上10万人未満", "10万人以上30万人未満", "30万人以上"]
FILE_BANDS = ["1万人未満", "1万人以上10万人未満", "10万人以上100万人未満", "100万人以上1,000万人未満", "1,000万人以上"]
USER_BANDS = ["10人未満", "10人以上50人未満", "50人以上100人未満", "100人以上500人未満", "500人以上1,000人未満", "1,000人以上"]
PERIODS = ["1年未満", "1年", "2年", "3年", "4年", "5年", "6年以上10年未満", "10年以上20年未満", "20年以上", "定められていない"]
JUDGEMENT = ["特に力を入れている", "十分である", "課題が残されている"]


def test_every_shipped_definition_loads():
    cat = load_catalogue(get_settings().forms_dir)
    assert {(d.form, d.version) for d in cat.all()} >= {("basic", "r06-10"), ("focused", "r06-10"), ("full", "r06-10")}
    for d in cat.all():
        assert d.label.startswith("[") and d.label.endswith("]")


@pytest.mark.parametrize(("d", "sections"), [
    (FULL, ["cover", "I", "annex1", "II", "annex2", "III", "IV", "V", "VI", "changes"]),
    (FOCUSED, ["cover", "I", "II", "annex1", "III", "IV", "V", "changes"]),
    (BASIC, ["cover", "I", "II", "III", "IV", "changes"]),
])
def test_section_order(d, sections):
    assert [s.id for s in d.sections] == sections


def test_item_list_headings_match_the_official_list():
    toc = [s.heading.replace(s.heading_note, "").strip() for s in FULL.sections if s.toc and s.kind != "cover"]
    assert toc == ["Ⅰ 基本情報", "(別添1) 事務の内容", "Ⅱ 特定個人情報ファイルの概要", "(別添2) 特定個人情報ファイル記録項目",
                   "Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策", "Ⅳ その他のリスク対策", "Ⅴ 開示請求、問合せ",
                   "Ⅵ 評価実施手続", "(別添3) 変更箇所"]
    focused = [s.heading.replace(s.heading_note, "").strip() for s in FOCUSED.sections if s.toc and s.kind != "cover"]
    assert focused == ["Ⅰ 基本情報", "Ⅱ 特定個人情報ファイルの概要", "(別添1) 特定個人情報ファイル記録項目", "Ⅲ リスク対策",
                       "Ⅳ 開示請求、問合せ", "Ⅴ 評価実施手続", "(別添2) 変更箇所"]
    assert FULL.manifest.item_list and FOCUSED.manifest.item_list and not BASIC.manifest.item_list


@pytest.mark.parametrize(("d", "counts"), [
    (FULL, {"cover": 7, "I": 13, "annex1": 2, "II": 36, "annex2": 1, "III": 104, "IV": 7, "V": 12, "VI": 12, "changes": 0}),
    (FOCUSED, {"cover": 6, "I": 11, "II": 24, "annex1": 1, "III": 39, "IV": 5, "V": 10, "changes": 0}),
    (BASIC, {"cover": 6, "I": 12, "II": 5, "III": 1, "IV": 20, "changes": 0}),
])
def test_answerable_items_per_section(d, counts):
    assert {s.id: sum(1 for i in s.walk() if i.answerable) for s in d.sections} == counts


def test_per_file_sections():
    assert [s.id for s in FULL.sections if s.scope == "file"] == ["II", "annex2", "III"]
    assert [s.id for s in FOCUSED.sections if s.scope == "file"] == ["II", "annex1", "III"]
    assert [s.id for s in BASIC.sections if s.scope == "file"] == []


def test_cover_order_and_labels():
    labels = [i.label for i in FULL.section("cover").items]
    assert labels == ["評価書番号", "評価書名", "個人のプライバシー等の権利利益の保護の宣言", "特記事項", "評価実施機関名",
                      "個人情報保護委員会 承認日 【行政機関等のみ】", "公表日"]
    assert "個人情報保護委員会 承認日 【行政機関等のみ】" not in [i.label for i in FOCUSED.section("cover").items]
    assert "個人情報保護委員会 承認日 【行政機関等のみ】" not in [i.label for i in BASIC.section("cover").items]


@pytest.mark.parametrize(("d", "item_id", "choices"), [
    (FULL, "I.1.3", SUBJECT_BANDS), (BASIC, "II.1.count", SUBJECT_BANDS), (FOCUSED, "I.1.3", SUBJECT_BANDS),
    (FULL, "I.6.1", ["実施する", "実施しない", "未定"]), (BASIC, "I.4.1", ["実施する", "実施しない", "未定"]),
    (FULL, "II.2.1", ["システム用ファイル", "その他の電子ファイル(表計算ファイル等)"]),
    (FULL, "II.2.2", FILE_BANDS), (FULL, "II.3.7.users", USER_BANDS), (FULL, "II.4.rows.3", USER_BANDS),
    (FULL, "II.6.2.period", PERIODS), (FULL, "II.4.has", ["委託する", "委託しない"]),
    (FULL, "II.4.rows.7", ["再委託する", "再委託しない"]),
    (BASIC, "II.2.count", ["500人以上", "500人未満"]), (BASIC, "II.3.occurred", ["発生あり", "発生なし"]),
    (BASIC, "IV.10", ["特に力を入れて行っている", "十分に行っている", "十分に行っていない"]),
])
def test_choice_lists(d, item_id, choices):
    assert d.item(item_id).choice_labels == choices


def test_every_judgement_uses_the_three_official_choices():
    for d in (FULL, FOCUSED, BASIC):
        for item in d.items():
            if item.type == "judgement":
                assert item.choice_labels in (JUDGEMENT,), item.id


def test_risk_judgements_per_process_of_the_full_form():
    per_heading = {}
    for top in FULL.section("III").items:
        per_heading[top.number] = sum(1 for i in top.walk() if i.type == "judgement")
    # spia-rules §6.3 Ⅲ: 入手 4 risks, 使用 4, 委託 1 (listed together), 提供・移転 3, 情報提供NW 7, 保管・消去 3
    assert {k: v for k, v in per_heading.items() if v} == {"2.": 4, "3.": 4, "4.": 1, "5.": 3, "6.": 7, "7.": 3}


def test_measures_items_are_in_risk_sections_and_three_audiences():
    # residents/contractors and staff kept apart (council minutes), technical controls on their own
    assert list(AUDIENCES) == ["external", "staff", "system"]
    for d, sections in ((FULL, {"III", "IV"}), (FOCUSED, {"III"}), (BASIC, {"IV"})):
        found = [i for i in d.items() if i.type == "measures"]
        assert found, d.key
        assert {d.section_of(i.id).id for i in found} <= sections


def test_important_items_of_the_full_form():
    important = FULL.important_ids()
    for item_id in ("I.1.2", "I.5.basis", "I.6.1", "II.2.1", "II.2.3", "II.2.4.items", "II.3.1", "II.3.6", "II.3.7.dept",
                    "II.3.8", "II.3.8.match", "II.4.has", "II.4.rows.2.scope", "II.4.rows.7", "II.6.1"):
        assert item_id in important, item_id
    for item_id in ("I.1.1", "I.1.3", "II.2.2", "II.3.2", "V.1.1", "VI.1.1"):
        assert item_id not in important, item_id
    iii = [i.id for i in FULL.section("III").walk() if i.answerable]
    not_star = [i for i in iii if i not in important]
    assert not_star and all(i.startswith("III.7.r1.9") for i in not_star), not_star  # only リスク1⑨
    assert all(i.id in important for i in FULL.section("IV").walk() if i.answerable)


def test_basic_has_no_important_items_and_focused_excludes_7_2():
    assert BASIC.important_ids() == set()
    iii = [i.id for i in FOCUSED.section("III").walk() if i.answerable]
    assert [i for i in iii if not FOCUSED.is_important(i)] and all(
        i.startswith("III.7.2") for i in iii if not FOCUSED.is_important(i))


def test_skip_rules_of_the_full_form():
    assert skip_reason(FULL, "II.4.rows", {"II.4.has": "委託しない"})
    assert skip_reason(FULL, "III.4.j" if FULL.has("III.4.j") else next(
        i.id for i in FULL.section("III").walk() if i.type == "judgement" and i.id.startswith("III.4")),
        {"II.4.has": "委託しない"})
    row = {"II.4.rows.7": "再委託しない"}
    assert skip_reason(FULL, "II.4.rows.8", row) and skip_reason(FULL, "II.4.rows.9", row)
    assert not skip_reason(FULL, "II.4.rows.8", {"II.4.rows.7": "再委託する"})
    first_risk_j = "III.6.r1.j"
    last_risk_j = "III.6.r7.j"
    assert skip_reason(FULL, first_risk_j, {"III.6.none": ["接続しない(入手)"]})
    assert not skip_reason(FULL, last_risk_j, {"III.6.none": ["接続しない(入手)"]})
    assert skip_reason(FULL, last_risk_j, {"III.6.none": ["接続しない(提供)"]})


def test_help_text_and_examples_everywhere():
    for d in (FULL, FOCUSED, BASIC):
        for item in d.items():
            if item.answerable and not item.readonly:
                assert item.help, f"{d.key} {item.id} has no help"
            if item.type in ("longtext", "measures") and not item.readonly:
                assert item.example, f"{d.key} {item.id} has no example"


def test_recall_flags_are_kept_as_data():
    assert FULL.item("I.1.1").recall is False  # confirmed from published 評価書
    assert sum(1 for i in FULL.items() if i.recall) > 100
