"""Home page (dashboard) and health check."""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.deps import ActorDep, SessionDep, TodayDep
from app.domain.deadlines import STATUS_LABEL
from app.services import dashboard, due
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import Pager, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, department: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept_id = int(department) if department.isdigit() else None
    # the register, a page at a time (as on 事務一覧); the deadlines of every 評価書 the user sees
    pager = Pager(request, dashboard.jimu_count(session, actor=actor, department_id=dept_id))
    rows = dashboard.jimu_rows(session, actor=actor, org=org, today=today, department_id=dept_id,
                               limit=pager.page.limit, offset=pager.page.offset)
    depts = department_labels(list_departments(session, org.id)) if actor.sees_all else {}
    upcoming, more = ([], 0) if actor.role == "council" else \
        due.upcoming_deadlines(session, actor=actor, today=today, department_id=dept_id)
    return render(request, "home/index.html", {
        "org": org, "rows": rows, "pager": pager, "departments": depts, "department": dept_id, "today": today,
        "deadlines": upcoming, "more_deadlines": more, "STATUS_LABEL": STATUS_LABEL,
    })


@router.get("/healthz")
def health(session: SessionDep) -> Response:
    session.exec(text("SELECT 1"))
    return JSONResponse({"status": "ok"})
