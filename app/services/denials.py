"""Refused attempts (403, API 401, CSRF failure, CLI 403) as `denied` audit rows, in their own transaction.

Throttled in memory so a flood cannot fill the database: at most PER_KEY rows a minute for one actor / client
address and GLOBAL rows a minute for the process; what is dropped is counted and logged.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.domain.policy import Actor
from app.services import audit

log = logging.getLogger("spia")
PER_KEY = 30
GLOBAL = 600
WINDOW = 60.0
_lock = threading.Lock()
_seen: dict[str, deque[float]] = defaultdict(deque)
_all: deque[float] = deque()
_engine: Engine | None = None
dropped = 0


def configure(engine: Engine | None) -> None:
    global _engine
    _engine = engine


def _admit(key: str, now: float) -> bool:
    global dropped
    with _lock:
        for q in (_all, _seen[key]):
            while q and now - q[0] > WINDOW:
                q.popleft()
        if len(_all) >= GLOBAL or len(_seen[key]) >= PER_KEY:
            dropped += 1
            return False
        _all.append(now)
        _seen[key].append(now)
        if len(_seen) > 10_000:  # forget idle keys
            for k in [k for k, q in _seen.items() if not q]:
                del _seen[k]
        return True


def record(*, actor: Actor | None = None, login: str = "", ip: str = "", method: str = "", path: str = "",
           status: int = 403, reason: str = "", engine: Engine | None = None) -> bool:
    """Write one `denied` row unless throttled; never raises (a refusal must not turn into a 500)."""
    engine = engine or _engine
    key = (actor.login_id if actor else login) or ip or "?"
    if engine is None or not _admit(key, time.monotonic()):
        return False
    try:
        with Session(engine) as s:
            audit.record(s, actor=actor, entity="request", entity_id=path[:64], action="denied",
                         after={"method": method, "path": path[:500], "status": status, "ip": ip,
                                **({"login": login} if login and not actor else {})},
                         note=f"拒否: {reason}"[:500])
            s.commit()
        return True
    except Exception:
        log.exception("could not record a denied request")
        return False


def record_request(request: Any, *, status: int, reason: str) -> bool:
    """`request` is the Starlette request (a service does not import the web layer: docs/architecture.md §1)."""
    actor = getattr(request.state, "actor", None)
    return record(actor=actor, ip=request.client.host if request.client else "", method=request.method,
                  path=request.url.path, status=status, reason=reason, engine=request.app.state.engine)


def record_scope(scope: Mapping[str, Any], *, status: int, reason: str) -> bool:
    """`scope` is the ASGI scope of a refused request."""
    client = scope.get("client") or ("", 0)
    return record(ip=client[0] or "", method=scope.get("method", ""), path=scope.get("path", ""), status=status,
                  reason=reason)
