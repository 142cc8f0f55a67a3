"""Records queue and the council members' home."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, SessionDep, TodayDep
from app.domain import workflow
from app.services import assessment_list, council_admin, procedure, queue
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import Pager, render

router = APIRouter(include_in_schema=False)


@router.get("/queue")
def queue_page(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, department: str = "",
               stage: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept = int(department) if department.isdigit() else None
    pager = Pager(request, assessment_list.count(session, actor=actor, department_id=dept, stage=stage))
    rows = queue.rows(session, actor=actor, today=today, department_id=dept, stage=stage, limit=pager.page.limit,
                      offset=pager.page.offset)
    return render(request, "procedure/queue.html", {
        "rows": rows, "pager": pager, "department": dept, "stage": stage,
        "stages": workflow.stage_choices(procedure.custom_steps(session, org.id)),
        "departments": department_labels(list_departments(session, org.id)) if actor.sees_all else {}})


@router.get("/council")
def council_home(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "procedure/council_home.html", {"items": council_admin.council_home(session, actor)})
