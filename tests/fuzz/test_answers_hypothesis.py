"""Arbitrary answers through the real save path, the three Word editions and the JSON / DOCX round trips.

The draft 全項目評価書 of 国民健康保険 (2 files, editable) is the subject. For every generated page:

- storable input (any Unicode except the refused control characters, up to the limits) is saved as typed
  (newlines normalised), the three editions (案・提出用・公表用) render, a 非公表 text appears in 提出用 only,
  and export_version → JSON text → import_version → export_version is identical, as is the re-import of the
  提出用 DOCX (its embedded JSON);
- input with one thing broken on purpose (a control character or lone surrogate, a text over its limit, an
  unknown choice, a bad date or number, too many measures or rows, a bad 非公表 reason or 改善策) is refused
  with a Japanese ValidationFailed and changes nothing (answers, page locks, actions, audit log).
"""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain.answers import parse_page, skip_reason
from app.errors import ValidationFailed
from app.models import Answer, Assessment, AuditLog, ImprovementAction, Jimu, PageLock
from app.services import assessments, auth, catalogue, exports, jsonio
from app.services.answers import save_page
from tests import dbutil
from tests.export.helpers import all_text, body_sequence, open_docx
from tests.fuzz.conftest import count
from tests.fuzz.strategies import (
    RAW_TEXT,
    TEXT,
    PageCase,
    Posted,
    expected_value,
    form_fields,
    page_posts,
    poison,
    secret_marker,
    storable,
)

TODAY = dbutil.DEMO_TODAY
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
DEFINITION = catalogue.definition("full", "r06-10")


# ------------------------------------------------------------------ the subject and how to look at it

class Subject:
    """The editable 全項目 of 国民健康保険 and its owner (the 保険年金課 demo user)."""

    def __init__(self, engine):
        self.engine = engine
        _, tokens = dbutil.demo_snapshot()
        with Session(engine) as s:
            self.actor = auth.actor_for_token(s, token=tokens["hoken"], bearer=False)
            jid = s.exec(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務")).one()
            self.assessment_id = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid,
                                                                    Assessment.form == "full")).one()
            v = assessments.current_version(s, self.assessment_id)
            self.version_id, form_version = v.id, v.form_version
            assert not v.frozen
        self.definition = catalogue.definition("full", form_version)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def files(self) -> list[str]:
        with self.session() as s:
            return [f.uid for f in assessments.files(s, self.version_id)]

    def lock(self, page_id: str, uid: str) -> int:
        with self.session() as s:
            return s.get(PageLock, (self.version_id, page_id, uid)).lock

    def state(self) -> dict:
        """Everything a save or an import may change, read in a new session."""
        vid = self.version_id
        with self.session() as s:
            return {
                "answers": sorted((a.file_uid, a.item_id, json.dumps(a.value, ensure_ascii=False, sort_keys=True),
                                   a.withheld, a.withheld_reason)
                                  for a in s.exec(select(Answer).where(Answer.version_id == vid))),
                "files": [(f.uid, f.name, f.position) for f in assessments.files(s, vid)],
                "locks": sorted((p.page_id, p.file_uid, p.lock) for p in s.exec(select(PageLock).where(
                    PageLock.version_id == vid))),
                "actions": sorted((x.file_uid, x.item_id, x.content, x.owner, str(x.due_on), x.status) for x in s.exec(
                    select(ImprovementAction).where(ImprovementAction.assessment_id == self.assessment_id))),
                "audit": s.exec(select(func.count()).select_from(AuditLog)).one(),
            }

    def values(self, uid: str) -> dict:
        with self.session() as s:
            return {a.item_id: a for a in s.exec(select(Answer).where(Answer.version_id == self.version_id,
                                                                      Answer.file_uid == uid))}

    def export_json(self) -> dict:
        with self.session() as s:
            return jsonio.export_version(s, actor=self.actor, version_id=self.version_id)

    def export_docx(self, edition: str) -> bytes:
        with self.session() as s:
            return exports.export(s, actor=self.actor, version_id=self.version_id, edition=edition,
                                  today=TODAY).content


@pytest.fixture
def subject(demo_engine) -> Subject:
    return Subject(demo_engine)


