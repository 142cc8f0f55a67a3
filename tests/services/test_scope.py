"""The one scope helper (app/services/scope.py): table tests, and no service filters by body or department by hand."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from app.domain.policy import SYSTEM, Actor
from app.models import Jimu
from app.services import scope

APP = Path(__file__).resolve().parents[2] / "app"


def actor(role: str, org: int | None = 1, depts=()) -> Actor:
    return Actor(user_id=1, login_id=role, role=role, organisation_id=org, department_ids=frozenset(depts))


@pytest.mark.parametrize(("who", "row_org", "same"), [
    (actor("admin"), 1, True), (actor("admin"), 2, False), (actor("records"), 2, False),
    (actor("staff", depts=[5]), 2, False), (actor("sysadmin"), 2, False), (actor("council"), 1, True),
    (actor("admin", org=None), 1, False),  # a user without a body reaches nothing
    (SYSTEM, 1, True), (SYSTEM, 2, True),  # the bare local CLI crosses bodies (demo, `spia org create`)
    (actor("system", org=2), 1, False),  # the CLI confined to a body (--org / SPIA_ORG)
])
def test_same_body(who, row_org, same):
    assert scope.same_body(who, row_org) is same


def _where(q) -> str:
    return str(q.compile(compile_kwargs={"literal_binds": True})) if q is not None else "NOTHING"


@pytest.mark.parametrize(("who", "expect"), [
    (actor("admin"), ["organisation_id = 1"]),
    (actor("records", org=2), ["organisation_id = 2"]),
    (actor("staff", depts=[3, 4]), ["organisation_id = 1", "department_id IN (3, 4)"]),
    (actor("staff"), None),  # no department: nothing
    (actor("council"), None),
    (actor("sysadmin"), None),  # sees no 事務 of any body
    (SYSTEM, ["organisation_id IS NOT NULL"]),
])
def test_visible(who, expect):
    q = scope.visible(select(Jimu), who, organisation=Jimu.organisation_id, department=Jimu.department_id)
    if expect is None:
        assert q is None
    else:
        sql = _where(q)
        assert all(part in sql for part in expect), sql


HAND_FILTERS = [
    re.compile(r"organisation_id\s*[!=]=\s*actor\.organisation_id"),
    re.compile(r"\.in_\(\s*sorted\(\s*actor\.department_ids"),
    re.compile(r"^\s*if actor\.organisation_id\b"),  # the old "no body: no filter" guard
]


def test_no_service_filters_by_body_or_department_by_hand():
    """Lists and lookups go through scope.py; a copied filter would drift (one copy already had)."""
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path.name == "scope.py":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if any(p.search(line) for p in HAND_FILTERS):
                offenders.append(f"{path.relative_to(APP.parent)}:{n}: {line.strip()}")
    assert not offenders, "use app/services/scope.py:\n" + "\n".join(offenders)
