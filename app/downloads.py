"""Every export / download goes through `send`: the audit row (who, what, which edition) is written first."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.domain.policy import Actor
from app.services import audit
from app.web import content_disposition


def send(request: Request, actor: Actor | None, *, content: bytes, media_type: str, filename: str, entity: str,
         entity_id: Any, what: str, edition: str = "", fmt: str = "", version: Any = None) -> Response:
    audit.record_output(request.app.state.engine, actor=actor, entity=entity, entity_id=entity_id, what=what,
                        edition=edition, fmt=fmt, filename=filename, version=version)
    return Response(content, media_type=media_type, headers={"Content-Disposition": content_disposition(filename)})