def assert_japanese_refusal(exc: ValidationFailed) -> None:
    assert exc.errors, "a refusal names the field"
    for message in [exc.message, *exc.errors.values()]:
        assert JAPANESE.search(message), message
    count("refusals (Japanese ValidationFailed)")


def same_document(a: dict, b: dict) -> None:
    for key in ("format", "files", "answers", "actions", "assessment", "version", "jimu", "organisation"):
        assert a[key] == b[key], key


def check_exports_and_round_trips(subject: Subject, *, withheld_markers: list[str] = (), shown: list[str] = ()):
    """Three editions render; 非公表 text only in 提出用; JSON and DOCX re-imports are identical."""
    editions = {e: subject.export_docx(e) for e in ("draft", "full", "public")}
    docs = {e: open_docx(data) for e, data in editions.items()}  # each one is a Word document python-docx reads
    assert all(docs[e].paragraphs for e in docs)
    for marker in withheld_markers:
        for e in ("draft", "public"):
            assert marker not in all_text(editions[e]), f"非公表の内容が{e}に残っています"
    full_text = "\n".join(t for _, t in body_sequence(docs["full"])) if shown else ""
    for marker in shown:
        assert marker in full_text, marker
    before = subject.export_json()
    wire = json.loads(json.dumps(before, ensure_ascii=False))
    try:
        with subject.session() as s:
            jsonio.import_version(s, actor=subject.actor, data=wire, into=subject.assessment_id)
        same_document(before, subject.export_json())
        with subject.session() as s:
            exports.import_docx(s, actor=subject.actor, data=editions["full"], into=subject.assessment_id)
    except ValidationFailed as exc:
        pytest.fail(f"the app refused its own export: {exc.errors}")
    same_document(before, subject.export_json())
    count("exports (docx)", 3)
    count("round trips (JSON and DOCX)", 2)


# ------------------------------------------------------------------ cases

EDITABLE_PAGES = [p for p in DEFINITION.pages if any(i.answerable and not i.readonly for i in p.walk())]


@st.composite
def page_cases(draw) -> PageCase:
    page = draw(st.sampled_from(EDITABLE_PAGES))
    posted = draw(page_posts(page))
    kind = None
    if draw(st.integers(0, 2)) == 0:
        posted, kind = poison(draw, posted)
    return PageCase(page_id=page.id, file_index=draw(st.integers(0, 1)), posted=posted, poison=kind)


def _item(item_id: str):
    return DEFINITION.item(item_id)


def _case(page_id: str, *posted: Posted, poison_kind: str | None = None) -> PageCase:
    return PageCase(page_id=page_id, file_index=0, posted=list(posted), poison=poison_kind)


MEASURES_ITEM = next(i for i in DEFINITION.page("III~III.2").walk() if i.type == "measures")
GROUP_ITEM = _item("II.4.rows")
BIG = {"external": [f"市民向け措置{n}👨‍👩‍👧 髙﨑\t" for n in range(100)], "staff": [f"職員向け措置{n}\n齋藤" for n in range(100)]}

