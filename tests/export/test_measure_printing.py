"""Issue 13 item 1: measure cells print like a person writes them.

Only the audiences that have measures, each under its 【heading】; nothing → a single 「-」; every measure a plain
「・」 (or 「1.」) line, no Word list style; the organisation settings 対象別の見出しを印字する and 措置の番号付け.
Read back from the demo 全項目 (住基), 重点 (住民税) and 基礎 (児童手当).
"""
from __future__ import annotations

import pytest
from docx.oxml.ns import qn
from sqlmodel import select

from app.domain.forms import AUDIENCES
from app.export.answer_print import measures as _measures
from app.models import Organisation
from tests.export.helpers import open_docx
from tests.export.test_layout import FORMS, export

HEADINGS = {f"【{label}】" for label in AUDIENCES.values()}


def m(*texts):
    return [{"id": str(i), "text": t} for i, t in enumerate(texts)]


@pytest.mark.parametrize(("value", "headings", "numbering", "expected"), [
    ({}, True, "dot", ["-"]),
    ({"external": [], "staff": []}, True, "dot", ["-"]),
    ({"external": m("  ", ""), "staff": m(" ")}, True, "dot", ["-"]),
    ({"external": m("A"), "staff": []}, True, "dot", ["【市民・事業者・委託先等に対する措置】", "・A"]),
    ({"external": [], "staff": m("B", "C")}, True, "dot", ["【職員に対する措置】", "・B", "・C"]),
    ({"external": m("A"), "staff": m("B"), "system": m("C")}, True, "dot",
     ["【市民・事業者・委託先等に対する措置】", "・A", "【職員に対する措置】", "・B", "【システムにおける措置】", "・C"]),
    ({"system": m("C")}, True, "dot", ["【システムにおける措置】", "・C"]),
    ({"external": m("A"), "staff": m("B"), "system": m("C")}, False, "dot", ["・A", "・B", "・C"]),
    ({"external": m("A", "A2"), "staff": m("B")}, True, "number",
     ["【市民・事業者・委託先等に対する措置】", "1. A", "2. A2", "【職員に対する措置】", "1. B"]),
    ({"external": m("A"), "staff": m("B")}, False, "number", ["1. A", "2. B"]),
    ({"external": m("一行目\n二行目")}, True, "dot", ["【市民・事業者・委託先等に対する措置】", "・一行目", "\u3000二行目"]),
    ({"staff": m("制御\x07文字")}, True, "dot", ["【職員に対する措置】", "・制御文字"]),
])
def test_measure_cell_rules(value, headings, numbering, expected):
    paras = _measures(value, headings=headings, numbering=numbering)
    assert [p.text for p in paras] == expected
    assert all(p.style == "Normal" for p in paras)


def _cells(data: bytes) -> list[list[tuple[str, bool]]]:
    """Per table cell: (text, has list numbering or a list style) of each paragraph."""
    doc = open_docx(data)
    out = []
    for tc in doc.element.body.iter(qn("w:tc")):
        paras = []
        for p in tc.iterchildren(qn("w:p")):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            ppr = p.find(qn("w:pPr"))
            style = ppr.find(qn("w:pStyle")) if ppr is not None else None
            listed = ppr is not None and (ppr.find(qn("w:numPr")) is not None
                                          or (style is not None and "List" in (style.get(qn("w:val")) or "")))
            paras.append((text, listed))
        out.append(paras)
    return out


@pytest.mark.parametrize("form", FORMS)
def test_demo_measure_cells_have_no_empty_audience_and_no_word_bullets(db, system, form):
    cells = _cells(export(db, system, form))
    measure_cells = [c for c in cells if any(t in HEADINGS for t, _ in c)]
    assert measure_cells, form
    for cell in cells:
        texts = [t for t, _ in cell]
        assert not any(listed for _, listed in cell), texts
        assert texts.count("-") <= 1, texts
        for k, t in enumerate(texts):
            if t in HEADINGS:
                # a heading is always followed by a measure line, never by 「-」, nothing or another heading
                assert k + 1 < len(texts) and texts[k + 1].startswith("・"), texts
    if form == "full":
        assert any("【システムにおける措置】" in [t for t, _ in c] for c in measure_cells)


def test_settings_one_list_and_numbers(db, system):
    org = db.exec(select(Organisation)).first()
    org.measure_headings, org.measure_numbering = False, "number"
    db.add(org)
    db.commit()
    cells = _cells(export(db, system, "full"))
    texts = [t for c in cells for t, _ in c]
    assert not HEADINGS & set(texts)
    assert any(t.startswith("1. ") for t in texts) and any(t.startswith("2. ") for t in texts)
