"""One registry of stage names (issue 19 item 1): workflow.Stage and STAGE_LABEL, named by workflow.stage_label
everywhere, a municipality's own steps included; no module keeps its own copy."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.domain import workflow
from app.domain.workflow import STAGE_LABEL, CustomStep, Stage, stage_choices, stage_label

ROOT = Path(__file__).resolve().parents[2]
STEP = CustomStep("shingikai", "審議会報告", "submitted", frozenset({"full"}))


def test_every_stage_has_one_name_and_nothing_else_is_named():
    assert set(STAGE_LABEL) == set(Stage)
    assert len(set(STAGE_LABEL.values())) == len(Stage)
    assert set(workflow.STEP_POSITIONS) <= set(Stage)
    assert set(workflow.EDITABLE) <= set(Stage)


@pytest.mark.parametrize(("stage", "custom", "expected"), [
    *[(s.value, (), label) for s, label in STAGE_LABEL.items()],
    ("custom:shingikai", (STEP,), "審議会報告"),
    ("custom:gone", (STEP,), "gone"),  # a step since removed from the configuration: its key, never "custom:"
])
def test_stage_label(stage, custom, expected):
    assert stage_label(stage, custom) == expected


def test_stage_choices_add_the_bodys_own_steps():
    assert stage_choices((STEP,)) == {**{str(k): v for k, v in STAGE_LABEL.items()}, "custom:shingikai": "審議会報告"}
    assert stage_choices() == STAGE_LABEL


def test_no_copy_of_the_stage_names_outside_the_registry():
    """A second mapping drifts (one copy kept a stale 「差戻し」 stage and showed own steps as custom:…)."""
    names = "|".join(map(re.escape, STAGE_LABEL.values()))
    literal = re.compile(rf"""["']({names})["']""")
    offenders = []
    for path in [*sorted((ROOT / "app").rglob("*.py")), *sorted((ROOT / "templates").rglob("*.html"))]:
        if path == ROOT / "app" / "domain" / "workflow.py":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if literal.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not offenders, "name stages with workflow.stage_label:\n" + "\n".join(offenders)
