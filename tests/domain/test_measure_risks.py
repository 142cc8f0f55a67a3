"""The 措置ライブラリ's risk of each measures item is declared in the 様式 definitions (`risk:` on a heading), not
matched on label wording (issue 19 item 2): 「特定個人情報の入手(情報提供ネットワークシステムを通じた入手を除く。)」
used to file every 入手 measure under 情報提供ネットワーク."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.forms import RISKS, Item
from app.services import catalogue

EXPECTED = {  # the heading number of Ⅲ/Ⅳ → its risk, per form (both shipped versions share the structure)
    "full": {"III.2": "acquire", "III.3": "use", "III.4": "entrust", "III.5": "provide", "III.6": "network",
             "III.7": "store", "IV.1": "audit", "IV.2": "education"},
    "focused": {"III.2": "acquire", "III.3": "use", "III.4": "entrust", "III.5": "provide", "III.6": "network",
                "III.7": "store", "III.9": "education"},
}


def _measures(d):
    return [i for p in d.pages for i in p.walk() if i.type == "measures"]


@pytest.mark.parametrize("d", catalogue.catalogue().all(), ids=lambda d: f"{d.form}-{d.version}")
def test_every_measure_has_the_risk_of_its_heading(d):
    seen = set()
    for item in _measures(d):
        heading = next((h for h in EXPECTED.get(d.form, {}) if item.id.startswith(h + ".")), None)
        want = EXPECTED[d.form][heading] if heading else "general"
        assert d.risk_of(item.id) == want, (item.id, d.risk_of(item.id))
        seen.add(want)
    if d.form != "basic":
        assert seen == set(EXPECTED[d.form].values())  # every declared risk has measures under it


def test_an_unknown_risk_is_refused_when_the_definition_loads():
    with pytest.raises(ValidationError, match="unknown risk"):
        Item(id="III.9", type="heading", label="x", risk="nyushu",
             children=[Item(id="III.9.m", type="measures", label="措置")])
    assert set(RISKS) >= {"acquire", "network", "general"}
