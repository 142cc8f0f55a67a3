"""Home page (dashboard) and health check."""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.deps import ActorDep, SessionDep, TodayDep
from app.domain.deadlines import STATUS_LABEL
from app.routes.register_list import register_page
from app.services import due
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, department: str = "") -> Response:
    # the register, a page at a time (as on 事務一覧); the deadlines of every 評価書 the user sees
    ctx = register_page(request, session, actor, today, department)
    upcoming, more = ([], 0) if actor.role == "council" else \
        due.upcoming_deadlines(session, actor=actor, today=today, department_id=ctx["department"])
    return render(request, "home/index.html", {
        **ctx, "today": today, "deadlines": upcoming, "more_deadlines": more, "STATUS_LABEL": STATUS_LABEL,
    })


@router.get("/healthz")
def health(session: SessionDep) -> Response:
    session.exec(text("SELECT 1"))
    return JSONResponse({"status": "ok"})
