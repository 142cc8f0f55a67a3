"""The demo's YAML (assessments/demo) is checked before the demo writes anything: a missing or unknown key, an item id
the form does not have, or a 評価書 file not listed in city.yaml stops the load with the file and key named."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from app import demo_data
from app.errors import ValidationFailed

DEMO = Path(__file__).resolve().parents[2] / "assessments" / "demo"


@pytest.fixture
def folder(tmp_path) -> Path:
    for path in DEMO.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problem(folder: Path) -> str:
    with pytest.raises(ValidationFailed) as exc:
        demo_data.load(folder)
    return exc.value.errors["demo"]


def test_the_shipped_demo_files_are_valid():
    data = demo_data.load(DEMO)
    assert [name for name, _ in data.assessments] == data.city.assessments
    assert {sc.form for sc in data.life.scenarios} == {"full", "focused", "basic"}
    assert set(data.companion.answers) == {"full", "focused"}


def test_a_missing_key_names_the_file_and_the_key(folder):
    _edit(folder, "city.yaml", lambda d: d["jimu"][1].pop("legal_basis"))
    _edit(folder, "life.yaml", lambda d: d["scenarios"][0]["revise"].pop("reason"))
    problem = _problem(folder)
    assert "city.yaml: jimu.1.legal_basis: missing key" in problem
    assert "life.yaml: scenarios.0.revise.reason: missing key" in problem


def test_an_unknown_key_is_refused(folder):
    _edit(folder, "blocks.yaml", lambda d: d["blocks"][0].update(level="fixed"))
    assert "blocks.yaml: blocks.0.level: unknown key" in _problem(folder)


def test_item_ids_are_checked_against_the_form_definition(folder):
    _edit(folder, "companion_basic.yaml", lambda d: d["answers"]["focused"].update({"I.99": "I.1.2"}))
    _edit(folder, "life.yaml", lambda d: d["scenarios"][1]["review"]["meetings"][0]["findings"][0]
          .update(items=["III.42"]))
    _edit(folder, "kokuho_full.yaml", lambda d: d["answers"][""].update({"I.77": "x"}))
    problem = _problem(folder)
    assert "companion_basic.yaml (zeimin_focused.yaml) answers.focused: unknown item 'I.99' (basic/" in problem
    assert "life.yaml: scenarios.1.review.meetings.0.findings.0.items: unknown item 'III.42' (focused/h30-05)" in problem
    assert "kokuho_full.yaml: 評価書: unknown item 'I.77'" in problem


def test_every_assessment_file_is_listed_in_city_yaml(folder):
    shutil.copy(folder / "jidou_basic.yaml", folder / "extra_basic.yaml")
    _edit(folder, "city.yaml", lambda d: d["assessments"].append("missing_full.yaml"))
    problem = _problem(folder)
    assert "extra_basic.yaml: not listed in city.yaml assessments" in problem
    assert "city.yaml: assessments: no 評価書 file 'missing_full.yaml'" in problem


def test_a_block_needs_the_content_of_its_kind(folder):
    _edit(folder, "blocks.yaml", lambda d: d["blocks"][1].pop("measures"))
    assert "blocks.yaml: blocks.1: missing key 'measures' (kind: measures)" in _problem(folder)
