"""create_app(): routers, static files, templates, middleware and error translation."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import app.models  # noqa: F401 - registers every table
from app.config import Settings, get_settings
from app.db import make_engine
from app.deps import NotAuthenticated
from app.errors import DomainError, ValidationFailed
from app.middleware import BearerScope, BodyLimit, BoundedKeepAlive, SecurityHeaders, with_csrf
from app.routes import ROUTERS
from app.routes.api.errors import api_validation_error
from app.services import denials
from app.web import ROOT, render

log = logging.getLogger("spia")


@asynccontextmanager
async def _lifespan(app: FastAPI):
    from app.services import pdf, render_pool

    render_pool.start(app.state.settings.render_processes)  # Word rendering in a process of its own
    yield
    await run_in_threadpool(render_pool.stop)
    await run_in_threadpool(pdf.shutdown)  # the warm LibreOffice processes of this worker


def create_app(settings: Settings | None = None, *, engine=None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="特定個人情報保護評価 支援システム API",
        version="1",
        description="評価書の作成・手続・見直しを支援する API。認証は `Authorization: Bearer <APIトークン>`"
                    "(アカウント画面で発行)またはログイン済みブラウザのセッションです。",
        docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    denials.configure(app.state.engine)
    app.mount("/static", StaticFiles(directory=str(ROOT / "app" / "static")), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _install_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _login_required(request: Request, exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            await run_in_threadpool(denials.record_request, request, status=401, reason="ログインが必要です。")
            return JSONResponse({"detail": "ログインが必要です。"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if exc.status == 403:
            await run_in_threadpool(denials.record_request, request, status=403, reason=exc.message)
        if _wants_json(request):
            body = {"detail": exc.message}
            if isinstance(exc, ValidationFailed):
                body["errors"] = [{"field": k, "message": v} for k, v in exc.errors.items()]
            resp = JSONResponse(body, status_code=exc.status)
        else:
            resp = render(request, "errors/error.html", {"status": exc.status, "message": exc.message,
                                                         "errors": getattr(exc, "errors", {})}, status=exc.status)
        resp.headers.update(getattr(exc, "headers", None) or {})
        return resp

    app.add_exception_handler(RequestValidationError, api_validation_error)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, exc: IntegrityError) -> Response:
        # the safety net behind the services' own checks: a unique / partial unique index refused a concurrent
        # double submit ("one open X per Y") — the request changed nothing, which is a 409, never a 500
        log.warning("integrity conflict on %s %s: %s", request.method, request.url.path, exc.orig)
        message = ("同時に行われた他の操作と重なったため、保存しませんでした(同じ内容が既に登録されています)。"
                   "画面を再読み込みして、現在の内容を確認してください。")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=409)
        return render(request, "errors/error.html", {"status": 409, "message": message}, status=409)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "見つかりません。"}, status_code=404)
        return render(request, "errors/error.html", {"status": 404, "message": "ページが見つかりません。"}, status=404)

    @app.exception_handler(400)
    async def _unreadable_body(request: Request, exc) -> Response:
        # FastAPI answers 400 "There was an error parsing the body" for a body that is not UTF-8 / not a form;
        # the API reports it like any other malformed JSON (422, Japanese, with the field named).
        message = "送信された内容を読み取れません(UTF-8 の JSON で送信してください)。"
        if _wants_json(request):
            return JSONResponse({"detail": "入力内容に誤りがあります。",
                                 "errors": [{"field": "body", "message": message}]}, status_code=422)
        return render(request, "errors/error.html", {"status": 400, "message": message}, status=400)

    @app.exception_handler(405)
    async def _not_allowed(request: Request, exc) -> Response:
        return JSONResponse({"detail": "このメソッドは使用できません。"}, status_code=405,
                            headers={"Allow": ", ".join(_allowed_methods(request))})

    @app.exception_handler(500)
    async def _server_error(request: Request, exc) -> Response:
        log.exception("unhandled error", exc_info=exc)
        if _wants_json(request):
            return JSONResponse({"detail": "サーバー内部でエラーが発生しました。"}, status_code=500)
        return render(request, "errors/error.html", {"status": 500, "message":
                      "サーバー内部でエラーが発生しました。入力内容は保存されていない可能性があります。"}, status=500)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the app serves at this path (RFC 9110 `Allow`). Starlette names only the first route's."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)  # the path matches: FULL or PARTIAL (other method)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def build_asgi(settings: Settings | None = None, *, engine=None):
    """The full ASGI stack: bounded keep-alive → security headers → body limit → Bearer scope → CSRF → FastAPI."""
    settings = settings or get_settings()
    inner = create_app(settings, engine=engine)
    wrapped = with_csrf(inner, secret=settings.secret_key, secure=settings.cookie_secure)
    outer = BoundedKeepAlive(SecurityHeaders(BodyLimit(BearerScope(wrapped), settings.max_upload_bytes)),
                             settings.keepalive_max_requests)
    outer.fastapi = inner  # type: ignore[attr-defined]
    return outer


def asgi_factory():
    """Entry point for uvicorn --factory (one call per worker process)."""
    app = build_asgi()
    warm_up()
    return app


def warm_up() -> None:
    """Load the form definitions, then move everything alive into the garbage collector's permanent generation.

    The definitions are a large, immutable object graph (about 150,000 objects with the templates and the ORM).
    Without this, every full collection walks them all — a pause of about 110 ms that landed on whichever
    request was running; with it a full collection takes microseconds.
    """
    import gc

    from app.services import catalogue
    from app.web import templates

    for d in catalogue.catalogue().all():
        _ = d.pages, d.important_ids()
    for name in ("base.html", "assessments/edit.html", "assessments/overview.html", "home/index.html"):
        templates.get_template(name)
    from app.security import _dummy_hash

    _dummy_hash()  # the first unknown-ID sign-in costs the same as the others (tests/security/test_login_timing.py)
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)  # a request allocates tens of thousands of short-lived objects
