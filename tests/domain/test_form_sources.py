"""Every item of the shipped 様式 is either traced to a document (`source`) or flagged (`recall: true`), never both or neither."""
from __future__ import annotations

import pytest

from app.config import get_settings
from app.domain.forms import load_sources, source_refs
from app.services.catalogue import catalogue

CAT = catalogue()
SOURCES = load_sources(get_settings().forms_dir)
FULL_VERSIONS = ["r06-10", "h30-05"]


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
