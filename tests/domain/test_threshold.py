"""しきい値判断: the decision table at every boundary, procedures per organisation kind, bad input."""
from __future__ import annotations

import itertools

import pytest

from app.domain import threshold as th
from app.domain.threshold import Exclusion, Level, OrgKind, ThresholdInput, determine, validate

B, F, FULL = Level.basic, Level.focused, Level.full

# (subjects, handlers, incident) -> expected required (spia-rules §3.2), at and around every boundary.
SUBJECTS = [0, 1, 999, 1_000, 1_001, 9_999, 10_000, 10_001, 99_999, 100_000, 100_001, 299_999, 300_000,
            300_001, 5_000_000, th.MAX_SUBJECTS]
HANDLERS = [0, 499, 500, 501, 10_000]


def expected(n: int, handlers: int, incident: bool) -> tuple[Level, ...]:
    """The table of spia-rules §3.2 written out independently of the implementation."""
    high = handlers >= 500 or incident
    if n < 1_000:
        return ()
    if n < 10_000:
        return (B,)
    if n < 100_000:
        return (B, F) if high else (B,)
    if n < 300_000:
        return (B, FULL) if high else (B, F)
    return (B, FULL)


@pytest.mark.parametrize(("n", "handlers", "incident"), list(itertools.product(SUBJECTS, HANDLERS, [False, True])))
def test_decision_table(n, handlers, incident):
    result = determine(ThresholdInput(n, handlers, incident))
    assert result.required == expected(n, handlers, incident)
    assert result.result == th.RESULT_CODES[expected(n, handlers, incident)]
    assert not (F in result.required and FULL in result.required), "重点 and 全項目 are never combined"
    if result.required:
        assert result.required[0] is B, "基礎 always accompanies a mandatory outcome"


@pytest.mark.parametrize(("n", "band"), [
    (0, "1,000人未満(任意実施)"), (999, "1,000人未満(任意実施)"), (1_000, "1,000人以上1万人未満"),
    (9_999, "1,000人以上1万人未満"), (10_000, "1万人以上10万人未満"), (99_999, "1万人以上10万人未満"),
    (100_000, "10万人以上30万人未満"), (299_999, "10万人以上30万人未満"), (300_000, "30万人以上"),
])
def test_band_labels_are_the_form_choices(n, band):
    assert th.subject_band(n) == band
    assert determine(ThresholdInput(n, 0)).reasons[0] == f"対象人数 {n:,}人は「{band}」の区分に該当します。"


@pytest.mark.parametrize("exclusion", list(Exclusion))
@pytest.mark.parametrize("n", [999, 1_000, 50_000, 150_000, 1_000_000])
def test_exclusions_make_assessment_voluntary(exclusion, n):
    result = determine(ThresholdInput(n, 900, True, frozenset({exclusion})))
    assert result.required == ()
    assert result.result == "not_required"
    assert any("義務付けられません" in r and "任意実施" in r for r in result.reasons)
    assert any(th.EXCLUSION_LABEL[exclusion] in r for r in result.reasons)


def test_both_exclusions_are_listed():
    result = determine(ThresholdInput(50_000, 10, False, frozenset(Exclusion)))
    assert sum("義務付けられません" in r for r in result.reasons) == 2


@pytest.mark.parametrize(("handlers", "incident", "fragment"), [
    (600, False, "取扱者数 600人は500人以上です"),
    (499, True, "重大事故が発生しています"),
    (499, False, "取扱者数 499人は500人未満です"),
])
def test_reasons_name_the_rule_that_fired(handlers, incident, fragment):
    result = determine(ThresholdInput(120_000, handlers, incident))
    assert any(fragment in r for r in result.reasons), result.reasons


def test_reasons_in_the_middle_bands_only_quote_handlers_and_incidents():
    low = determine(ThresholdInput(5_000, 900, True))
    assert not any("取扱者数" in r and "500人以上です" in r for r in low.reasons)
    top = determine(ThresholdInput(300_000, 10, False))
    assert any("かかわらず" in r for r in top.reasons)


@pytest.mark.parametrize(("kind", "level", "codes"), [
    (OrgKind.local, B, ["submit", "publish"]),
    (OrgKind.national, B, ["submit", "publish"]),
    (OrgKind.local, F, ["public_comment", "third_party_review", "submit", "publish"]),
    (OrgKind.national, F, ["public_comment", "third_party_review", "submit", "publish"]),
    (OrgKind.local, FULL, ["public_comment", "third_party_review", "submit", "publish"]),
    (OrgKind.national, FULL, ["public_comment", "ppc_approval", "submit", "publish"]),
])
def test_procedures_per_form_and_organisation_kind(kind, level, codes):
    steps = th.procedure_steps(level, kind)
    assert [s.code for s in steps] == codes
    if level is F:
        assert [s.required for s in steps] == [False, False, True, True], "重点: comment and review optional"
    else:
        assert all(s.required for s in steps)


def test_full_procedure_quotes_30_days_and_is_in_the_reasons():
    result = determine(ThresholdInput(400_000, 10, False, org_kind=OrgKind.local))
    labels = [s.label for lv, steps in result.procedures if lv is FULL for s in steps]
    assert labels[0] == "公示・意見聴取(原則30日以上)"
    assert any(r.startswith("地方公共団体等の全項目評価の手続") for r in result.reasons)


def test_as_dict_is_the_cli_and_api_shape():
    data = determine(ThresholdInput(120_000, 600, False)).as_dict()
    assert data["required"] == ["basic", "full"]
    assert data["result"] == "basic+full"
    assert data["rule_version"] == th.RULE_VERSION
    assert [p["assessment"] for p in data["procedures"]] == ["basic", "full"]


@pytest.mark.parametrize(("subjects", "handlers", "field", "fragment"), [
    (-1, 0, "subjects", "負の数"),
    ("-5", "0", "subjects", "負の数"),
    ("1.5", "0", "subjects", "整数"),
    ("abc", "0", "subjects", "整数"),
    ("", "0", "subjects", "入力してください"),
    (th.MAX_SUBJECTS + 1, 0, "subjects", "大きすぎます"),
    (200_000_000, 0, "subjects", "大きすぎます"),
    (0, -3, "handlers", "負の数"),
    (0, th.MAX_HANDLERS + 1, "handlers", "大きすぎます"),
    (True, 0, "subjects", "整数"),
])
def test_bad_counts_are_refused_in_japanese(subjects, handlers, field, fragment):
    with pytest.raises(th.InvalidThresholdInput) as exc:
        validate(subjects, handlers)
    assert fragment in exc.value.errors[field]


def test_full_width_digits_and_commas_are_accepted():
    assert validate("１２０，０００", "600").subjects == 120_000
    assert validate("120,000", "0").subjects == 120_000


def test_unknown_exclusion_and_org_kind_are_refused():
    with pytest.raises(th.InvalidThresholdInput) as exc:
        validate(10, 10, ["retired-only"], "city")
    assert "retired-only" in exc.value.errors["exclusion"]
    assert "city" in exc.value.errors["org_kind"]


@pytest.mark.parametrize(("new", "old", "higher"), [
    ("basic+full", "basic+focused", True), ("basic+focused", "basic", True), ("basic", "not_required", True),
    ("basic", "basic", False), ("basic", "basic+full", False), ("basic+full", None, False),
])
def test_is_higher(new, old, higher):
    assert th.is_higher(new, old) is higher
