"""The 事務 register a page at a time, as 事務一覧 and ホーム both show it (one assembly for both screens)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from app.domain.policy import Actor
from app.services import dashboard
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import Pager


def register_page(request: Request, session: Session, actor: Actor, today: date, department: str) -> dict[str, Any]:
    """Template context: the body, one page of register rows (filtered by `department` when given), the pager,
    and the department filter's choices (for users who see the whole body)."""
    org = get_organisation(session, actor.organisation_id)
    dept_id = int(department) if department.isdigit() else None
    pager = Pager(request, dashboard.jimu_count(session, actor=actor, department_id=dept_id))
    rows = dashboard.jimu_rows(session, actor=actor, org=org, today=today, department_id=dept_id,
                               limit=pager.page.limit, offset=pager.page.offset)
    depts = department_labels(list_departments(session, org.id)) if actor.sees_all else {}
    return {"org": org, "rows": rows, "pager": pager, "departments": depts, "department": dept_id}
