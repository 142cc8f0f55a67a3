"""Request dependencies: database session, the signed-in actor, role guards."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from app.config import Settings
from app.db import get_session, get_write_session, session_scope
from app.domain.policy import Actor
from app.middleware import bearer_allowed
from app.security import CookieSigner
from app.services import auth
from app.web import TOKYO

SESSION_COOKIE = "spia_session"


# Starlette refuses a form of more than 1,000 fields with 400; an editor page with its repeating groups at the
# form's maximum (e.g. Ⅱ5: 提供先・移転先 200 rows each, 8 items a row) posts several thousand. The request body
# itself stays bounded by SPIA_MAX_UPLOAD_BYTES.
MAX_FORM_FIELDS = 50_000


async def get_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that the handler itself can be a plain (threadpool) def; a
    urlencoded body (every autosave) through app/formbody.py, with the same result as request.form()."""
    from starlette.formparsers import parse_options_header

    if parse_options_header(request.headers.get("Content-Type"))[0] == b"application/x-www-form-urlencoded":
        from app import formbody

        request._form = formbody.parse(await request.body(), max_fields=MAX_FORM_FIELDS)  # request.form() sees it
        return request._form
    return await request.form(max_fields=MAX_FORM_FIELDS)


FormDep = Annotated[FormData, Depends(get_form)]


class NotAuthenticated(Exception):
    """No valid session: HTML requests are sent to the sign-in page, API requests get 401."""


SessionDep = Annotated[Session, Depends(get_session)]


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def session_signer(settings: Settings) -> CookieSigner:
    return CookieSigner(settings.secret_key, "session")


def session_token(request: Request) -> str | None:
    value = session_signer(request.app.state.settings).unsign(request.cookies.get(SESSION_COOKIE))
    return value if isinstance(value, str) else None


def optional_actor(request: Request) -> Actor | None:
    """The signed-in actor, read in a short session of its own (the route's session stays untouched)."""
    if hasattr(request.state, "actor"):
        return request.state.actor
    header = request.headers.get("authorization", "")
    bearer = header.startswith("Bearer ") and bearer_allowed(request.url.path)  # see middleware.BearerScope
    token = session_token(request) if not bearer else None
    actor = None
    if bearer or token:
        with session_scope(request.app.state.engine) as session:
            actor = auth.actor_for_token(session, token=header[7:].strip() if bearer else token, bearer=bearer)
    request.state.actor = actor
    request.state.via_bearer = bearer and actor is not None
    return actor


def _write_session(request: Request,
                   _actor: Annotated[Actor | None, Depends(optional_actor)]) -> Iterator[Session]:
    """The request's writing session, opened only after the actor is known.

    A writing session takes its connection (and on SQLite the write lock) at once; the actor is read in a short
    session of its own. Resolving the actor first means a request never holds two pool connections at a time:
    otherwise, with more concurrent writers than the pool has connections, every request would hold its write
    connection while waiting for a second one (pool exhausted → 500 after the pool timeout).
    """
    yield from get_write_session(request)


WriteSessionDep = Annotated[Session, Depends(_write_session)]


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


async def browser_actor(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    """The actor of a signed-in browser session (never an API token): for minting tokens and changing passwords."""
    if getattr(request.state, "via_bearer", False):
        raise NotAuthenticated()
    return actor


BrowserActorDep = Annotated[Actor, Depends(browser_actor)]


async def today() -> date:
    """The business date in Japan (injected so tests can move the clock)."""
    return datetime.now(TOKYO).date()


TodayDep = Annotated[date, Depends(today)]
