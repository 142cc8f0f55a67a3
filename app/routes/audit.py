"""Audit log viewer (records and admin)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, SessionDep
from app.domain.wareki import BadDate, parse_date
from app.services import audit, procedure
from app.web import render

router = APIRouter(prefix="/audit", include_in_schema=False)
PAGE = 100
ACTION_KINDS = [("", "すべて"), ("output", "出力・ダウンロード"), ("denied", "拒否された操作"), ("created", "作成"),
                ("updated", "更新"), ("saved", "保存")]


@router.get("")
def index(request: Request, session: SessionDep, actor: ActorDep, entity: str = "", entity_id: str = "",
          login: str = "", action: str = "", since: str = "", until: str = "", page: int = 1) -> Response:
    errors = {}
    dates = {}
    for key, raw in (("since", since), ("until", until)):
        if raw:
            try:
                dates[key] = parse_date(raw, label="期間")
            except BadDate as exc:
                errors[key] = str(exc)
    page = max(page, 1)
    rows, total = audit.search(session, actor=actor, entity=entity, entity_id=entity_id, login=login, action=action,
                               since=dates.get("since"), until=dates.get("until"), limit=PAGE, offset=(page - 1) * PAGE)
    filters = {"entity": entity, "entity_id": entity_id, "login": login, "action": action, "since": since, "until": until}
    custom = procedure.custom_steps(session, actor.organisation_id) if actor.organisation_id else []
    return render(request, "audit/index.html", {"rows": audit.views(session, rows, custom), "total": total, "page": page, "pages": (total + PAGE - 1) // PAGE,
                                                "filters": filters, "errors": errors,
                                                "action_kinds": ACTION_KINDS})
