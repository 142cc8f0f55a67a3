"""Optimistic locks and "one open X per Y" rules enforced by the database, not by a read-then-write.

`claim` bumps a row's version counter with one conditional UPDATE (… WHERE id = :id AND lock_version = :expected):
under concurrent requests exactly one claim succeeds, on SQLite and on PostgreSQL (READ COMMITTED re-checks the
WHERE clause against the committed row), and the others get a Conflict (409) carrying both versions.
`unique_or_conflict` turns a violated unique / partial unique index into a Conflict (409) instead of a 500.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col

from app.domain import conflicts
from app.errors import Conflict

STALE = "他の利用者により先に更新されています。最新の内容を確認してから、もう一度保存してください。"


def parse_expected(raw: Any) -> int | None:
    """The version a form or API body says it started from (None when missing or unreadable)."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _column(model: type, name: str) -> InstrumentedAttribute[Any]:
    """The mapped attribute `name` of a table model that is only known at run time (`id`, `lock_version`, …)."""
    attr: InstrumentedAttribute[Any] = getattr(model, name)
    return attr


def claim(session: Session, model: type, row_id: int, expected: int | str | None, *,
          message: str = STALE, column: str = "lock_version", what: str = "", entity: str = "",
          actor_id: int | None = None) -> int:
    """Atomically move the row from `expected` to `expected + 1`; Conflict (409) when it is not at `expected`.

    Returns the new version. Call it before changing the row's attributes in the session.
    With `what` (「この改善策」) the message says who saved first and when — 「あなたが別の画面で…」 when it was
    `actor_id` — from the row's updated_by_id/updated_at or else the latest audit entry of `entity`; `message`
    is the wording when nobody is known.
    """
    counter, id_col = _column(model, column), _column(model, "id")
    want = parse_expected(expected) if not isinstance(expected, int) else expected
    if want is not None:
        result = session.execute(update(model).where(id_col == row_id, counter == want)
                                 .values({column: counter + 1}).execution_options(synchronize_session=False))
        # an UPDATE's result is a CursorResult at run time; Session.execute is typed as returning a plain Result
        if result.rowcount == 1:  # type: ignore[attr-defined]
            _sync(session, model, row_id, column, want + 1)
            return want + 1
    stored = session.execute(select(counter).where(id_col == row_id)).scalar_one_or_none()
    seen = "不明" if want is None else str(want)
    message, saver = stale_message(session, model, row_id, message=message, what=what, entity=entity,
                                   actor_id=actor_id)
    raise Conflict(f"{message}(編集を始めた時点の版: {seen}、現在の版: {stored})",
                   current={"expected": want, "stored": stored,
                            "by": saver.user_id if saver else None, "at": saver.at if saver else None})


def stale_message(session: Session, model: type, row_id: int, *, message: str, what: str = "", entity: str = "",
                  actor_id: int | None = None) -> tuple[str, conflicts.Saver | None]:
    """The 409 wording: 「{what}は、あなたが別の画面で … に保存しています。最新の内容を…」 or 「…さんが …」 when the
    last save is known (`what` given), else `message`."""
    saver = last_saver(session, model, row_id, entity) if what else None
    said = conflicts.stale_message(what, saver, actor_id, fallback="")
    return (f"{said}最新の内容を確認してから、もう一度保存してください。" if said else message), saver


def last_saver(session: Session, model: type, row_id: int, entity: str = "") -> conflicts.Saver | None:
    """Who saved the row last, and when: its own updated_by_id/updated_at columns when it has both, else the
    latest audit entry of `entity` for it (every change writes one in the same transaction); None if unknown."""
    from app.models import AuditLog, User

    by = at = None
    if hasattr(model, "updated_by_id") and hasattr(model, "updated_at"):
        by, at = session.execute(select(_column(model, "updated_by_id"), _column(model, "updated_at"))
                                 .where(_column(model, "id") == row_id)).one_or_none() or (None, None)
    if by is None and entity:
        last = session.execute(select(col(AuditLog.actor_id), col(AuditLog.at)).where(
            col(AuditLog.entity) == entity, col(AuditLog.entity_id) == str(row_id))
            .order_by(col(AuditLog.id).desc()).limit(1)).first()
        if last is not None:
            by, at = last
    if by is None or at is None:
        return None
    name = session.execute(select(col(User.display_name)).where(col(User.id) == by)).scalar_one_or_none() or ""
    return conflicts.Saver(by, name, at)


def bump(session: Session, model: type, row_id: int, *, column: str = "lock_version") -> int:
    """Unconditional atomic increment (a write that did not start from a displayed version, e.g. the CLI)."""
    counter, id_col = _column(model, column), _column(model, "id")
    session.execute(update(model).where(id_col == row_id).values({column: counter + 1})
                    .execution_options(synchronize_session=False))
    new: int = session.execute(select(counter).where(id_col == row_id)).scalar_one()
    _sync(session, model, row_id, column, new)
    return new


def claim_row(session: Session, row: Any, expected: int | str | None, *, message: str = STALE,
              column: str = "lock_version", describe: Any = None, what: str = "", entity: str = "",
              actor_id: int | None = None) -> int:
    """`claim` for a loaded row; `expected=None` (no version given: CLI, older API clients) bumps unconditionally.

    On a conflict `describe(row)` (the row as stored now) is appended to the message: the user sees what is there.
    """
    if expected is None:
        return bump(session, type(row), row.id, column=column)
    try:
        return claim(session, type(row), row.id, expected, message=message, column=column, what=what, entity=entity,
                     actor_id=actor_id)
    except Conflict as exc:
        if describe is not None:
            session.refresh(row)
            exc.message = f"{exc.message} 現在の登録内容: {describe(row)}"
            exc.args = (exc.message,)
        raise


def _sync(session: Session, model: type, row_id: int, column: str, value: int) -> None:
    """Reflect the new counter in the loaded object without marking it dirty (no second UPDATE of the counter)."""
    from sqlalchemy.orm.attributes import set_committed_value

    obj = session.identity_map.get(session.identity_key(model, row_id)) if hasattr(session, "identity_map") else None
    if obj is not None:
        set_committed_value(obj, column, value)


@contextmanager
def unique_or_conflict(session: Session, message: str) -> Iterator[None]:
    """Flush inside; a unique-index violation (a concurrent double submit) becomes Conflict(message), not a 500."""
    try:
        yield
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message) from exc


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique / partial unique index violation on SQLite or PostgreSQL (not e.g. a foreign key)."""
    orig = getattr(exc, "orig", None)
    code: str | None = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if code:
        return code == "23505"
    return "UNIQUE constraint failed" in str(orig or exc)
