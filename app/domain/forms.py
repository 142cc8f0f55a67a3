"""Form definitions (様式) as data: typed schema, loader and lookups. Pure (no DB, web or templates).

Layout: assessments/<form>/<version>/manifest.yaml + sections/*.yaml (see README "帳票定義").
A version may `extends` another version of the same form and apply `patches` (relabel, add, remove),
so that a new official revision is a small data change.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

ID_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
FORMS = ("basic", "focused", "full")
FORM_LABEL = {"basic": "基礎項目評価書", "focused": "重点項目評価書", "full": "全項目評価書"}

ItemType = Literal[
    "heading",     # a numbered heading with children; holds no answer
    "text",        # short free text
    "longtext",    # long free text
    "choice",      # single choice from `choices`
    "multi",       # check boxes from `choices`
    "multi_text",  # check boxes, some with an attached text box (choice.text = true)
    "date",
    "number",
    "ref",         # reference to an attachment (e.g. 別添2を参照) with optional note
    "measures",    # risk measures by audience: external (市民・事業者・委託先等), staff (職員), system (システム)
    "judgement",   # リスクへの対策は十分か; 課題が残されている needs an improvement action
    "group",       # repeating group (systems, 委託事項, 提供先, 移転先, 記録項目); children repeat per row
    "figure",      # pictures with captions ((別添1) 事務の内容の図): [{"id", "sha", "caption"}], images in FigureBlob
    "fixed",       # printed text, not answerable
]
ANSWERABLE = {"text", "longtext", "choice", "multi", "multi_text", "date", "number", "ref", "measures",
              "judgement", "group", "figure"}
# Who a measure is aimed at. Councils ask that measures aimed at residents/contractors and those aimed at staff
# be kept apart; technical controls (専用回線, ファイアウォール, アクセス制御, ログ) are aimed at neither, so they have a
# list of their own (README, Decisions).
# The 措置ライブラリ's classification of a measure by the risk it answers. A heading of the 様式 declares it (`risk:`)
# for the measures under it; measures under no such heading are "general". Never read off label wording (a label
# such as 「入手(情報提供ネットワークシステムを通じた入手を除く。)」 names two risks).
RISKS = {"acquire": "入手", "use": "使用", "entrust": "委託", "provide": "提供・移転", "network": "情報提供ネットワーク",
         "store": "保管・消去", "audit": "監査", "education": "教育・啓発", "general": "その他"}
AUDIENCES = {"external": "市民・事業者・委託先等に対する措置", "staff": "職員に対する措置", "system": "システムにおける措置"}
AUDIENCE_SHORT = {"external": "市民・事業者等", "staff": "職員", "system": "システム"}

PREFILL_SOURCES = {
    # values taken from the register and the procedure (see app/services/prefill.py)
    "assessment.number", "version.published_on", "version.approved_on",
    "org.name", "declaration", "jimu.name", "jimu.title", "jimu.legal_basis", "jimu.department", "files.names",
    "det.band", "det.subjects_as_of", "det.handlers_band", "det.handlers_as_of", "det.incident",
    "det.result_basic", "det.result_full", "det.determined_on", "det.submitted_kind",
    # per-file values
    "file.name", "file.kind_full", "file.subjects_band",
}
# Items the procedure fills when a stage closes (the user confirms or edits them afterwards).
FILL_SOURCES = {
    "comment.method", "comment.period", "comment.reason", "comment.summary", "comment.reflection",
    "review.date", "review.method", "review.result", "approval.applied_on", "approval.notes",
}


class DefinitionError(ValueError):
    """A definition file is invalid: names the file, the path inside it and the reason."""


class Condition(BaseModel):
    """When an item is skipped. Exactly one form: item+equals / item+includes / item+in / any / all / not."""

    model_config = ConfigDict(extra="forbid")
    item: str | None = None
    equals: str | None = None
    includes: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    any: list[Condition] | None = None
    all: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [self.equals is not None, self.includes is not None, self.in_ is not None,
                 self.any is not None, self.all is not None, self.not_ is not None]
        if sum(forms) != 1:
            raise ValueError("skip_if needs exactly one of equals / includes / in / any / all / not")
        if (self.equals is not None or self.includes is not None or self.in_ is not None) and not self.item:
            raise ValueError("equals / includes / in need `item`")
        return self

    def items(self) -> Iterator[str]:
        if self.item:
            yield self.item
        for c in (self.any or []) + (self.all or []) + ([self.not_] if self.not_ else []):
            yield from c.items()


class SourceRef(BaseModel):
    """Where an item's label, choices, ※ and position were read: a document of assessments/sources/ and a place in it."""

    model_config = ConfigDict(extra="forbid")
    doc: str                         # id of assessments/sources/<id>.yaml
    at: str = ""                     # where in that document (page, section, row)
    note: str = ""                   # what was read there, when not everything was