EXAMPLES = [
    # the largest storable page: 100 measures in both audiences, a 20,000-character text, 200 group rows
    _case("III~III.2", Posted(MEASURES_ITEM, BIG)),
    _case("I", Posted(_item("I.1.2"), "漢" * 20_000, withheld=(True, "理由" * 500))),
    _case("II~II.4", Posted(GROUP_ITEM, [(f"row{n:05d}", {"II.4.rows.name": f"委託{n} 🏯"}) for n in range(200)])),
    # one over each limit
    _case("III~III.2", Posted(MEASURES_ITEM, {**BIG, "staff": BIG["staff"] + ["101件目"]}), poison_kind="measures"),
    _case("I", Posted(_item("I.1.2"), "漢" * 20_001), poison_kind="too_long"),
    _case("II~II.4", Posted(GROUP_ITEM, [(f"row{n:05d}", {}) for n in range(201)]), poison_kind="rows"),
    # empty lists and every kind of newline
    _case("III~III.2", Posted(MEASURES_ITEM, {"external": [], "staff": []})),
    _case("II~II.4", Posted(GROUP_ITEM, [])),
    _case("I", Posted(_item("I.1.2"), "一\r\n二\r三\n\u2028四\u2029五\t六\u3000")),
    _case("I", Posted(_item("I.1.2"), "NEL\x85"), poison_kind="control"),  # U+0085 is a C1 control character
    # NUL, a lone surrogate and U+FFFF (PostgreSQL cannot store NUL; XML cannot hold the others)
    _case("I", Posted(_item("I.1.2"), "前\x00後"), poison_kind="control"),
    _case("I", Posted(_item("I.1.2"), "前\ud800後"), poison_kind="control"),
    _case("III~III.2", Posted(MEASURES_ITEM, {"external": ["\uffff"], "staff": []}), poison_kind="control"),
    # found: a 非公表 item on the cover was printed in 案 and 公表用 (the cover did not check 非公表, and a
    # 非公表 評価書名 was the title in the header and the document properties)
    _case("cover", Posted(_item("cover.org"), secret_marker(_item("cover.org")) + "しののめ市長",
                          withheld=(True, "理由"))),
    _case("cover", Posted(_item("cover.name"), secret_marker(_item("cover.name")) + "評価書",
                          withheld=(True, "理由"))),
    # found: a 5,000-digit number: int() raised ValueError (500)
    _case("II~II.4", Posted(_item("II.4.count"), "9" * 5000), poison_kind="number"),
    # found: a posted measure id with NUL and "|" was kept (cut to 32 characters): the DOCX's embedded JSON
    # dropped the NUL, so its re-import differed, and "|" splits editor operations
    _case("III~III.2", Posted(MEASURES_ITEM, {"external": ["措置"], "staff": []}), poison_kind="id"),
]


def examples(cases: list[PageCase]):
    """@example for each case (the regression and boundary cases above run before the generated ones)."""
    def apply(test):
        for case in reversed(cases):
            test = example(case=case)(test)
        return test

    return apply


def run_case(subject: Subject, case: PageCase) -> None:
    page = subject.definition.page(case.page_id)
    uid = subject.files()[case.file_index] if page.scope == "file" else ""
    lock = subject.lock(page.id, uid)
    fields = form_fields(case.posted, lock=lock)
    if case.poison == "id":
        fields[f"mi|{case.posted[0].item.id}|external"] = ["m\x00|del|0"]
    parsed = parse_page(page, fields)
    must_refuse = case.poison is not None
    before = subject.state()
    count("hypothesis examples: editor pages")
    try:
        with subject.session() as s:
            save_page(s, actor=subject.actor, version_id=subject.version_id, page_id=page.id, file_uid=uid,
                      lock=str(lock), parsed=parsed, today=TODAY)
    except ValidationFailed as exc:
        assert must_refuse, f"storable input was refused: {exc.errors}"  # noqa: PT017 - refusing is one outcome
        assert_japanese_refusal(exc)
        assert subject.state() == before, "a refused save changed something"
        return
    assert not must_refuse, f"{case.poison} was accepted"
    stored = subject.values(uid)
    markers, shown = [], []
    for p in case.posted:
        row = stored[p.item.id]
        want = expected_value(p.item, p.raw)
        if p.item.type == "date" and p.raw:  # any accepted spelling (和暦, R7.4.1, 全角) is stored as YYYY-MM-DD
            assert date.fromisoformat(row.value).isoformat() == row.value, (p.raw, row.value)
            assert not ISO_DATE.fullmatch(p.raw) or row.value == p.raw
        else:
            assert row.value == want, p.item.id
        if p.withheld is not None:
            assert (row.withheld, row.withheld_reason) == (True, p.withheld[1].strip())
    # a 非公表 text (it starts with a marker): in 提出用, nowhere in 案 and 公表用 (body, headers, properties, JSON)
    values = {k: v.value for k, v in {**subject.values(""), **stored}.items()}
    for p in case.posted:
        if p.withheld is not None and str(p.raw).startswith(secret_marker(p.item)):
            markers.append(secret_marker(p.item))
            if not skip_reason(subject.definition, p.item.id, values):
                shown.append(secret_marker(p.item))
    check_exports_and_round_trips(subject, withheld_markers=markers, shown=shown)


