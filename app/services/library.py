"""措置ライブラリ: standard measures users insert with one click, by audience and risk."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.config import get_settings
from app.domain import forms
from app.domain.forms import AUDIENCES
from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import LibraryMeasure, pk
from app.models.base import utcnow
from app.services import audit, locking, scope
from app.services.organisation import get_organisation

RISKS = forms.RISKS  # declared in the 様式 definitions (`risk:` on a heading), never matched on label text


def search(session: Session, *, actor: Actor, q: str = "", audience: str = "", risk: str = "",
           include_inactive: bool = False) -> list[LibraryMeasure]:
    stmt = select(LibraryMeasure).where(scope.body_clause(LibraryMeasure.organisation_id, actor))
    if not include_inactive:
        stmt = stmt.where(LibraryMeasure.active)
    if audience in AUDIENCES:
        stmt = stmt.where(LibraryMeasure.audience == audience)
    if q.strip():
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(or_(col(LibraryMeasure.title).like(like), col(LibraryMeasure.text).like(like)))
    rows = list(session.exec(stmt.order_by(col(LibraryMeasure.id))).all())
    if risk in RISKS:
        rows.sort(key=lambda r: (risk not in (r.risks or []), r.id))
    return rows


def get(session: Session, *, actor: Actor, measure_id: int) -> LibraryMeasure:
    """One measure of the actor's body (404 for another body's or an unknown id)."""
    row = session.get(LibraryMeasure, measure_id)
    if row is None or not scope.same_body(actor, row.organisation_id):
        raise NotFound("措置が見つかりません。")
    return row


def save(session: Session, *, actor: Actor, data: dict[str, Any], measure_id: int | None = None) -> LibraryMeasure:
    if not can_manage_register_settings(actor):
        raise Forbidden("措置ライブラリの登録・編集は総務・文書担当と管理者が行います。")
    errors: dict[str, str] = {}
    for key, label, limit in (("title", "見出し", 200), ("text", "措置の内容", 4000)):
        problem = text_problem(str(data.get(key, "")), label=label, max_len=limit, required=True)
        if problem:
            errors[key] = problem
    if data.get("audience") not in AUDIENCES:
        errors["audience"] = "対象(市民・事業者・委託先等 / 職員)を選択してください。"
    risks = [r for r in data.get("risks", []) if r in RISKS]
    if not risks:
        errors["risks"] = "当てはまるリスクを1つ以上選択してください。"
    if errors:
        raise ValidationFailed(errors)
    if measure_id:
        row = session.get(LibraryMeasure, measure_id)
        if row is None or not scope.same_body(actor, row.organisation_id):
            raise NotFound("措置が見つかりません。")
        before = audit.jsonable(row)
        locking.claim_row(session, row, data.get("lock_version"), message="この措置は他の利用者により先に更新されています。",
                          what="この措置", entity="library", actor_id=actor.user_id,
                          describe=lambda m: f"見出し「{m.title}」、内容「{m.text[:100]}」")
    else:  # a new measure belongs to the body whose library the screen shows
        org = get_organisation(session, actor.organisation_id)
        row, before = LibraryMeasure(organisation_id=pk(org), title="", text="", audience="external"), None
    row.title, row.text, row.audience = data["title"].strip(), data["text"].strip(), data["audience"]
    row.risks, row.source = risks, str(data.get("source", "")).strip()[:300]
    row.active = bool(data.get("active", True))
    row.updated_at, row.updated_by_id = utcnow(), actor.user_id
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="library", entity_id=row.id, action="updated" if before else "created",
                 before=before, after=row)
    session.commit()
    return row


def seed(session: Session, *, organisation_id: int, path: Path | None = None) -> int:
    """Load assessments/library.yaml into an organisation's library once."""
    if session.exec(select(LibraryMeasure).where(LibraryMeasure.organisation_id == organisation_id)).first():
        return 0
    path = path or get_settings().forms_dir / "library.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        session.add(LibraryMeasure(organisation_id=organisation_id, title=e["title"], text=e["text"],
                                   audience=e["audience"], risks=e["risks"], source=e.get("source", "")))
    session.commit()
    return len(entries)
