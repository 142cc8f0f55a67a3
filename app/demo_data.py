"""The demo's data files (assessments/demo): read, shape-checked and checked against the form definitions.

city.yaml (organisation, departments, accounts, 事務 register, council, yearly reviews, the list of 評価書 files),
companion_basic.yaml (the companion 基礎's answers taken from the 全項目/重点 demo file), life.yaml (the procedures in
flight, days as offsets from today) and blocks.yaml (共通記載). Everything is checked before the demo writes anything:
a missing or unknown key, or an item id that the form definition does not have, is a ValidationFailed naming the
file and the key. The 評価書 files themselves are read and checked by app/demo_content.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app import demo_content
from app.domain.forms import AUDIENCES, Definition
from app.errors import ValidationFailed
from app.services import catalogue

CITY, COMPANION, LIFE, BLOCKS = "city.yaml", "companion_basic.yaml", "life.yaml", "blocks.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------------------------------- city.yaml
class Organisation(_Strict):
    name: str
    kind: str
    municipality: str
    representative: str


class Department(_Strict):
    name: str
    parent: str | None = None


class Account(_Strict):
    login: str
    password: str
    role: str
    name: str
    departments: list[str] = []


class RegisterFile(_Strict):
    name: str
    subjects: int


class JimuSpec(_Strict):
    name: str
    department: str
    handlers: int
    handlers_as_of: date
    legal_basis: str
    dedup_subjects: int | None = None
    dedup_note: str = ""
    files: list[RegisterFile]
    as_of: date
    assessed_on: date | None = None  # the しきい値判断 when the 評価書 was written; determined_on is the yearly re-run
    determined_on: date


class History(_Strict):
    note: str
    review_method: str  # "{council}" is replaced by the council's name
    review_result: str


class YearlyReview(_Strict):
    jimu: str
    form: str
    started: date
    completed: date
    outcome: str
    findings: str


class City(_Strict):
    organisation: Organisation
    departments: list[Department]
    accounts: list[Account]
    jimu: list[JimuSpec]
    council: str
    assessments: list[str]
    history: History
    reviews: list[YearlyReview] = []


# ------------------------------------------------------------------------------------------ companion_basic.yaml
class SystemSource(_Strict):
    group: str
    name: str


class Systems(_Strict):
    item: str  # the 基礎's システムの名称
    separator: str
    from_: dict[str, SystemSource] = Field(alias="from")  # source form -> the group and its name column


class Companion(_Strict):
    answers: dict[str, dict[str, str]]  # source form -> {basic item: source item}
    systems: Systems


# ----------------------------------------------------------------------------------------------------- life.yaml
class Revise(_Strict):
    revised_on: int  # the day of the 改訂 (and of its edits and 変更箇所 rows)
    reason: str
    planned_change_on: int
    edits: dict[str, str]
    classify: str = ""
    timing_note: str = ""


class Opinion(_Strict):
    received_on: int
    channel: str
    submitter: str = ""
    text: str
    response: str = ""
    items: list[str] = []


class Comment(_Strict):
    method: str
    start: int
    end: int
    opinions: list[Opinion] = []


class Minute(_Strict):
    speaker: str
    text: str


class Finding(_Strict):
    items: list[str] = []
    text: str


class Meeting(_Strict):
    session_name: str
    held_on: int
    place: str = ""
    agenda: str = ""
    attendance: str = ""
    public: bool = True
    minutes: list[Minute] = []
    findings: list[Finding] = []


class Review(_Strict):
    consulted_on: int
    method: str  # "{council}" is replaced by the council's name
    meetings: list[Meeting] = []


class Scenario(_Strict):
    jimu: str
    form: str
    revise: Revise
    submit_for_check: int | None = None
    comment: Comment | None = None
    review: Review | None = None


class Life(_Strict):
    by: str
    scenarios: list[Scenario]


# --------------------------------------------------------------------------------------------------- blocks.yaml
class BlockRevision(_Strict):
    text: str | None = None
    measures: dict[str, list[str]] | None = None
    reason: str


class Block(_Strict):
    title: str
    kind: Literal["text", "measures"]
    text: str | None = None
    measures: dict[str, list[str]] | None = None
    note: str = ""
    adopt: Literal["", "adjustable", "fixed"] = ""
    revision: BlockRevision | None = None


class Blocks(_Strict):
    blocks: list[Block]


@dataclass(frozen=True)
class Demo:
    city: City
    companion: Companion
    life: Life
    blocks: Blocks
    assessments: list[tuple[str, dict]]  # (file name, 評価書 file) in city.yaml's order


def day(today: date, offset: int) -> date:
    """A day of life.yaml: `offset` days from the day the demo is loaded."""
    return today + timedelta(days=offset)


def form_versions(doc: dict) -> dict[str, str]:
    """form -> 様式 version of a demo 評価書 file and of its companion 基礎 (the version in force on the 公表日)."""
    forms = [doc["form"]] if doc["form"] == "basic" else ["basic", doc["form"]]
    published = (doc.get("version") or {}).get("published_on")
    return {form: in_force(form, published) for form in forms} | {doc["form"]: doc["form_version"]}


def in_force(form: str, published_on) -> str:
    """The 様式 version in force on the 公表日 (the companion 基礎 of a 評価書 published before 令和6年10月 is on
    the 平成30年5月 様式); the newest one for a 評価書 not published yet."""
    versions = catalogue.catalogue().versions(form)
    if not published_on:
        return versions[-1].version
    on = published_on if isinstance(published_on, date) else date.fromisoformat(str(published_on))
    usable = [d for d in versions if d.manifest.effective_from is None or d.manifest.effective_from <= on]
    return (usable or versions)[-1].version


def load(folder: Path) -> Demo:
    """Read and check every demo file; raise ValidationFailed listing the problems (nothing is written)."""
    problems: list[str] = []
    city = _model(folder, CITY, City, problems)
    companion = _model(folder, COMPANION, Companion, problems)
    life = _model(folder, LIFE, Life, problems)
    blocks = _model(folder, BLOCKS, Blocks, problems)
    docs: list[tuple[str, dict]] = []
    if city is not None:
        docs = _assessment_files(folder, city, problems)
    if problems:
        raise ValidationFailed({"demo": "; ".join(problems[:10])})
    assert city is not None and companion is not None and life is not None and blocks is not None
    _check_city(city, docs, problems)
    _check_companion(companion, docs, problems)
    _check_life(life, city, docs, problems)
    _check_blocks(blocks, problems)
    if problems:
        raise ValidationFailed({"demo": "; ".join(problems[:10])})
    return Demo(city=city, companion=companion, life=life, blocks=blocks, assessments=docs)


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed({"demo": f"{path.name}: {exc}"}) from None


def _model(folder: Path, name: str, model: type[_Strict], problems: list[str]):
    try:
        return model.model_validate(_read(folder / name))
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            what = {"missing": "missing key", "extra_forbidden": "unknown key"}.get(err["type"], err["msg"])
            problems.append(f"{name}: {where}: {what}")
        return None


def _assessment_files(folder: Path, city: City, problems: list[str]) -> list[tuple[str, dict]]:
    data_files = {CITY, COMPANION, LIFE, BLOCKS}
    for path in sorted(folder.glob("*.yaml")):
        if path.name not in data_files and path.name not in city.assessments:
            problems.append(f"{path.name}: not listed in {CITY} assessments")
    docs = []
    for name in city.assessments:
        path = folder / name
        if not path.is_file() or name in data_files:
            problems.append(f"{CITY}: assessments: no 評価書 file {name!r}")
            continue
        doc = _read(path)
        missing = [k for k in ("jimu", "form", "form_version") if not isinstance(doc, dict) or k not in doc]
        if missing:
            problems.append(f"{name}: missing key {missing[0]!r}")
            continue
        assert isinstance(doc, dict)
        if not catalogue.catalogue().versions(doc["form"]):
            problems.append(f"{name}: form: no 様式 {doc['form']!r}")
            continue
        docs.append((name, doc))
    return docs


def _definition(form: str, version: str, where: str, problems: list[str]) -> Definition | None:
    try:
        return catalogue.definition(form, version)
    except KeyError:
        problems.append(f"{where}: no 様式 {form}/{version}")
        return None


def _unknown(d: Definition, ids, where: str, problems: list[str]) -> None:
    # 「ファイル名/item id」 relates to an item of one ファイル (app/demo_life.py `_related`)
    problems += [f"{where}: unknown item {ref!r} ({d.key})" for ref in ids if not d.has(ref.rpartition("/")[2])]


def _check_city(city: City, docs: list[tuple[str, dict]], problems: list[str]) -> None:
    depts = {d.name for d in city.departments}
    for n, dept in enumerate(city.departments):
        if dept.parent and dept.parent not in {d.name for d in city.departments[:n]}:
            problems.append(f"{CITY}: departments.{n}.parent: {dept.parent!r} is not listed before it")
    for n, acc in enumerate(city.accounts):
        problems += [f"{CITY}: accounts.{n}.departments: unknown {d!r}" for d in acc.departments if d not in depts]
    for n, spec in enumerate(city.jimu):
        if spec.department not in depts:
            problems.append(f"{CITY}: jimu.{n}.department: unknown {spec.department!r}")
    jimu = {j.name for j in city.jimu}
    for name, doc in docs:
        if doc["jimu"] not in jimu:
            problems.append(f"{name}: jimu: {doc['jimu']!r} is not in {CITY} jimu")
            continue
        for form, version in form_versions(doc).items():
            d = _definition(form, version, name, problems)
            if d is not None and form == doc["form"]:
                problems += [f"{name}: {p}" for p in demo_content.check(d, doc)]
    planned = {(doc["jimu"], form) for _, doc in docs for form in form_versions(doc)}
    for n, review in enumerate(city.reviews):
        if (review.jimu, review.form) not in planned:
            problems.append(f"{CITY}: reviews.{n}: no demo 評価書 {review.jimu} / {review.form}")


def _check_companion(companion: Companion, docs: list[tuple[str, dict]], problems: list[str]) -> None:
    for name, doc in docs:
        form = doc["form"]
        if form == "basic":
            continue
        where = f"{COMPANION} ({name})"
        if form not in companion.answers or form not in companion.systems.from_:
            problems.append(f"{COMPANION}: no entry for the form {form!r} (answers and systems.from)")
            continue
        versions = form_versions(doc)
        basic = _definition("basic", versions["basic"], where, problems)
        source = _definition(form, versions[form], where, problems)
        if basic is None or source is None:
            continue
        mapping = companion.answers[form]
        _unknown(basic, [*mapping, companion.systems.item], f"{where} answers.{form}", problems)
        system = companion.systems.from_[form]
        _unknown(source, [*mapping.values(), system.group, system.name], f"{where} answers.{form}", problems)


def _check_life(life: Life, city: City, docs: list[tuple[str, dict]], problems: list[str]) -> None:
    if life.by not in {a.login for a in city.accounts}:
        problems.append(f"{LIFE}: by: {life.by!r} is not in {CITY} accounts")
    versions = {(doc["jimu"], form): version for _, doc in docs for form, version in form_versions(doc).items()}
    for n, sc in enumerate(life.scenarios):
        where = f"{LIFE}: scenarios.{n}"
        if (sc.jimu, sc.form) not in versions:
            problems.append(f"{where}: no demo 評価書 {sc.jimu} / {sc.form}")
            continue
        d = _definition(sc.form, versions[(sc.jimu, sc.form)], where, problems)
        if d is None:
            continue
        _unknown(d, sc.revise.edits, f"{where}.revise.edits", problems)
        for k, op in enumerate(sc.comment.opinions if sc.comment else []):
            _unknown(d, op.items, f"{where}.comment.opinions.{k}.items", problems)
        for k, meeting in enumerate(sc.review.meetings if sc.review else []):
            for m, finding in enumerate(meeting.findings):
                _unknown(d, finding.items, f"{where}.review.meetings.{k}.findings.{m}.items", problems)


def _check_blocks(blocks: Blocks, problems: list[str]) -> None:
    for n, block in enumerate(blocks.blocks):
        contents = [(f"blocks.{n}", block.text, block.measures)]
        if block.revision:
            contents.append((f"blocks.{n}.revision", block.revision.text, block.revision.measures))
        for where, text, measures in contents:
            wanted, unwanted = (text, measures) if block.kind == "text" else (measures, text)
            if wanted is None:
                problems.append(f"{BLOCKS}: {where}: missing key {block.kind!r} (kind: {block.kind})")
            if unwanted is not None:
                problems.append(f"{BLOCKS}: {where}: {'measures' if block.kind == 'text' else 'text'!r} does not "
                                f"go with kind: {block.kind}")
            problems += [f"{BLOCKS}: {where}.measures: unknown audience {aud!r}" for aud in measures or {}
                         if aud not in AUDIENCES]
