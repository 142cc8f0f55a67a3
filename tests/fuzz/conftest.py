"""Fuzzing fixtures and the figures (schemathesis cases, hypothesis examples) printed at the end of the run."""
from __future__ import annotations

from collections import Counter

import pytest

FIGURES: Counter = Counter()


def count(name: str, n: int = 1) -> None:
    """Add to a figure shown in the terminal summary (e.g. `schemathesis cases`)."""
    FIGURES[name] += n


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fuzzing figures")
        for name, n in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {n}")


@pytest.fixture
def system(db):
    """The system actor, scoped to the demo organisation."""
    from sqlmodel import select

    from app.domain.policy import SYSTEM
    from app.models import Organisation

    org = db.exec(select(Organisation)).first()
    return SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