class Source(BaseModel):
    """A document a definition was read from (assessments/sources/<id>.yaml): something a reader can open."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    kind: Literal["様式", "記載要領", "公表評価書", "評価書案", "その他"]
    publisher: str                   # who issued it (個人情報保護委員会, ○○市長, …)
    date: str = ""                   # as printed (e.g. 平成30年5月, 令和3年3月15日公表)
    form_label: str = ""             # the 様式 label the document itself prints, e.g. [平成30年5月 様式4]
    address: str                     # where to open it (URL of the copy that was read)
    note: str = ""                   # which parts are legible, known gaps


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    text: bool = False  # an attached free-text box (multi_text)
    text_label: str = ""


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: ItemType
    label: str = ""
    number: str = ""
    important: bool = False          # ※ 重要な変更の対象 (inherited by children)
    not_important: bool = False      # opts out of an inherited ※ (e.g. 全項目 Ⅲ7 リスク1⑨)
    required: bool = True
    choices: list[Choice] = Field(default_factory=list)
    unit: str = ""                   # number
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    help: str = ""                   # 記載要領-style guidance
    example: str = ""                # an example answer
    recall: bool = False             # from spia-rules [RECALL]: unconfirmed against the official 様式
    source: SourceRef | None = None  # where the label/choices/position were read (recall comes off only with one)
    issue_choice: str = ""           # judgement: the choice that needs an improvement action (from the manifest)
    _manifest_choices: bool = PrivateAttr(default=False)  # judgement choices came from the manifest
    prefill: str | None = None
    skip_if: Condition | None = None
    skip_reason: str = ""
    text: str = ""                   # fixed text / ref default text
    children: list[Item] = Field(default_factory=list)
    row_label: str = ""              # group: e.g. "委託事項{n}"
    min_rows: int = 0
    max_rows: int = 200
    print_as: Literal["table", "list"] = "table"
    page: bool = False               # heading: an editor page of its own
    readonly: bool = False           # shown, not edited: the value comes from `prefill` (register/procedure)
    fill_from: str | None = None     # filled from the procedure record when its stage closes (FILL_SOURCES)
    risk: str = ""                   # heading: the RISKS key of the measures under it (措置ライブラリ)

    @field_validator("choices", mode="before")
    @classmethod
    def _choices(cls, v: Any) -> Any:
        return [{"label": c} if isinstance(c, str) else c for c in (v or [])]

    @model_validator(mode="after")
    def _shape(self) -> Item:
        if not ID_RE.match(self.id):
            raise ValueError(f"id {self.id!r} may only use A-Z a-z 0-9 _ . -")
        if self.type in ("choice", "multi", "multi_text") and not self.choices:
            raise ValueError(f"{self.type} item {self.id} needs choices")
        if self.recall and self.source:
            raise ValueError(f"item {self.id} has a source and recall: true (a sourced item is no longer recalled)")
        if self.type in ("heading", "group") and not self.children:
            raise ValueError(f"{self.type} item {self.id} needs children")
        if self.type not in ("heading", "group") and self.children:
            raise ValueError(f"{self.type} item {self.id} cannot have children")
        if self.type == "multi_text" and not any(c.text for c in self.choices):
            raise ValueError(f"multi_text item {self.id} needs at least one choice with text: true")
        if self.prefill and self.prefill not in PREFILL_SOURCES:
            raise ValueError(f"unknown prefill source {self.prefill!r}")
        if self.risk and self.risk not in RISKS:
            raise ValueError(f"item {self.id}: unknown risk {self.risk!r} (one of {', '.join(RISKS)})")
        if self.fill_from and self.fill_from not in FILL_SOURCES:
            raise ValueError(f"unknown fill_from source {self.fill_from!r}")
        if self.type in ("heading", "fixed"):
            self.required = False
        labels = [c.label for c in self.choices]
        if len(labels) != len(set(labels)):
            raise ValueError(f"item {self.id} has duplicate choices")
        return self

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE

    @property
    def choice_labels(self) -> list[str]:
        return [c.label for c in self.choices]

    @property
    def display(self) -> str:
        sep = " " if self.number.endswith((":", "：")) else ""
        return f"{self.number}{sep}{self.label}".strip()

    def walk(self) -> Iterator[Item]:
        yield self
        if self.type != "group":
            for child in self.children:
                yield from child.walk()


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    number: str = ""
    title: str
    kind: Literal["cover", "body", "annex"] = "body"
    scope: Literal["assessment", "file"] = "assessment"
    important: bool = False
    heading_note: str = ""           # e.g. "※(7.リスク1⑨を除く。)"
    toc: bool = True                 # listed in the 項目一覧
    new_page: bool = True            # printed from a new page (a 基礎's Ⅱ–Ⅳ flow on, as in published ones)
    note: str = ""
    recall: bool = False             # the heading (number, title, note) is unconfirmed
    source: SourceRef | None = None  # where the heading was read
    items: list[Item]

    @property
    def heading(self) -> str:
        text = f"{self.number} {self.title}".strip() if self.number else self.title
        return f"{text} {self.heading_note}".strip() if self.heading_note else text

    def walk(self) -> Iterator[Item]:
        for item in self.items:
            yield from item.walk()


class Patch(BaseModel):
    """A change a derived version applies to its base: relabel/replace/remove/insert an item."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["set", "remove", "insert_after", "append_to"]
    target: str
    values: dict[str, Any] = Field(default_factory=dict)   # set: fields to change
    item: dict[str, Any] | None = None                     # insert_after / append_to
    source: SourceRef | None = None                        # where this version's difference was read


