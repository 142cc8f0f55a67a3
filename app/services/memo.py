"""Read-through memo for one database session (one request): the same rows read once, however many parts of a
page ask for them (issue 18).

`once(session, key, load)` returns what `load()` returned the first time `key` was asked for in this session.
Everything remembered is dropped as soon as the session writes (a flush, a Core UPDATE/INSERT/DELETE through the
session), commits, rolls back or ends its transaction, and nothing is remembered or served while the session holds
unflushed changes — so a read after a write sees the write exactly as the query it replaces would have. What `load` returns is shared by
every caller: callers must not change it (copy first).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

T = TypeVar("T")
_KEY = "spia.memo"


def once(session: OrmSession, key: Hashable, load: Callable[[], T]) -> T:
    if not session._is_clean():  # pending changes: the query autoflushes first, as it always did
        session.info.pop(_KEY, None)
        return load()
    cache: dict[Hashable, Any] = session.info.setdefault(_KEY, {})
    if key in cache:
        found: T = cache[key]
        return found
    value = load()
    if session._is_clean():  # (load may have written, e.g. a get-or-create)
        session.info.setdefault(_KEY, {})[key] = value
    return value


def forget(session: OrmSession, *_: Any) -> None:
    session.info.pop(_KEY, None)


def _on_execute(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget(state.session)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback", "after_transaction_end"):
    event.listen(OrmSession, _name, forget)
event.listen(OrmSession, "do_orm_execute", _on_execute)


def get(session: OrmSession, model: type[T], ident: Any) -> T | None:
    """session.get, held for the request: the identity map alone keeps a row only while something refers to it."""
    return once(session, ("get", model, ident), lambda: session.get(model, ident))


def peek(session: OrmSession, key: Hashable) -> Any | None:
    """What `once` holds for `key` in this session, or None (nothing read yet, or dropped by a write)."""
    if not session._is_clean():
        return None
    return session.info.get(_KEY, {}).get(key)
