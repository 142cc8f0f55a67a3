"""OpenAPI documentation page served from vendored Swagger UI (no CDN)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>API ドキュメント | SPIA</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script></body></html>"""


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
