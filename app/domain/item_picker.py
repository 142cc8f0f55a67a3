"""Options of the related-item picker (意見 and 指摘事項, issue 14 item 5): the answerable items of a form,
grouped by section and then by the item that contains them (a risk, a group of questions), each with its
full path as its label, so that 「Ⅲ リスクへの対策は十分か」 is never shown without where it is."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.forms import Definition

SEP = " › "


@dataclass
class Option:
    id: str
    label: str  # the item alone
    path: str   # section › containing items › item


@dataclass
class Group:
    title: str  # containing items (a risk …), "" for the items directly under the section
    options: list[Option] = field(default_factory=list)


@dataclass
class SectionGroup:
    title: str
    file_scope: bool  # the section is answered once per ファイル (the picker names the item, for every file)
    groups: list[Group] = field(default_factory=list)


def ancestors(d: Definition, item_id: str) -> list[str]:
    """Display texts of the items containing `item_id`, outermost first."""
    out = []
    parent = d.parent_of(item_id)
    while parent is not None:
        out.append(parent.display)
        parent = d.parent_of(parent.id)
    return list(reversed(out))


def groups(d: Definition) -> list[SectionGroup]:
    sections: list[SectionGroup] = []
    for item in d.answerable():
        section = d.section_of(item.id)
        heading = f"{section.number} {section.title}".strip()
        if not sections or sections[-1].title != heading:
            sections.append(SectionGroup(heading, section.scope == "file"))
        chain = ancestors(d, item.id)
        title = SEP.join(chain)
        current = sections[-1]
        if not current.groups or current.groups[-1].title != title:
            current.groups.append(Group(title))
        path = SEP.join([heading, *chain, item.display])
        current.groups[-1].options.append(Option(item.id, item.display, path))
    for s in sections:
        for g in s.groups:
            _disambiguate(g)
    return sections


def _disambiguate(group: Group) -> None:
    """「具体的な管理方法」 three times under one risk: each names the question it details (the one before it)."""
    counts: dict[str, int] = {}
    for o in group.options:
        counts[o.label] = counts.get(o.label, 0) + 1
    previous = None
    for o in group.options:
        if counts[o.label] > 1 and previous is not None:
            o.path = f"{o.path}(「{previous.label}」について)"
            o.label = f"{o.label}(「{previous.label}」について)"
        elif counts[o.label] == 1:
            previous = o


def labels(d: Definition) -> dict[str, str]:
    """item id → full path (for listing what an opinion or a finding relates to)."""
    return {o.id: o.path for s in groups(d) for g in s.groups for o in g.options}