@settings(max_examples=12, **SETTINGS)
@given(case=page_cases())
@examples(EXAMPLES)
def test_any_answers_save_export_and_round_trip(subject, case):
    run_case(subject, case)


def test_the_oracle_agrees_with_the_rule():
    """The test's own statement of what is refused matches app.domain.text on every Basic Multilingual Plane
    code point and on the planes above (one in 97, and the last of each plane)."""
    from app.domain.text import normalise_newlines, text_problem

    points = list(range(0x10000)) + list(range(0x10000, 0x110000, 97)) + [p * 0x10000 - 1 for p in range(2, 18)]
    for cp in points:
        ch = chr(cp)
        refused = text_problem(normalise_newlines(ch), label="項目", max_len=10) is not None
        assert refused == (not storable(ch, 10)), hex(cp)


# ------------------------------------------------------------------ many files, any file names

FILE_NAMES = st.one_of(RAW_TEXT, st.sampled_from(["", "   ", "国民健康保険資格ファイル", "ファイル" * 51, "ﾌｧｲﾙ①",
                                                  "𠮷野家ファイル👨‍👩‍👧", "<script>", "ファイル\x00", "\ud800"]))
REGISTER_IDS = st.sampled_from(["", "", "", "²", "１", "0", "-1", "99999999999999999999999", "1e3", "abc", "REG"])
FILE_OPS = st.lists(st.one_of(
    st.tuples(st.just("add"), FILE_NAMES, REGISTER_IDS),
    st.tuples(st.just("rename"), st.integers(0, 30), FILE_NAMES),
    st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from(["up", "down", "sideways"])),
    st.tuples(st.just("remove"), st.integers(0, 30), st.none()),
), min_size=1, max_size=8)


def register_file(subject: Subject) -> str:
    """The id of one of the 事務's registered files (the demo's)."""
    from app.models import SpecificFile

    with subject.session() as s:
        jimu_id = s.get(Assessment, subject.assessment_id).jimu_id
        return str(s.exec(select(SpecificFile.id).where(SpecificFile.jimu_id == jimu_id)).first())


def run_file_ops(subject: Subject, ops) -> None:
    count("hypothesis examples: file operations")
    for op, arg, extra in ops:
        names = [n for _, n, _ in subject.state()["files"]]
        uids = subject.files()
        before = subject.state()
        expect_ok = True
        try:
            with subject.session() as s:
                if op == "add":
                    reg = register_file(subject) if extra == "REG" else extra
                    name = arg.strip()
                    expect_ok = (reg in ("", register_file(subject))
                                 and (bool(name) or reg != "") and storable(name, 200) and name not in names)
                    if expect_ok and not name:
                        expect_ok = None  # the name comes from the register: may already be used
                    assessments.add_file(s, actor=subject.actor, version_id=subject.version_id, name=arg,
                                         register_file_id=reg)
                elif op == "rename":
                    uid = uids[arg % len(uids)]
                    name = extra.strip()
                    expect_ok = bool(name) and storable(name, 200) and name not in (
                        [n for u, n in zip(uids, names, strict=True) if u != uid])
                    assessments.rename_file(s, actor=subject.actor, version_id=subject.version_id, uid=uid,
                                            name=extra)
                elif op == "move":
                    assessments.move_file(s, actor=subject.actor, version_id=subject.version_id,
                                          uid=uids[arg % len(uids)], direction=extra)
                else:
                    expect_ok = len(uids) > 1
                    assessments.remove_file(s, actor=subject.actor, version_id=subject.version_id,
                                            uid=uids[arg % len(uids)])
        except ValidationFailed as exc:
            assert expect_ok is not True, f"{op} {arg!r} {extra!r} was refused: {exc.errors}"  # noqa: PT017
            assert_japanese_refusal(exc)
            assert subject.state() == before, "a refused file operation changed something"
            continue
        assert expect_ok is not False, f"{op} {arg!r} {extra!r} was accepted"
    check_exports_and_round_trips(subject)


