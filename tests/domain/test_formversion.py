"""The 様式 version must be in force on the 公表日 (issue 12 §3): the pure rule and the 公表 guard."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import workflow
from app.domain.formversion import not_in_force

R06 = date(2024, 10, 1)
LABEL = "[令和6年10月 様式2]"


@pytest.mark.parametrize(("published", "today", "refused"), [
    (date(2024, 9, 30), date(2026, 11, 23), True),     # the day before it came into force
    (date(2024, 10, 1), date(2026, 11, 23), False),    # the first day
    (date(2025, 6, 2), date(2026, 11, 23), False),
    (date(2021, 3, 15), date(2026, 11, 23), True),     # the demo 基礎 of 令和3年 on the 令和6年 様式
    (None, date(2024, 9, 30), True),                   # 公表日 not known yet: today stands for it
    (None, date(2024, 10, 1), False),
])
def test_in_force_on_the_publication_date(published, today, refused):
    assert (not_in_force(LABEL, R06, published, today) is not None) is refused


def test_the_reason_names_the_label_and_both_dates():
    msg = not_in_force(LABEL, R06, date(2021, 3, 15), date(2026, 11, 23))
    assert LABEL in msg and "令和6年10月1日" in msg and "公表日(令和3年3月15日)" in msg
    pending = not_in_force(LABEL, R06, None, date(2024, 9, 1))
    assert "本日(令和6年9月1日、公表日は未定)" in pending and "令和6年10月1日" in pending


def test_a_version_without_effective_from_is_never_refused():
    assert not_in_force(LABEL, None, date(2001, 1, 1), date(2001, 1, 1)) is None


@pytest.mark.parametrize("form", ["basic", "focused", "full"])
@pytest.mark.parametrize("org_kind", ["local", "national"])
@pytest.mark.parametrize("kind", ["initial", "correction", "reassessment"])
def test_every_publish_transition_checks_the_form_version(form, org_kind, kind):
    publish = [t for t in workflow.transitions(form, org_kind, kind=kind) if t.action == "publish"]
    assert publish and all("form_in_force" in t.guards for t in publish)


def test_publish_is_refused_with_the_reason_and_allowed_from_the_first_day():
    table = workflow.transitions("basic", "local")
    ctx = workflow.GuardContext(today=date(2026, 11, 23), submitted_on=date(2024, 9, 1), published_on=date(2024, 9, 30),
                                form_label=LABEL, form_effective_from=R06)
    with pytest.raises(workflow.TransitionRefused) as exc:
        workflow.apply(table, "submitted", "publish", "records", ctx)
    assert "令和6年10月1日" in exc.value.reason and "令和6年9月30日" in exc.value.reason and exc.value.status == 409
    ctx.published_on = R06
    assert workflow.apply(table, "submitted", "publish", "records", ctx).target == "published"
