"""Every item and section heading of a shipped 様式 is either traced to a document (`source`) or flagged (`recall`)."""
from __future__ import annotations

import pytest

from app.config import get_settings
from app.domain.forms import Definition, load_sources, source_refs
from app.services.catalogue import catalogue

CAT = catalogue()
SOURCES = load_sources(get_settings().forms_dir)
FULL_VERSIONS = ["r06-10", "h30-05"]


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


# ---------------------------------------------------------------- 全項目評価書 (様式4)

@pytest.mark.parametrize("version", FULL_VERSIONS)
def test_full_items_are_sourced_or_flagged(version):
    d = CAT.get("full", version)
    both = [i.id for i in d.items() if i.source and i.recall]
    neither = [i.id for i in d.items() if not i.source and not i.recall]
    assert both == [] and neither == [], f"both: {both}; neither: {neither}"
    assert d.unmarked() == []
    for s in d.sections:
        assert bool(s.source) != bool(s.recall), f"section {s.id}: exactly one of source / recall"
    j = d.manifest.judgement
    assert j is not None and bool(j.source) != bool(j.recall)


@pytest.mark.parametrize("version", FULL_VERSIONS)
def test_full_sources_name_existing_documents(version):
    d = CAT.get("full", version)
    refs = list(source_refs(d))
    assert refs, "the full form cites at least one document"
    for what, ref in refs:
        assert ref.doc in SOURCES, f"{what}: unknown document {ref.doc!r}"
        doc = SOURCES[ref.doc]
        assert doc.address and doc.note, f"{ref.doc}: a document needs an address one can open and a note on what is legible"
        assert ref.at, f"{what}: `at` says where in {ref.doc} it was read"


@pytest.mark.parametrize("version", FULL_VERSIONS)
def test_full_parts_shown_by_published_copies_are_sourced(version):
    """Cover, 項目一覧 headings, Ⅰ1①② and Ⅰ8 were read in published copies; Ⅲ/Ⅳ keep recall for their ※ notes."""
    d = CAT.get("full", version)
    cover = next(s for s in d.sections if s.id == "cover")
    assert all(i.source for i in cover.walk())
    headed = {s.id: s for s in d.sections}
    for sid in ["cover", "I", "annex1", "II", "annex2", "V", "VI", "changes"]:
        assert headed[sid].source, sid
    for sid in ["III", "IV"]:  # number and title are in the 項目一覧, the ※ note is not legible anywhere
        assert headed[sid].recall and headed[sid].heading_note, sid
    for iid in ["I.1", "I.1.1", "I.1.2", "I.8"]:
        assert d.item(iid).source, iid
    assert d.item("I.1.2").important  # read as 「②事務の内容 ※」


@pytest.mark.parametrize("version", FULL_VERSIONS)
def test_full_label_source_prints_that_label(version):
    """A 版 label is sourced only by a document that prints it; an unsourced label is not marked confirmed."""
    m = CAT.get("full", version).manifest
    if m.label_source:
        assert SOURCES[m.label_source.doc].form_label == m.label
    else:
        assert not m.label_confirmed
    if version == "h30-05":
        assert m.label_source, "[平成30年5月 様式4] is printed on published covers (札幌市 令和3年)"


# ---------------------------------------------------------------- 重点項目評価書 (様式3)

def test_focused_items_and_sections_are_sourced_or_flagged():
    d = catalogue().get("focused", "r06-10")
    assert _exactly_one_mark(d) == []
    assert _unknown_documents(d) == []


def test_focused_cover_item_list_i1_and_i2_heading_are_sourced():
    d = catalogue().get("focused", "r06-10")
    cover = [i.id for i in d.section("cover").walk()]
    assert _unsourced(d, cover + ["I.1", "I.1.1", "I.1.2", "I.2", "I.2.name"]) == []
    # the published copy's Ⅰ2 has three columns: ③ was missing from our definition
    assert [(c.number, c.label) for c in d.item("I.2").children] == [
        ("①", "システムの名称"), ("②", "システムの機能"), ("③", "他のシステムとの接続")]
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


# ---------------------------------------------------------------- every shipped version (also those added later)

@pytest.mark.parametrize("key", sorted(d.key for d in CAT.all()))
def test_every_shipped_version_marks_each_item_and_heading_once(key):
    d = next(x for x in CAT.all() if x.key == key)
    assert _exactly_one_mark(d) == []
    assert _unknown_documents(d) == []
    assert d.unmarked() == []
