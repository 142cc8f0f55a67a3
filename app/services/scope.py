"""What an actor may see: the one place for the two rules every list and every lookup applies (issue 16 §3).

1. The organisation (評価実施機関) is a hard boundary. A row of another body does not exist for the actor: lists
   leave it out and lookups by id answer 404 (never 403: a 403 would confirm the id exists). Only the bare
   local CLI actor (`SYSTEM`, no organisation) crosses bodies, e.g. while the demo or a new body is set up.
2. Inside the body, the department rule: admins and the records section see the whole body, staff see their
   departments and the ones below them (`Actor.department_ids` is already expanded), everyone else (council
   members, system administrators) sees no 事務 in lists — the council reads what was sent to it elsewhere.

Services call these helpers instead of writing `X.organisation_id == actor.organisation_id` or
`Jimu.department_id.in_(actor.department_ids)` themselves (tests/services/test_scope.py scans for copies).
"""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false
from sqlmodel import col

from app.domain.policy import Actor

# a SELECT of any shape: SQLModel's select() (one model or columns) or SQLAlchemy's
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def crosses_bodies(actor: Actor) -> bool:
    """The bare local CLI actor (no organisation) is not confined to a body."""
    return actor.role == "system" and actor.organisation_id is None


def same_body(actor: Actor, organisation_id: int | None) -> bool:
    """Whether a row of `organisation_id` belongs to the actor's body (False: answer 404)."""
    if crosses_bodies(actor):
        return True
    return actor.organisation_id is not None and organisation_id == actor.organisation_id


def own_body(actor: Actor, refusal: str) -> int:
    """The body a new row of the actor belongs to; an actor of no body (the bare CLI actor) cannot create rows that
    belong to one (their organisation_id is NOT NULL): Forbidden with the Japanese `refusal`."""
    from app.errors import Forbidden

    if actor.organisation_id is None:
        raise Forbidden(refusal)
    return actor.organisation_id


def body_clause(column: Any, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause keeping rows of the actor's body (`column` is the row's organisation_id)."""
    if crosses_bodies(actor):
        return col(column).is_not(None)
    if actor.organisation_id is None:
        return false()
    return col(column) == actor.organisation_id


def in_body(q: Query, column: Any, actor: Actor) -> Query:
    """`q` restricted to the actor's body."""
    return q.where(body_clause(column, actor))


def visible(q: Query, actor: Actor, *, organisation: Any, department: Any) -> Query | None:
    """`q` restricted to what the actor may see in lists (body, then department); None when that is nothing.

    `organisation` and `department` are the columns holding the row's organisation_id and (the 事務's)
    department_id."""
    q = in_body(q, organisation, actor)
    if actor.sees_all:
        return q
    if actor.role != "staff" or not actor.department_ids:
        return None
    return q.where(col(department).in_(sorted(actor.department_ids)))
