"""Prefilled choices are picked by position from the item's own choice list (the wording stays in the 様式)."""
from __future__ import annotations

import pytest

from app.domain.forms import Choice, Item
from app.services import catalogue
from app.services.prefill import Pick, _fit, file_band

# What each position means, per prefill source (the order the 様式 prints the choices in).
MEANING = {
    "det.handlers_band": ["500人以上", "500人未満"],
    "det.incident": ["発生あり", "発生なし"],
    "det.submitted_kind": ["基礎項目評価書", "基礎項目評価書及び重点項目評価書", "基礎項目評価書及び全項目評価書"],
    "file.kind_full": ["システム用ファイル", "その他の電子ファイル(表計算ファイル等)"],
    "file.subjects_band": ["1万人未満", "1万人以上10万人未満", "10万人以上100万人未満", "100万人以上1,000万人未満",
                           "1,000万人以上"],
}


def picked_items():
    for d in catalogue.catalogue().all():
        for item in d.items():
            if item.prefill in MEANING:
                yield pytest.param(item, id=f"{d.key}:{item.id}")


@pytest.mark.parametrize("item", list(picked_items()))
def test_every_shipped_position_means_what_prefill_computes(item):
    assert [_fit(item, Pick(n)) for n in range(len(MEANING[item.prefill]))] == MEANING[item.prefill]


@pytest.mark.parametrize(("subjects", "position"), [(0, 0), (9_999, 0), (10_000, 1), (99_999, 1), (100_000, 2),
                                               (999_999, 2), (1_000_000, 3), (9_999_999, 3), (10_000_000, 4),
                                               (123_456_789, 4)])
def test_file_band_boundaries(subjects, position):
    assert file_band(subjects) == Pick(position)


def test_a_reworded_form_keeps_its_own_wording_and_a_missing_position_prefills_nothing():
    item = Item(id="x", type="choice", label="取扱者数", choices=[Choice(label="500人以上である"), Choice(label="500人未満である")])
    assert _fit(item, Pick(1)) == "500人未満である"
    assert _fit(item, Pick(2)) is None
    text = Item(id="t", type="text", label="t")
    assert _fit(text, Pick(0)) is None
