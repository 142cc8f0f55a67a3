"""Writing and reading the append-only audit log (same transaction as the change)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from app.domain.policy import Actor, can_read_audit
from app.errors import Forbidden
from app.models import AuditLog


def jsonable(value: Any) -> Any:
    if isinstance(value, SQLModel):
        return {k: jsonable(v) for k, v in value.model_dump().items() if k != "password_hash"}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    session: Session, *, actor: Actor | None, entity: str, entity_id: Any, action: str,
    before: Any = None, after: Any = None, note: str = "",
) -> AuditLog:
    row = AuditLog(
        actor_id=actor.user_id if actor else None,
        actor_login=actor.login_id if actor else "",
        entity=entity, entity_id=str(entity_id), action=action,
        before=jsonable(before), after=jsonable(after), note=note[:500],
    )
    session.add(row)
    return row


def search(
    session: Session, *, actor: Actor, entity: str = "", entity_id: str = "", login: str = "",
    action: str = "", since: date | None = None, until: date | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[AuditLog], int]:
    if not can_read_audit(actor):
        raise Forbidden("監査ログを閲覧する権限がありません。")
    q = select(AuditLog)
    if entity:
        q = q.where(AuditLog.entity == entity)
    if entity_id:
        q = q.where(AuditLog.entity_id == entity_id)
    if login:
        q = q.where(AuditLog.actor_login == login)
    if action:
        q = q.where(AuditLog.action == action)
    if since:
        q = q.where(AuditLog.at >= datetime.combine(since, datetime.min.time()).astimezone())
    if until:
        q = q.where(AuditLog.at < datetime.combine(until, datetime.max.time()).astimezone())
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(AuditLog.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def record_output(engine, *, actor: Actor | None, entity: str, entity_id: Any, what: str, edition: str = "",
                  fmt: str = "", filename: str = "", version: Any = None) -> None:
    """Record an export / download (action `output`) in a short transaction of its own, committed before the
    bytes are sent: the record stays even when the transfer fails, and a read-only request can write it."""
    after = {"what": what, "edition": edition, "format": fmt, "filename": filename, "version": version}
    with Session(engine) as s:
        record(s, actor=actor, entity=entity, entity_id=entity_id, action="output",
               after={k: v for k, v in after.items() if v not in ("", None)}, note=f"出力: {what} {filename}".strip())
        s.commit()
