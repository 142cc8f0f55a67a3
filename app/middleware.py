"""ASGI middleware: security headers, request size limit and the CSRF guard."""
from __future__ import annotations

from asgi_csrf import asgi_csrf

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


class BodyLimit:
    """Refuse request bodies over the limit with 413 and a Japanese message."""

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
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _too_large(send, self.max_bytes)


class BodyTooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = (f"送信されたデータが大きすぎます(上限 {limit // (1024 * 1024)}MB)。ファイルを分割するか、"
            "内容を見直してください。").encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


async def _csrf_failed(scope, send, message_id):
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    if scope.get("path", "").startswith("/api/") or b"application/json" in accept:
        body = '{"detail":"CSRFトークンが正しくありません。画面を再読み込みしてください。"}'.encode()
        ctype = b"application/json"
    else:
        body, ctype = CSRF_MESSAGE.encode(), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", ctype)]})
    await send({"type": "http.response.body", "body": body})


def with_csrf(app, *, secret: str, secure: bool):
    return asgi_csrf(app, signing_secret=secret, cookie_secure=secure, cookie_samesite="Strict",
                     send_csrf_failed=_csrf_failed)
