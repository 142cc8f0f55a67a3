"""The items of a 様式 version not yet checked against the official 様式 (records / admin)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, SessionDep
from app.domain.forms import FORM_LABEL
from app.errors import Forbidden, NotFound
from app.services import formnotice
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/forms/{form}/{version}/unverified")
def unverified(request: Request, form: str, version: str, session: SessionDep, actor: ActorDep) -> Response:
    if actor.role not in ("records", "admin"):
        raise Forbidden("様式の照合状況は総務・文書担当と管理者が確認します。")
    try:
        listing = formnotice.listing_for(session, form, version)
    except KeyError:
        raise NotFound("指定された様式の版がありません。") from None
    return render(request, "forms/unverified.html", {"L": listing, "FORM_LABEL": FORM_LABEL})
