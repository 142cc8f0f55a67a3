"""ASGI middleware: security headers, request size limit and the CSRF guard."""
from __future__ import annotations

import json
import secrets
from http.cookies import CookieError, SimpleCookie

from asgi_csrf import asgi_csrf
from itsdangerous import BadSignature
from itsdangerous.url_safe import URLSafeSerializer
from python_multipart import FormParser
from python_multipart.multipart import parse_options_header

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'self'; object-src 'none'")
# Swagger UI sets inline styles; its page alone may use them (still no inline script).
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

CSRF_MESSAGE = (
    "<!doctype html><html lang=ja><meta charset=utf-8><title>送信を受け付けられませんでした</title>"
    "<h1>送信を受け付けられませんでした</h1><p>画面の有効期限が切れたか、正しくない送信です"
    "(CSRF対策)。前の画面に戻り、ページを再読み込みしてからもう一度操作してください。</p>"
    "<p><a href=\"/\">トップページへ</a></p></html>"
)


class BoundedKeepAlive:
    """Close a client's keep-alive connection after `max_requests` responses (`Connection: close` on the last).

    With several worker processes on one listening socket, a connection stays with the process that accepted it:
    20 browsers that connected at once may all sit on one worker while the other idles (issue 18: 21 s vs 4 s of
    CPU in a 30 s run). A bounded connection makes the client reconnect now and then, and the reconnect is
    accepted by whichever worker is waiting in accept() — an idle one — so the load spreads over the cores.
    The cost is one TCP handshake on loopback/LAN per `max_requests` requests. Keyed by the client address and
    port (one TCP connection); the table is bounded.
    """

    TABLE_LIMIT = 10_000

    def __init__(self, app, max_requests: int):
        from collections import OrderedDict

        self.app, self.max_requests = app, max_requests
        self._served: OrderedDict[tuple, int] = OrderedDict()

    async def __call__(self, scope, receive, send):
        client = scope.get("client")
        if scope["type"] != "http" or self.max_requests <= 0 or not client:
            await self.app(scope, receive, send)
            return
        key = tuple(client)
        served = self._served.pop(key, 0) + 1
        last = served >= self.max_requests
        if not last:
            self._served[key] = served
            if len(self._served) > self.TABLE_LIMIT:
                self._served.popitem(last=False)

        async def wrapped(event):
            if last and event["type"] == "http.response.start":
                headers = [(k, v) for k, v in event.get("headers") or [] if k.lower() != b"connection"]
                event = {**event, "headers": [*headers, (b"connection", b"close")]}
            await send(event)

        await self.app(scope, receive, wrapped)


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def wrapped(event):
            if event["type"] == "http.response.start":
                headers = list(event.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                policy = DOCS_CSP if path == "/docs" else CSP
                extra = [
                    (b"content-security-policy", policy.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not path.startswith("/static/") and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                headers = [(k, v) for k, v in headers if k.lower() not in {e[0] for e in extra}] + extra
                headers = [_harden_cookie(k, v) for k, v in headers]
                event = {**event, "headers": headers}
            await send(event)

        await self.app(scope, receive, wrapped)


def _harden_cookie(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    """asgi-csrf sets its cookie without HttpOnly; the token reaches pages through the HTML instead."""
    if key.lower() == b"set-cookie" and value.startswith(b"csrftoken=") and b"HttpOnly" not in value:
        value += b"; HttpOnly"
    return key, value


API_PREFIX = "/api/v1/"


def bearer_allowed(path: str) -> bool:
    """API tokens are for the JSON API only: pages, forms and the account screen need a signed-in browser."""
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


class BearerScope:
    """Drop `Authorization: Bearer …` from every request outside /api/v1 before anything else sees it.

    Outside the API a token therefore neither signs anyone in nor lets a form past the CSRF guard (asgi-csrf
    skips its check for Bearer requests): a stolen API token cannot reach the HTML routes or mint new tokens.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not bearer_allowed(scope.get("path", "")):
            headers = scope.get("headers") or []
            if any(k.lower() == b"authorization" for k, _ in headers):
                scope = {**scope, "headers": [(k, v) for k, v in headers if k.lower() != b"authorization"]}
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over the limit with 413 and a Japanese message.

    A declared Content-Length over the limit is refused before anything is read. A body sent without one
    (chunked) is counted as it arrives: at the limit the 413 is sent at once and the application only sees a
    disconnected client, so it can neither turn the refusal into a 400/422/500 nor answer a second time.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(scope, send, self.max_bytes)
            return
        seen = 0
        started = refused = False

        async def limited():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await _too_large(scope, send, self.max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(event):
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the application says next is dropped
            if event["type"] == "http.response.start":
                started = True
            await send(event)

        try:
            await self.app(scope, limited, guarded_send)
        except Exception:
            if not refused:
                raise


def _limit_text(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb}MB" if limit >= mb else f"{max(limit // 1024, 1)}KB"


async def _too_large(scope, send, limit: int) -> None:
    message = (f"送信されたデータが大きすぎます(上限 {_limit_text(limit)})。ファイルを分割するか、"
               "内容を見直してください。")
    await _plain_error(scope, send, 413, message)


async def _plain_error(scope, send, status: int, message: str) -> None:
    """A small error response: JSON `{"detail": …}` for the API, plain text elsewhere."""
    if scope.get("path", "").startswith("/api/"):
        body, ctype = json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        body, ctype = message.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _csrf_failed(scope, send, message_id):
    from starlette.concurrency import run_in_threadpool

    from app.services import denials

    await run_in_threadpool(denials.record_scope, scope, status=403, reason="CSRFトークンが正しくありません。")
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    if scope.get("path", "").startswith("/api/") or b"application/json" in accept:
        body = '{"detail":"CSRFトークンが正しくありません。画面を再読み込みしてください。"}'.encode()
        ctype = b"application/json"
    else:
        body, ctype = CSRF_MESSAGE.encode(), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", ctype)]})
    await send({"type": "http.response.body", "body": body})


BAD_BODY = "送信された内容の形式が正しくありません。画面を再読み込みしてから、もう一度操作してください。"
CSRF_COOKIE = "csrftoken"
ALWAYS_PROTECT = frozenset({"/login"})


def with_csrf(app, *, secret: str, secure: bool):
    # asgi-csrf lets a POST without any cookie through (a cross-site form carries none, and without the session
    # cookie nothing can be changed), except for the paths listed here: signing in needs no session, so a
    # forged sign-in form (login CSRF: the victim is signed in to the attacker's account) must be refused too.
    guarded = asgi_csrf(app, signing_secret=secret, cookie_secure=secure, cookie_samesite="Strict",
                        send_csrf_failed=_csrf_failed, always_protect=set(ALWAYS_PROTECT))
    return CsrfBodyGuard(guarded, secret)


class CsrfBodyGuard:
    """What asgi-csrf 0.11 cannot do safely itself.

    - multipart/form-data: its reader fails with an exception (a 500) on the installed python-multipart and on
      a type without `; boundary=`. Here the token is read from the form (or the X-CSRFToken header), checked
      against the signed cookie, and handed on as the header, so asgi-csrf never parses the body itself.
    - a form body that is not UTF-8 makes it raise UnicodeDecodeError: answered with a Japanese 400.
    """

    def __init__(self, app, secret: str):
        self.app = app
        self.signer = URLSafeSerializer(secret)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "TRACE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"")
        if ctype.split(b";", 1)[0].strip().lower() == b"multipart/form-data":
            await self._multipart(scope, receive, send, headers, ctype)
            return
        started = False

        async def tracking(event):
            nonlocal started
            if event["type"] == "http.response.start":
                started = True
            await send(event)

        try:
            await self.app(scope, receive, tracking)
        except UnicodeDecodeError:
            if started:
                raise
            await _plain_error(scope, send, 400, BAD_BODY)

    async def _multipart(self, scope, receive, send, headers, ctype) -> None:
        bearer = headers.get(b"authorization", b"").startswith(b"Bearer ")
        if bearer or (not headers.get(b"cookie") and scope.get("path") not in ALWAYS_PROTECT):
            await self.app(scope, receive, send)  # asgi-csrf lets these through before reading the body
            return
        boundary = parse_options_header(ctype)[1].get(b"boundary")
        if not boundary:
            await _plain_error(scope, send, 400, BAD_BODY)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away (or BodyLimit refused the body)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            token = headers.get(b"x-csrftoken", b"").decode("latin-1") or _multipart_field(body, boundary, CSRF_COOKIE)
        except Exception:
            await _plain_error(scope, send, 400, BAD_BODY)
            return
        if not secrets.compare_digest(token or "", self._cookie_token(headers) or "\0"):
            await _csrf_failed(scope, send, None)
            return
        replay = [{"type": "http.request", "body": body, "more_body": False}]

        async def replayed():
            return replay.pop() if replay else await receive()

        rest = [(k, v) for k, v in scope["headers"] if k.lower() != b"x-csrftoken"]
        await self.app({**scope, "headers": [*rest, (b"x-csrftoken", token.encode("latin-1"))]}, replayed, send)

    def _cookie_token(self, headers) -> str | None:
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:
            return None
        raw = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else ""
        try:
            self.signer.loads(raw, "csrftoken")
        except BadSignature:
            return None
        return raw


def _multipart_field(body: bytes, boundary: bytes, name: str) -> str | None:
    """The value of one plain field of a multipart body (files are skipped without being kept)."""
    found: list[str] = []

    def on_field(field):
        if field.field_name == name.encode() and not found:
            found.append((field.value or b"").decode("utf-8"))

    parser = FormParser("multipart/form-data", on_field, lambda f: None, boundary=boundary,
                        config={"MAX_MEMORY_FILE_SIZE": len(body) + 1})  # already in memory: no temporary files
    parser.write(body)
    parser.finalize()
    return found[0] if found else None
