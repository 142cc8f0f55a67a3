"""One answer to "can this be edited?" (issue 19 item 3): assessments.editability, used by the editor page, the
save path (get_version(edit=True)) and can_edit; a database error is no longer taken for "read-only"."""
from __future__ import annotations

import pytest

from app.domain import workflow
from app.domain.policy import Actor
from app.models import AssessmentVersion, Jimu
from app.services.assessments import editability

OWN, OTHER = 6, 7


def who(role: str, depts=(OWN,)) -> Actor:
    return Actor(user_id=1, login_id=role, role=role, organisation_id=1,
                 department_ids=frozenset(depts if role == "staff" else ()))


ACTORS = {"admin": who("admin"), "records": who("records"), "own staff": who("staff"),
          "other staff": who("staff", (OTHER,)), "staff without department": who("staff", ()),
          "council": who("council"), "sysadmin": who("sysadmin")}
MAY = {"admin", "records", "own staff"}


@pytest.mark.parametrize("name", ACTORS)
@pytest.mark.parametrize("stage", [*workflow.Stage, "custom:council_report"])
@pytest.mark.parametrize("frozen", [False, True])
def test_editability_table(name, stage, frozen):
    e = editability(ACTORS[name], Jimu(department_id=OWN), AssessmentVersion(stage=stage, frozen=frozen))
    open_stage = stage in workflow.EDITABLE and not frozen
    assert e.ok is (name in MAY and open_stage)
    assert bool(e) is e.ok
    if name not in MAY:
        assert not e.frozen and e.reason  # who the user is: the department / role wording (403)
    elif not open_stage:
        assert e.frozen and "編集できません" in e.reason and workflow.stage_label(stage) in e.reason
    else:
        assert e.reason == ""


@pytest.mark.parametrize("name", ACTORS)
def test_without_a_version_only_the_person_counts(name):
    assert editability(ACTORS[name], Jimu(department_id=OWN)).ok is (name in MAY)
