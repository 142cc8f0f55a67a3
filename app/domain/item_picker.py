"""Options of the related-item picker (意見 and 指摘事項, issue 14 item 5): the answerable items of a form,
grouped by section, then — in a section answered once per 特定個人情報ファイル — by file, then by the item that
contains them (a risk, a group of questions), each with its full path as its label, so that 「Ⅲ リスクへの対策は
十分か」 is never shown without where it is, nor without which ファイル.

A picked value names the item and, for a per-file item, the file: `encode(uid, item_id)` is `"{uid}/{item_id}"`
for a file's item and the plain item id otherwise; `parse` is the only reader. A plain id of a per-file item
(stored before the picker named files) still reads, as 「全ファイル共通」. A file uid never holds "/" (file uids are
made by `new_id` or checked against `answer_types.ENTRY_ID` on import), so the first "/" always ends it.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from app.domain.forms import Definition

SEP = " › "
FILE_SEP = "/"
COMMON = "全ファイル共通"     # a per-file item picked without a file (stored before files were named)
GONE = "ファイル不明"        # a file no longer in the version (its name is not known any more)


@dataclass(frozen=True)
class File:
    """A 特定個人情報ファイル of the version, as the picker needs it (in file order)."""
    uid: str
    name: str


def encode(uid: str, item_id: str) -> str:
    return f"{uid}{FILE_SEP}{item_id}" if uid else item_id


def parse(value: str) -> tuple[str, str]:
    """(file uid, item id); a plain item id has the uid ""."""
    uid, sep, item_id = value.partition(FILE_SEP)
    return (uid, item_id) if sep else ("", value)


@dataclass
class Option:
    id: str     # the value posted and stored: encode(file_uid, item_id)
    label: str  # the item alone
    path: str   # section › file › containing items › item
    item_id: str = ""
    file_uid: str = ""

    def __post_init__(self) -> None:
        self.item_id = self.item_id or self.id


@dataclass
class Group:
    title: str  # containing items (a risk …), "" for the items directly under the section
    options: list[Option] = field(default_factory=list)


@dataclass
class FileGroup:
    uid: str
    name: str
    groups: list[Group] = field(default_factory=list)

    @property
    def options(self) -> list[Option]:
        return [o for g in self.groups for o in g.options]


@dataclass
class SectionGroup:
    title: str
    file_scope: bool  # the section is answered once per ファイル
    groups: list[Group] = field(default_factory=list)       # its items when not split by file
    files: list[FileGroup] = field(default_factory=list)    # a per-file section of a version with files: by file

    @property
    def options(self) -> list[Option]:
        return [o for g in self.groups for o in g.options] + [o for f in self.files for o in f.options]


def ancestors(d: Definition, item_id: str) -> list[str]:
    """Display texts of the items containing `item_id`, outermost first."""
    out = []
    parent = d.parent_of(item_id)
    while parent is not None:
        out.append(parent.display)
        parent = d.parent_of(parent.id)
    return list(reversed(out))


def _with_file(path: str, heading: str, name: str) -> str:
    """The path with the file's name after the section heading."""
    return f"{heading}{SEP}{name}{path[len(heading):]}"


def groups(d: Definition, files: Sequence[File] = ()) -> list[SectionGroup]:
    """The picker's tree. Without `files` (or for a version without files) a per-file section lists its items once,
    by plain id; with them, once per file, each option naming the file in its path and its value."""
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
        text = item.display or "、".join(item.choice_labels) or item.id  # an unlabelled 「委託しない」 box
        current.groups[-1].options.append(Option(item.id, text, SEP.join([heading, *chain, text])))
    for s in sections:
        for g in s.groups:
            _disambiguate(g)
        if s.file_scope and files:
            s.files = [FileGroup(f.uid, f.name, [Group(g.title, [_in_file(o, f, s.title) for o in g.options])
                                                 for g in s.groups]) for f in files]
            s.groups = []
    return sections


def _in_file(o: Option, f: File, heading: str) -> Option:
    return Option(encode(f.uid, o.item_id), o.label, _with_file(o.path, heading, f.name), o.item_id, f.uid)


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
    """item id → full path without a file (the 取り込めなかった記載 page names the file on its own)."""
    return {o.id: o.path for s in groups(d) for o in s.options}


@dataclass
class Picker:
    """The picker of one version: its tree, the (value, path) choices, the path of any stored value, the check of
    posted values. Build it with `picker(d, files)`."""
    d: Definition
    files: list[File]
    sections: list[SectionGroup]
    paths: dict[str, str]

    @cached_property
    def choices(self) -> list[tuple[str, str]]:
        """(value, full path) of every option, in picker order (a single choice, e.g. 修正した項目)."""
        return [(o.id, o.path) for s in self.sections for o in s.options]

    @cached_property
    def offered(self) -> set[str]:
        """The values the picker offers (a stored value outside it is kept as it is, shown by `path`)."""
        return {value for value, _ in self.choices}

    def path(self, value: str) -> str:
        """The full path of a stored value, also when its file has left the version or its item the 様式."""
        if value in self.paths:
            return self.paths[value]
        uid, item_id = parse(value)
        plain = labels(self.d).get(item_id)
        if plain is None or not uid:
            return plain or value
        section = self.d.section_of(item_id)
        return _with_file(plain, f"{section.number} {section.title}".strip(), f"{GONE}({uid})")

    def problem(self, value: str, what: str = "関連する項目") -> str:
        """"" when `value` may be stored, else why not (Japanese)."""
        uid, item_id = parse(value)
        if not item_id or not self.d.has(item_id) or value != encode(uid, item_id):
            return f"{what}が様式にありません。"
        if not uid:
            return ""  # a whole-assessment item, or a per-file item for every file (as stored before)
        if self.d.section_of(item_id).scope != "file":
            return f"{what}「{self.path(item_id)}」はファイルごとの項目ではありません。"
        if uid not in {f.uid for f in self.files}:
            return f"{what}の特定個人情報ファイルがこの評価書にありません。"
        return ""

    def check(self, values: Iterable[str], what: str = "関連する項目",
              kept: Collection[str] = ()) -> tuple[list[str], str]:
        """(the values to store: blanks and repeats dropped, order kept; the first problem or ""). A value in `kept`
        (already stored on the record being edited) passes as it is, even if its file has left the version since."""
        out: list[str] = []
        for raw in values:
            value = raw.strip()
            if not value or value in out:
                continue
            problem = "" if value in kept else self.problem(value, what)
            if problem:
                return [], problem
            out.append(value)
        return out, ""


def picker(d: Definition, files: Sequence[File]) -> Picker:
    sections = groups(d, files)
    paths = {o.id: o.path for s in sections for o in s.options}
    if files:  # a per-file item stored without a file reads 「… › 全ファイル共通 › …」
        for s in groups(d):
            if s.file_scope:
                paths.update((o.id, _with_file(o.path, s.title, COMMON)) for o in s.options)
    return Picker(d, list(files), sections, paths)