@settings(max_examples=6, **SETTINGS)
@given(ops=FILE_OPS)
@example(ops=[("add", f"追加ファイル{n} 髙﨑👨‍👩‍👧", "") for n in range(8)])  # 10 files in all
@example(ops=[("add", "登録簿のファイル", "²")])            # "²".isdigit() is true: int("²") crashed (500)
@example(ops=[("add", "", "99999999999999999999999")])    # beyond SQLite's INTEGER: OverflowError (500)
@example(ops=[("add", "登録簿のファイル", "0")])            # id 0 was taken as "no file" but stored as a foreign key
@example(ops=[("add", "", "REG"), ("add", "", "REG")])     # the second copies an existing name
@example(ops=[("rename", 0, "名前\x00"), ("remove", 0, None), ("remove", 0, None)])
def test_many_files_with_any_names(subject, ops):
    run_file_ops(subject, ops)


# ------------------------------------------------------------------ hostile JSON documents

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                         RAW_TEXT)
ANY_JSON = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(RAW_TEXT, st.sampled_from(["id", "_id", "text",
                                                                                        "checked", "texts"])),
                                                 inner, max_size=4)), max_leaves=12)


@st.composite
def mutations(draw):
    """A few edits to an exported document: answer values, files, reasons, actions, top-level fields."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value_like", "entry_id", "number", "reason", "withheld", "answer_keys",
                                     "add_file", "file_name", "file_uid", "file_position", "action", "version",
                                     "top"]))
        out.append((kind, draw(st.integers(0, 10_000)), draw(ANY_JSON), draw(st.one_of(TEXT, RAW_TEXT))))
    return out


def like(value, text: str, pick: int):
    """A value of the same shape with a text or an id replaced (stays well-formed, may become unstorable)."""
    if isinstance(value, str):
        return text
    if isinstance(value, list) and value:
        i = pick % len(value)
        return [*value[:i], like(value[i], text, pick // 7), *value[i + 1:]]
    if isinstance(value, dict) and value:
        key = sorted(value)[pick % len(value)]
        return {**value, key: like(value[key], text, pick // 7)}
    return value


def mutate(doc: dict, edits) -> dict:
    doc = json.loads(json.dumps(doc))
    answers, files = doc["answers"], doc["files"]
    for kind, pick, anything, text in edits:
        a = answers[pick % len(answers)]
        if kind == "value":
            a["value"] = anything
        elif kind == "value_like":
            a["value"] = like(a["value"], text, pick)
        elif kind == "entry_id":  # the id of a measure or of a group row
            entries = [m for x in answers if isinstance(x["value"], dict)
                       for aud in ("external", "staff", "system") for m in x["value"].get(aud) or []]
            entries += [row for x in answers if isinstance(x["value"], list)
                        for row in x["value"] if isinstance(row, dict) and "_id" in row]
            if entries:
                entry = entries[pick % len(entries)]
                entry["id" if "id" in entry else "_id"] = text if pick % 2 else anything
        elif kind == "number":  # the value of a number item (件数)
            numbers = [x for x in answers if DEFINITION.has(x["item"]) and DEFINITION.item(x["item"]).type == "number"]
            numbers[pick % len(numbers)]["value"] = anything if pick % 2 else text
        elif kind == "reason":
            a["withheld_reason"] = text if pick % 2 else anything
        elif kind == "withheld":
            a["withheld"] = anything
        elif kind == "answer_keys":
            a["file" if pick % 2 else "item"] = text if pick % 3 else anything
        elif kind == "add_file":
            files.append({"uid": f"f{pick}" if pick % 2 else text, "name": text, "position": pick})
        elif kind == "file_name":
            files[pick % len(files)]["name"] = text if pick % 2 else anything
        elif kind == "file_uid":
            files[pick % len(files)]["uid"] = text if pick % 2 else anything
        elif kind == "file_position":
            files[pick % len(files)]["position"] = anything
        elif kind == "action":
            doc["actions"].append({"file": "", "item": a["item"], "content": text, "owner": anything,
                                   "due_on": anything if pick % 2 else "2027-03-31", "status": "open",
                                   "closed_on": None, "close_note": ""})
        elif kind == "version":
            doc["version"][["seq", "kind", "stage", "submitted_on", "published_on"][pick % 5]] = anything
        else:
            doc[["answers", "files", "actions", "version", "format_version"][pick % 5]] = anything
    return doc


def run_import(subject: Subject, edits) -> None:
    count("hypothesis examples: JSON imports")
    doc = mutate(subject.export_json(), edits)
    before = subject.state()
    try:
        with subject.session() as s:
            jsonio.import_version(s, actor=subject.actor, data=doc, into=subject.assessment_id)
    except ValidationFailed as exc:
        assert_japanese_refusal(exc)
        assert subject.state() == before, "a refused import changed something"
        return
    # accepted: what was stored survives every further export and import unchanged
    count("JSON imports accepted")
    check_exports_and_round_trips(subject)


@settings(max_examples=40, **SETTINGS)
@given(edits=mutations())
@example(edits=[("add_file", 1, None, "ファイル\x00")])        # NUL in a file name: PostgreSQL refused it (500)
@example(edits=[("file_uid", 1, None, "u" * 40)])             # uid cut to 32 characters: answers lost their file
@example(edits=[("reason", 1, None, "理由\x00")])             # NUL in a 非公表 reason
@example(edits=[("file_position", 0, "1", "")])              # "1" vs 0: sorting the files raised TypeError
@example(edits=[("action", 1, None, "改善\x00")])             # NUL in an 改善策
@example(edits=[("entry_id", 1, None, "m\x00|del|0")])       # NUL and "|" in a measure id were kept
@example(edits=[("entry_id", 3, None, "r" * 33)])            # a 33-character row id was silently cut to 32
@example(edits=[("number", 1, None, "9" * 5000)])            # a 5,000-digit number: int() raised ValueError
@example(edits=[("number", 0, 2**70, "")])                   # beyond the item's maximum
def test_hostile_json_is_refused_or_round_trips(subject, edits):
    run_import(subject, edits)


@pytest.mark.parametrize(("edit", "field"), [
    ({}, None),                                               # the control: imported
    ({"version": {"seq": "abc"}}, "version.seq"),            # int("abc") raised ValueError (500)
    ({"assessment": {"form": "full", "number": "十"}}, "number"),  # int("十") raised ValueError (500)
    ({"jimu": None}, "jimu"),                                 # doc["jimu"]["name"] raised TypeError (500)
    ({"jimu": {"department": "保険年金課"}}, "jimu"),          # ... and KeyError without a name
    ({"assessment": {"form": "full", "number": 2**70}}, "number"),  # OverflowError binding the number (SQLite)
])
def test_a_new_assessment_from_hostile_json_is_refused(subject, edit, field):
    """Importing as a new 評価書 (no `into`): the fields only that path reads are checked too."""
    from app.services import register
    from app.services.register import FileInput, JimuInput

    with subject.session() as s:
        dept = s.get(Jimu, s.get(Assessment, subject.assessment_id).jimu_id).department_id
        register.create(s, actor=subject.actor, organisation_id=subject.actor.organisation_id, today=TODAY,
                        data=JimuInput(name="国民健康保険(検証用)", department_id=str(dept), handlers="10",
                                       handlers_as_of="2026-04-01",
                                       files=[FileInput(name="検証用ファイル", subjects="10",
                                                        subjects_as_of="2026-04-01")]))
    doc = {**subject.export_json(), "jimu": {"name": "国民健康保険(検証用)", "department": "保険年金課"},
           "assessment": {"form": "full", "number": 90}}  # a free 評価書番号: the document is otherwise importable
    doc["version"] = {**doc["version"], **edit.pop("version", {})}
    doc.update(edit)
    before = subject.state()
    if field is None:
        with subject.session() as s:
            v = jsonio.import_version(s, actor=subject.actor, data=doc)
            assert jsonio.export_version(s, actor=subject.actor, version_id=v.id)["answers"] == doc["answers"]
        return
    with pytest.raises(ValidationFailed) as exc, subject.session() as s:
        jsonio.import_version(s, actor=subject.actor, data=doc)
    assert field in exc.value.errors, exc.value.errors
    assert_japanese_refusal(exc.value)
    assert subject.state()["audit"] == before["audit"]
