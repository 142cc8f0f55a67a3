"""Each answer type has one home (app/domain/answer_types.py) and one printer (app/export/answer_print.py); field
and operation names are built and parsed in app/domain/fields.py only. These tests keep it that way."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.domain import fields as F
from app.domain.answer_types import OP_OWNER, TYPES
from app.domain.forms import ANSWERABLE
from app.export.answer_print import PRINTERS

ROOT = Path(__file__).resolve().parents[2]
STRUCTURE = {"heading", "fixed", "group"}  # layout (headings, fixed text, a group's rows), not how a value behaves
VALUE_TYPES = sorted(ANSWERABLE - STRUCTURE)
# the modules that handle answer values: none of them may branch on an answer type by name
VALUE_MODULES = ["app/domain/answers.py", "app/domain/answer_text.py", "app/domain/changes.py",
                 "app/domain/completeness.py", "app/services/answers.py", "app/services/jsonio.py",
                 "app/services/jsonimport.py", "app/services/exports.py", "app/services/annual.py",
                 "app/routes/editor.py", "app/export/assessment_doc.py"]


def test_every_answerable_type_has_a_home_a_printer_and_a_macro():
    macros = set(re.findall(r"{% macro (\w+)\(", (ROOT / "templates/macros/items.html").read_text("utf-8")))
    assert set(TYPES) == ANSWERABLE
    assert set(PRINTERS) == ANSWERABLE
    for name, t in TYPES.items():
        assert t.macro in macros, (name, t.macro)


@pytest.mark.parametrize("path", VALUE_MODULES)
def test_no_value_module_branches_on_an_answer_type(path):
    text = (ROOT / path).read_text("utf-8")
    names = "|".join(VALUE_TYPES)
    found = re.findall(rf"""\.type\s*(?:==|!=)\s*["']({names})["']|\.type\s+(?:not\s+)?in\s*\(([^)]*)\)""", text)
    hits = [a or b for a, b in found if a or any(f'"{t}"' in b or f"'{t}'" in b for t in VALUE_TYPES)]
    assert not hits, f"{path} branches on answer types {hits}: ask app/domain/answer_types.TYPES instead"


def test_the_editor_macros_dispatch_through_the_registry():
    text = (ROOT / "templates/macros/items.html").read_text("utf-8")
    compared = re.findall(r"""item\.type\s*==\s*["'](\w+)["']""", text)
    assert set(compared) <= {"heading", "fixed"}, compared


def test_field_names_are_spelled_in_one_place():
    pattern = re.compile(r"""["'](?:a|p|t|m|mi|r|gi|gs|gc|fu|fc|w|wr|act|add|del|move|up|down|lib|addrow|delrow|"""
                         r"""rowup|rowdown|figadd|figdel|figup|figdown|prefill)\|""")
    offenders = []
    for path in [*ROOT.glob("app/**/*.py"), ROOT / "templates/macros/items.html", ROOT / "templates/assessments/edit.html"]:
        if path.name == "fields.py":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}")
    assert not offenders, offenders


@pytest.mark.parametrize(("raw", "expected"), [
    ("", None),
    ("add", None),
    ("add|III.2.r1.m|staff", F.Op("add", "III.2.r1.m", ("staff",))),
    ("move|III.2.r1.m|staff|2|system", F.Op("move", "III.2.r1.m", ("staff", "2", "system"))),
    ("figadd|annex1.diagram", F.Op("figadd", "annex1.diagram", ())),
])
def test_operations_parse(raw, expected):
    assert F.parse_op(raw) == expected


def test_names_and_operations_round_trip():
    assert F.name(F.MEASURE, "III.2.r1.m", "staff") == "m|III.2.r1.m|staff"
    assert F.name(F.ANSWER, F.key("II.4.rows", "r1", "II.4.name")) == "a|II.4.rows|r1|II.4.name"
    op = F.op("move", "III.2.r1.m", "staff", 2, "system")
    assert F.parse_op(op) == F.Op("move", "III.2.r1.m", ("staff", "2", "system")) and F.parse_op(op).index(1) == 2


def test_each_operation_has_one_owner():
    kinds = [k for t in TYPES.values() for k in t.ops]
    assert len(kinds) == len(set(kinds)) and set(OP_OWNER) == set(kinds)
    assert OP_OWNER["move"] == "measures" and OP_OWNER["addrow"] == "group" and OP_OWNER["figadd"] == "figure"