class Check(BaseModel):
    """A consistency check shown in the completeness view (kinds implemented in domain/completeness.py)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rows_when", "no_rows_when", "matches_prefill", "not_future", "requires_when"]
    when: Condition | None = None
    item: str
    message: str


class Judgement(BaseModel):
    """「リスクへの対策は十分か」: its choices in this 様式 and the one that needs an improvement action."""

    model_config = ConfigDict(extra="forbid")
    choices: list[str]
    issue: str
    source: SourceRef | None = None
    recall: bool = False

    @model_validator(mode="after")
    def _issue_is_a_choice(self) -> Judgement:
        if self.issue not in self.choices:
            raise ValueError(f"judgement.issue {self.issue!r} is not one of its choices")
        return self


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: Literal["basic", "focused", "full"]
    version: str
    label: str
    label_confirmed: bool = False
    label_source: SourceRef | None = None  # where the 版 label printed on the cover was read
    title: str
    item_list: bool = True           # 項目一覧 page after the cover (全項目・重点; the 基礎 has none)
    effective_from: date | None = None
    extends: str | None = None
    sections: list[str] = Field(default_factory=list)
    patches: list[Patch] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    version_notes: str = ""
    successor_map: dict[str, str] = Field(default_factory=dict)  # old item id -> new item id
    judgement: Judgement | None = None   # inherited from the base version when `extends` and not set


@dataclass
class Definition:
    """A loaded, validated form version with fast lookups."""

    manifest: Manifest
    sections: list[Section]
    path: Path | None = None
    _items: dict[str, tuple[Item, Section, Item | None]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._items = {}

        def add(item: Item, section: Section, parent: Item | None) -> None:
            if item.id in self._items:
                raise DefinitionError(f"{self.key}: item id {item.id!r} is used twice")
            self._items[item.id] = (item, section, parent)
            for child in item.children:
                add(child, section, item)

        for s in self.sections:
            for item in s.items:
                add(item, s, None)

    @property
    def form(self) -> str:
        return self.manifest.form

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def key(self) -> str:
        return f"{self.form}/{self.version}"

    @property
    def label(self) -> str:
        return self.manifest.label

    def item(self, item_id: str) -> Item:
        return self._items[item_id][0]

    def has(self, item_id: str) -> bool:
        return item_id in self._items

    def section_of(self, item_id: str) -> Section:
        return self._items[item_id][1]

    def parent_of(self, item_id: str) -> Item | None:
        return self._items[item_id][2]

    def risk_of(self, item_id: str) -> str:
        """The RISKS key of a measures item: the nearest `risk:` declared on it or a heading above it."""
        node: Item | None = self.item(item_id)
        while node is not None:
            if node.risk:
                return node.risk
            node = self.parent_of(node.id)
        return "general"

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def items(self) -> list[Item]:
        return [entry[0] for entry in self._items.values()]

    def prefilled_by(self, source: str) -> str | None:
        """The id of the item the definition fills from `source` (e.g. "jimu.title" → the 評価書名 on the cover,
        "jimu.name" → Ⅰ1 事務の名称): code finds items by what they hold, never by id or label wording."""
        return next((i.id for i in self.items() if i.prefill == source), None)

    def sourced(self) -> list[Item]:
        """Items whose label, choices and position were read in a document of assessments/sources/."""
        return [i for i in self.items() if i.source]

    def flagged(self) -> list[Item]:
        """Items still marked `recall: true` (from memory, unconfirmed against the official 様式)."""
        return [i for i in self.items() if i.recall]

    def unmarked(self) -> list[Item]:
        """Items with neither a source nor `recall: true`: a defect of the definition (tests refuse it)."""
        return [i for i in self.items() if not i.source and not i.recall]

    def answerable(self) -> list[Item]:
        """Answerable items, not counting the children of groups (a group is one answer)."""
        out = []
        for s in self.sections:
            for item in s.walk():
                if item.answerable:
                    out.append(item)
        return out

    def is_important(self, item_id: str) -> bool:
        """※: set on the item, inherited from a heading/group above it or from the section, unless opted out."""
        item, section, parent = self._items[item_id]
        if item.not_important:
            return False
        if item.important:
            return True
        node = parent
        while node is not None:
            if node.not_important:
                return False
            if node.important:
                return True
            node = self._items[node.id][2]
        return section.important

    def important_ids(self) -> set[str]:
        return {i.id for i in self.items() if i.answerable and self.is_important(i.id)}

    @cached_property
    def pages(self) -> list[Page]:
        """Editor pages: a section, or each of its headings marked `page: true`."""
        pages = []
        for s in self.sections:
            split = [i for i in s.items if i.type == "heading" and i.page]
            if split:
                rest = [i for i in s.items if not (i.type == "heading" and i.page)]
                if rest:
                    pages.append(Page(id=s.id, section=s, items=rest, title=s.heading))
                for h in split:
                    pages.append(Page(id=f"{s.id}~{h.id}", section=s, items=[h], title=f"{s.number} {h.display}".strip()))
            else:
                pages.append(Page(id=s.id, section=s, items=list(s.items), title=s.heading))
        return pages

    def page(self, page_id: str) -> Page:
        for p in self.pages:
            if p.id == page_id:
                return p
        raise KeyError(page_id)

    def page_of(self, item_id: str) -> Page:
        return self._page_index[item_id]

    @cached_property
    def _page_index(self) -> dict[str, Page]:
        index: dict[str, Page] = {}
        for p in self.pages:
            for top in p.items:
                for i in _walk_all(top):
                    index.setdefault(i.id, p)
        return index


def _walk_all(item: Item) -> Iterator[Item]:
    yield item
    for child in item.children:
        yield from _walk_all(child)


@dataclass(frozen=True)
class Page:
    id: str
    section: Section
    items: list[Item]
    title: str

    @property
    def scope(self) -> str:
        return self.section.scope

    def walk(self) -> Iterator[Item]:
        for item in self.items:
            yield from item.walk()


# ---------------------------------------------------------------- loading

def _read_yaml(path: Path) -> Any:
    import yaml  # here, not at the top: commands that only need FORM_LABEL do not pay for it

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path}: YAML の構文エラー: {exc}") from None


def _fmt(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"])
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def _load_sections(root: Path, names: list[str]) -> list[Section]:
    sections = []
    for name in names:
        path = root / "sections" / f"{name}.yaml"
        if not path.exists():
            raise DefinitionError(f"{path}: manifest が参照するセクションファイルがありません")
        raw = _read_yaml(path)
        try:
            sections.append(Section.model_validate(raw))
        except ValidationError as exc:
            raise DefinitionError(f"{path}: {_fmt(exc)}") from None
    return sections


def load_sources(base: Path) -> dict[str, Source]:
    """assessments/sources/*.yaml: the documents `source.doc` may name (file name = id)."""
    out: dict[str, Source] = {}
    folder = base / "sources"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            src = Source.model_validate(_read_yaml(path))
        except ValidationError as exc:
            raise DefinitionError(f"{path}: {_fmt(exc)}") from None
        if src.id != path.stem:
            raise DefinitionError(f"{path}: id {src.id!r} must equal the file name {path.stem!r}")
        out[src.id] = src
    return out


def source_refs(d: Definition) -> Iterator[tuple[str, SourceRef]]:
    """Every (what, source) pair of a definition: label, judgement, sections, items, patches."""
    m = d.manifest
    if m.label_source:
        yield "label", m.label_source
    if m.judgement and m.judgement.source:
        yield "judgement", m.judgement.source
    for s in d.sections:
        if s.source:
            yield f"section {s.id}", s.source
    for item in d.items():
        if item.source:
            yield item.id, item.source
    for i, patch in enumerate(m.patches):
        if patch.source:
            yield f"patches[{i}]", patch.source


def load_definition(root: Path, *, base_dir: Path | None = None) -> Definition:
    """Load assessments/<form>/<version>/ (manifest + sections), resolving `extends` and patches."""
    manifest_path = root / "manifest.yaml"
    if not manifest_path.exists():
        raise DefinitionError(f"{manifest_path}: manifest.yaml がありません")
    try:
        manifest = Manifest.model_validate(_read_yaml(manifest_path))
    except ValidationError as exc:
        raise DefinitionError(f"{manifest_path}: {_fmt(exc)}") from None
    if manifest.extends:
        base_root = (base_dir or root.parent.parent) / manifest.form / manifest.extends
        base = load_definition(base_root, base_dir=base_dir or root.parent.parent)
        sections = copy.deepcopy(base.sections)
        checks = list(base.manifest.checks) + list(manifest.checks)
        manifest = manifest.model_copy(update={"checks": checks, "sections": manifest.sections or base.manifest.sections,
                                               "judgement": manifest.judgement or base.manifest.judgement})
    else:
        sections = _load_sections(root, manifest.sections)
    for i, patch in enumerate(manifest.patches):
        try:
            _apply(sections, patch)
        except (KeyError, ValidationError, ValueError) as exc:
            raise DefinitionError(f"{manifest_path}: patches[{i}] ({patch.op} {patch.target}): {exc}") from None
    _fill_judgements(sections, manifest, manifest_path)
    try:
        definition = Definition(manifest=manifest, sections=sections, path=root)
    except DefinitionError as exc:
        raise DefinitionError(f"{root}: {exc}") from None
    _cross_check(definition, manifest_path)
    return definition


def _fill_judgements(sections: list[Section], manifest: Manifest, where: Path) -> None:
    """Judgement items take the 様式's choices from the manifest (a 様式 revision may reword them)."""
    for section in sections:
        for item in (i for top in section.items for i in _walk_all(top)):
            if item.type != "judgement":
                continue
            if manifest.judgement is None:
                raise DefinitionError(f"{where}: judgement item {item.id} needs `judgement:` (choices, issue) in the manifest")
            if not item.choices or item._manifest_choices:  # a derived version's manifest may reword them
                item.choices = [Choice(label=c) for c in manifest.judgement.choices]
                item.issue_choice = manifest.judgement.issue
                item._manifest_choices = True
            if item.issue_choice not in item.choice_labels:
                raise DefinitionError(f"{where}: {item.id}: issue choice {item.issue_choice!r} is not one of its choices")


def _apply(sections: list[Section], patch: Patch) -> None:
    def find(items: list[Item]) -> tuple[list[Item], int] | None:
        for idx, it in enumerate(items):
            if it.id == patch.target:
                return items, idx
            found = find(it.children)
            if found:
                return found
        return None

    located = None
    for s in sections:
        if s.id == patch.target and patch.op == "set":
            for k, v in patch.values.items():
                setattr(s, k, v)
            return
        located = find(s.items)
        if located:
            break
    if not located:
        raise KeyError(f"item {patch.target!r} not found")
    items, idx = located
    if patch.op == "set":
        data = items[idx].model_dump(by_alias=True, exclude_none=True) | patch.values
        items[idx] = Item.model_validate(data)
    elif patch.op == "remove":
        items.pop(idx)
    elif patch.op == "insert_after":
        items.insert(idx + 1, Item.model_validate(patch.item))
    elif patch.op == "append_to":
        items[idx].children.append(Item.model_validate(patch.item))


def _cross_check(d: Definition, where: Path) -> None:
    for item in d.items():
        cond = item.skip_if
        if cond:
            for ref in cond.items():
                if not d.has(ref):
                    raise DefinitionError(f"{where}: {item.id}.skip_if refers to unknown item {ref!r}")
                target = d.item(ref)
                scopes = {d.section_of(ref).scope, d.section_of(item.id).scope}
                if scopes == {"assessment", "file"} and d.section_of(item.id).scope == "assessment":
                    raise DefinitionError(f"{where}: {item.id}.skip_if cannot depend on a per-file item {ref!r}")
                for value in (cond.equals, cond.includes):
                    if value is not None and target.choices and value not in target.choice_labels:
                        raise DefinitionError(f"{where}: {item.id}.skip_if value {value!r} is not a choice of {ref}")
    for check in d.manifest.checks:
        refs = [check.item] + (list(check.when.items()) if check.when else [])
        for ref in refs:
            if not d.has(ref):
                raise DefinitionError(f"{where}: check {check.kind} refers to unknown item {ref!r}")
    for old, new in d.manifest.successor_map.items():
        if not d.has(new):
            raise DefinitionError(f"{where}: successor_map {old} -> unknown item {new!r}")
    known = load_sources(where.parent.parent.parent)
    for what, src in source_refs(d):
        if src.doc not in known:
            raise DefinitionError(f"{where}: {what}.source names unknown document {src.doc!r} (assessments/sources/)")


class Catalogue:
    """Every shipped definition, keyed by (form, version)."""

    def __init__(self, definitions: list[Definition]):
        self._defs = {(d.form, d.version): d for d in definitions}

    def get(self, form: str, version: str) -> Definition:
        try:
            return self._defs[(form, version)]
        except KeyError:
            raise KeyError(f"{form}/{version}") from None

    def versions(self, form: str) -> list[Definition]:
        defs = [d for (f, _), d in self._defs.items() if f == form]
        return sorted(defs, key=lambda d: (d.manifest.effective_from or date.min, d.version))

    def latest(self, form: str) -> Definition:
        return self.versions(form)[-1]

    def all(self) -> list[Definition]:
        return list(self._defs.values())


def load_catalogue(base: Path) -> Catalogue:
    defs = []
    for form in FORMS:
        form_dir = base / form
        if not form_dir.is_dir():
            continue
        for version_dir in sorted(p for p in form_dir.iterdir() if p.is_dir()):
            defs.append(load_definition(version_dir, base_dir=base))
    return Catalogue(defs)


Item.model_rebuild()
Condition.model_rebuild()
