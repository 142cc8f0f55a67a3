"""What users see of a 様式 version whose items are not all checked against the official 様式 (issue 12 §3):
the one line at the top of the editor and the listing page for records/admin."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app.config import get_settings
from app.domain.forms import Definition, Item, Section, Source, load_sources
from app.services import catalogue, formcheck


@dataclass(frozen=True)
class Notice:
    """「この様式の N 項目は公式様式との照合が済んでいません」 for one form version."""

    form: str
    version: str
    count: int

    @property
    def text(self) -> str:
        return f"この様式の {self.count} 項目は公式様式との照合が済んでいません"

    @property
    def url(self) -> str:
        return f"/forms/{self.form}/{self.version}/unverified"


def unverified(d: Definition) -> list[Item]:
    """Items without a source: still `recall: true`, or (a defect the tests refuse) marked neither way."""
    return [i for i in d.items() if not i.source]


def _confirmed(session: Session, organisation_id: int | None, definition: Definition) -> bool:
    """Whether the organisation recorded that it checked this 様式 version against the official files (issue 12 §4).

    A record made against an older definition (digest differs) no longer counts: the notice comes back."""
    if organisation_id is None:
        return False
    return formcheck.confirmation(session, organisation_id, definition) is not None


def notice(session: Session, organisation_id: int | None, definition: Definition) -> Notice | None:
    """The editor's notice, or None when every item has a source or the organisation confirmed the version."""
    count = len(unverified(definition))
    if not count:
        return None
    if _confirmed(session, organisation_id, definition):
        return None
    return Notice(definition.form, definition.version, count)


# ---------------------------------------------------------------- the listing page (records / admin)

@dataclass
class Row:
    item: Item
    number: str            # the printed number path, e.g. 「4. ①」
    heading: str           # the headings above it, e.g. 「4. 情報提供ネットワークシステムによる情報連携」
    state: str             # 未確認 (recall: true) / 出典未登録 (neither source nor recall)
    where: str = ""        # sourced items: 「<document title> <at>」


@dataclass
class SectionListing:
    section: Section
    total: int
    sourced: int
    flagged: int
    rows: list[Row] = field(default_factory=list)          # the unverified items
    sourced_rows: list[Row] = field(default_factory=list)  # the items with a source, and where they were read


@dataclass
class Listing:
    definition: Definition
    label: str
    sections: list[SectionListing]
    documents: list[tuple[Source, int]]    # the documents the sourced items were read in, with how many items

    @property
    def flagged(self) -> int:
        return sum(s.flagged for s in self.sections)

    @property
    def sourced(self) -> int:
        return sum(s.sourced for s in self.sections)


def _path(d: Definition, item: Item) -> tuple[str, str]:
    parents = []
    node = d.parent_of(item.id)
    while node is not None:
        parents.append(node)
        node = d.parent_of(node.id)
    parents.reverse()
    number = " ".join(p.number for p in [*parents, item] if p.number)
    return number, " ".join(p.display for p in parents)


def listing(definition: Definition, label: str, sources: dict[str, Source]) -> Listing:
    """Per section: the unverified items (number, label, choices, help) and the sourced ones with where they were read."""
    used: dict[str, int] = {}
    sections = []
    for s in definition.sections:
        items = _all_items(s)
        entry = SectionListing(section=s, total=len(items), sourced=0, flagged=0)
        for item in items:
            number, heading = _path(definition, item)
            if item.source:
                entry.sourced += 1
                used[item.source.doc] = used.get(item.source.doc, 0) + 1
                doc = sources.get(item.source.doc)
                where = f"{doc.title if doc else item.source.doc} {item.source.at}".strip()
                entry.sourced_rows.append(Row(item, number, heading, "出典あり", where))
            else:
                entry.flagged += 1
                entry.rows.append(Row(item, number, heading, "未確認" if item.recall else "出典未登録"))
        sections.append(entry)
    documents = [(sources[k], n) for k, n in used.items() if k in sources]  # the loader refuses unknown ids
    return Listing(definition, label, sections, documents)


def _all_items(s: Section) -> list[Item]:
    out: list[Item] = []

    def add(item: Item) -> None:
        out.append(item)
        for child in item.children:
            add(child)

    for item in s.items:
        add(item)
    return out


def listing_for(session: Session, form: str, version: str) -> Listing:
    """The listing of a shipped form version (KeyError when there is no such version)."""
    d = catalogue.definition(form, version)
    label = catalogue.labels(session).get((d.form, d.version), d.label)
    return listing(d, label, load_sources(get_settings().forms_dir))
