"""Every item and section heading of a shipped 様式 is either traced to a document (`source`) or flagged (`recall`)."""
from __future__ import annotations

import pytest

from app.config import get_settings
from app.domain.forms import Definition, load_sources, source_refs
from app.services.catalogue import catalogue

SOURCES = load_sources(get_settings().forms_dir)


def _exactly_one_mark(d: Definition) -> list[str]:
    """What has both or neither of source/recall (items, sections, judgement)."""
    bad = [f"item {i.id}" for i in d.items() if bool(i.source) == bool(i.recall)]
    bad += [f"section {s.id}" for s in d.sections if bool(s.source) == bool(s.recall)]
    j = d.manifest.judgement
    if j is not None and bool(j.source) == bool(j.recall):
        bad.append("judgement")
    return bad


def _unknown_documents(d: Definition) -> list[str]:
    return [f"{what}: {ref.doc}" for what, ref in source_refs(d) if ref.doc not in SOURCES]


def _unsourced(d: Definition, ids: list[str]) -> list[str]:
    return [i for i in ids if d.item(i).source is None]


# ---------------------------------------------------------------- 重点項目評価書 (様式3)

def test_focused_items_and_sections_are_sourced_or_flagged():
    d = catalogue().get("focused", "r06-10")
    assert _exactly_one_mark(d) == []
    assert _unknown_documents(d) == []


def test_focused_cover_item_list_i1_and_i2_heading_are_sourced():
    d = catalogue().get("focused", "r06-10")
    cover = [i.id for i in d.section("cover").walk()]
    assert _unsourced(d, cover + ["I.1", "I.1.1", "I.1.2", "I.2", "I.2.name"]) == []
    # the 項目一覧 headings (Ⅲ keeps recall: its note ※(7.②を除く。) was not read)
    assert [s.id for s in d.sections if s.source] == ["cover", "I", "II", "annex1", "IV", "V", "changes"]


def test_focused_sources_name_published_documents():
    d = catalogue().get("focused", "r06-10")
    docs = {ref.doc for _, ref in source_refs(d)}
    assert docs and all(SOURCES[doc].address for doc in docs)
    assert all(ref.at for _, ref in source_refs(d))


# ---------------------------------------------------------------- 基礎項目評価書 (様式2)

def test_basic_items_and_sections_are_sourced_or_flagged():
    d = catalogue().get("basic", "r06-10")
    assert _exactly_one_mark(d) == []
    assert _unknown_documents(d) == []


def test_basic_cover_i_and_ii1_are_sourced():
    d = catalogue().get("basic", "r06-10")
    cover = [i.id for i in d.section("cover").walk()]
    body_i = [i.id for i in d.section("I").walk() if i.id != "I.5.2"]   # Ⅰ5②: 「所属長」 in the 2015 copy
    assert _unsourced(d, cover + body_i + ["II.1", "II.1.count", "II.1.as_of", "II.2"]) == []
    assert d.item("I.5.2").recall
    assert [s.id for s in d.sections if s.source] == ["cover", "I", "II"]


def test_basic_sources_say_where():
    d = catalogue().get("basic", "r06-10")
    refs = list(source_refs(d))
    assert refs and all(ref.at for _, ref in refs)
    assert {SOURCES[ref.doc].kind for _, ref in refs} <= {"公表評価書", "記載要領"}


@pytest.mark.parametrize("form", ["basic", "focused"])
def test_basic_and_focused_cited_documents_are_described(form):
    d = catalogue().get(form, "r06-10")
    for doc in {ref.doc for _, ref in source_refs(d)}:
        src = SOURCES[doc]
        assert src.title and src.publisher and src.address and src.note and src.form_label is not None
