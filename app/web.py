"""Templating, flash messages and small response helpers shared by the HTML routes."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Undefined
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.domain import fields, paging
from app.domain.answer_types import TYPES as ANSWER_TYPES
from app.domain.answers import dom_id
from app.domain.forms import AUDIENCE_SHORT, AUDIENCES, FORM_LABEL
from app.domain.policy import ROLE_LABEL, can_manage_register_settings, can_register_jimu
from app.domain.wareki import TOKYO, wareki, wareki_datetime  # noqa: F401 (TOKYO re-exported)
from app.security import CookieSigner

ROOT = Path(__file__).resolve().parent.parent
templates = Jinja2Blocks(directory=str(ROOT / "templates"))
FLASH_COOKIE = "spia_flash"
STATIC_VERSION = "1"


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _page_url(E) -> str:
    return f"/versions/{E.version.id}/edit/{E.page.id}" + (f"?file={E.file.uid}" if E.file else "")


def _op_button(E, value: Any, cls: str = "small secondary", attrs: dict | None = None, *, caller) -> Markup:
    """A button that runs one editor operation (op) and swaps the page's form with the server's rendering of it (the
    route answers an htmx operation with the `page_form` block only); `attrs`: extra attributes (as `xmlattr`).
    Used as `{% call op_button(E, op(...), cls, attrs) %}label{% endcall %}`: a function, not a macro, since an
    editor page has a few hundred of them (issue 18)."""
    extra = "".join(f' {escape(k)}="{escape(v)}"' for k, v in (attrs or {}).items()
                    if v is not None and not isinstance(v, Undefined))
    return Markup(f'<button type="submit" class="{escape(cls)}" name="op" value="{escape(value)}" '
                  f'hx-post="{escape(_page_url(E))}" hx-target="#page-form" hx-select="#page-form" '
                  f'hx-swap="outerHTML"{extra}>{caller()}</button>')


def _answer_text(value: Any, item) -> str:
    from app.domain.answer_text import answer_text

    return answer_text(item, value)


templates.env.filters.update(
    wareki=lambda d: wareki(d, empty="-"),
    # timestamps: 令和8年11月20日 10:05 (Japan time); the only way a template prints one
    wareki_dt=lambda dt, seconds=False: wareki_datetime(dt, seconds=seconds, empty="-"), num=_num, iso=_iso, domid=dom_id, save_url=_page_url,
    page_url=_page_url, answer_text=_answer_text,
    zip_pairs=lambda values: [(v, v) for v in values],
)
templates.env.globals.update(ROLE_LABEL=ROLE_LABEL, STATIC_VERSION=STATIC_VERSION, AUDIENCES=AUDIENCES, AUDIENCE_SHORT=AUDIENCE_SHORT,
                             FORM_LABEL=FORM_LABEL, can_register_jimu=can_register_jimu,
                             can_manage_register_settings=can_manage_register_settings,
                             # the editor: answer types (macro, grouped label) and field / operation names
                             ANSWER_TYPES=ANSWER_TYPES, F=fields, field=fields.name, fkey=fields.key, op=fields.op,
                             op_button=_op_button)


class Pager:
    """One page of a long list for a template (macros/pager.html): the paging arithmetic and the links to the
    previous and next pages, which keep every other query parameter (filters, sort) of the current URL."""

    def __init__(self, request: Request, total: int, per_page: int = paging.PER_PAGE):
        self.page = paging.paginate(request.query_params.get("page"), total, per_page)
        self.path = request.url.path
        self.params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def url(self, number: int) -> str:
        params = self.params + ([("page", str(number))] if number > 1 else [])
        return self.path + ("?" + urlencode(params) if params else "")

    @property
    def previous_url(self) -> str | None:
        return self.url(self.page.number - 1) if self.page.has_previous else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page.number + 1) if self.page.has_next else None


def posted_version(form: Any, key: str = "lock_version") -> str:
    """The row version a browser form says it was displayed at; "" when the form left it out.

    Never None: None means "not an edit of a displayed version" (the CLI) and bumps unconditionally, while a form
    post is always an edit of what the page showed, so a post without its version is refused (409) like a stale one.
    """
    return str(form.get(key) or "")


def csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return getter() if getter else ""


def render(request: Request, name: str, ctx: dict | None = None, *, status: int = 200,
           block: str | None = None, headers: dict | None = None) -> Response:
    ctx = dict(ctx or {})
    ctx.setdefault("actor", getattr(request.state, "actor", None))
    ctx["csrf_token"] = csrf_token(request)
    ctx["flash"] = _read_flash(request)
    if block and request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        response = templates.TemplateResponse(request, name, ctx, status_code=status, block_name=block)
    else:
        response = templates.TemplateResponse(request, name, ctx, status_code=status)
    if ctx["flash"]:
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=request.app.state.settings.cookie_secure)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _signer(request: Request) -> CookieSigner:
    return CookieSigner(request.app.state.settings.secret_key, "flash")


def _read_flash(request: Request) -> str:
    value = _signer(request).unsign(request.cookies.get(FLASH_COOKIE))
    return value if isinstance(value, str) else ""


def redirect(request: Request, url: str, *, flash: str = "") -> Response:
    """Post/Redirect/Get (303); htmx requests get HX-Redirect instead."""
    if request.headers.get("HX-Request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, _signer(request).sign(flash), httponly=True, samesite="lax", path="/",
                            secure=request.app.state.settings.cookie_secure)
    return response


def content_disposition(filename: str) -> str:
    """RFC 6266/5987: an ASCII fallback plus the UTF-8 name."""
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


