"""BoundedKeepAlive: every N-th response on one connection says `Connection: close` (issue 18, both cores)."""
from __future__ import annotations

import asyncio
import threading

import pytest

from app.middleware import BoundedKeepAlive


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"connection", b"keep-alive")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(app, client=("127.0.0.1", 50000), kind="http") -> list[tuple[bytes, bytes]]:
    sent = []

    async def send(event):
        sent.append(event)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    # a loop of its own in a thread: a browser test earlier in the run may leave this thread's loop running
    worker = threading.Thread(target=asyncio.run, args=(app({"type": kind, "client": client, "path": "/"}, receive, send),))
    worker.start()
    worker.join(timeout=10)
    return sent[0]["headers"] if sent else []


@pytest.mark.parametrize(("limit", "closing"), [(3, [3, 6, 9]), (1, list(range(1, 10))), (0, [])])
def test_every_nth_response_of_a_connection_closes_it(limit, closing):
    app = BoundedKeepAlive(_ok, limit)
    closed = [n for n in range(1, 10) if (b"connection", b"close") in _call(app)]
    assert closed == closing
    # the closing response carries one Connection header, not keep-alive and close together
    if closing:
        app = BoundedKeepAlive(_ok, 1)
        assert [v for k, v in _call(app) if k == b"connection"] == [b"close"]


def test_connections_are_counted_apart():
    app = BoundedKeepAlive(_ok, 2)
    a, b = ("10.0.0.1", 40001), ("10.0.0.1", 40002)
    assert (b"connection", b"close") not in _call(app, a)
    assert (b"connection", b"close") not in _call(app, b)
    assert (b"connection", b"close") in _call(app, a)
    assert (b"connection", b"close") in _call(app, b)


def test_the_table_of_connections_is_bounded(monkeypatch):
    monkeypatch.setattr(BoundedKeepAlive, "TABLE_LIMIT", 5)
    app = BoundedKeepAlive(_ok, 100)
    for port in range(50):
        _call(app, ("127.0.0.1", port))
    assert len(app._served) == 5
