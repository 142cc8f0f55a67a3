"""Completeness of a version as the guards, the editor and the overview see it (one place)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.domain.completeness import FileRef, PageStatus, Problem, evaluate
from app.models import Approval, Assessment, AssessmentVersion, PublicComment, Review, pk
from app.services import catalogue, memo, prefill
from app.services.answers import actions_of, version_values
from app.services.assessments import files as version_files


def deferred(session: Session, version_id: int) -> frozenset[str]:
    """Procedure items not required yet: their step (comment, council review, PPC approval) has not closed."""
    return memo.once(session, ("deferred", version_id), lambda: _deferred(session, version_id))


def _deferred(session: Session, version_id: int) -> frozenset[str]:
    closed = [
        exists().where(col(PublicComment.version_id) == version_id, col(PublicComment.closed_on).is_not(None)),
        exists().where(col(Review.version_id) == version_id, col(Review.closed_on).is_not(None)),
        exists().where(col(Approval.version_id) == version_id, col(Approval.applied_on).is_not(None)),
    ]
    # one statement, not three
    done: Sequence[bool] = session.execute(sa_select(*(c.label(f"c{n}") for n, c in enumerate(closed)))).one()
    return frozenset(prefix for prefix, found in zip(("comment.", "review.", "approval."), done, strict=True)
                     if not found)


def evaluate_version(session: Session, v: AssessmentVersion, a: Assessment, today: date, *, checks: bool = True,
                     values: dict[str, dict[str, Any]] | None = None,
                     computed: dict[str, dict[str, Any]] | None = None) -> tuple[list[Problem], list[PageStatus]]:
    d = catalogue.definition(a.form, v.form_version)
    refs = [FileRef(f.uid, f.name) for f in version_files(session, pk(v))]
    if computed is None and checks:
        computed = prefill.compute(d, prefill.Sources(session, v, a))
    acts = {k: {"content": x.content, "owner": x.owner, "due_on": x.due_on}
            for k, x in actions_of(session, pk(a)).items()}
    problems, statuses = evaluate(d, values if values is not None else version_values(session, pk(v)), refs,
                                  prefill=computed or {}, actions=acts, today=today, checks=checks,
                                  deferred=deferred(session, pk(v)))
    if checks and v.based_on_id:
        from app.services.revisions import revision_problems

        page = d.pages[0].id
        for kind, item_id, message in revision_problems(session, v, a):
            target = d.page_of(item_id).id if item_id and d.has(item_id) else page
            problems.append(Problem(kind, item_id, "", message, target))
    return problems, statuses
