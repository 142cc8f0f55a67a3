"""Word rendering off the request path (issue 18): a server worker hands the loaded bundle to a process of its
own and waits for the bytes, so the ~0.1 s of CPU that a 全項目評価書 costs python-docx does not hold the worker's
interpreter while other requests wait for it. The bundle is loaded (and access checked) in the worker, as before.

The pool is started by the web application (`SPIA_RENDER_PROCESSES`, default 1 per server worker) and stopped
with it; commands and tests that do not start it render in their own process. A pool that breaks (its process
killed) is replaced, and the document rendered in the worker meanwhile: an export never fails because of the pool.
"""
from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import cast

from app.export import assessment_doc
from app.export.docx import render as render_docx
from app.export.model import ExportDoc
from app.export.odt import render as render_odt

log = logging.getLogger("spia")
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_size = 0


def _warm() -> None:
    """In the new process: import the renderer once, before the first document arrives."""
    import app.export.docx
    import app.export.odt  # noqa: F401


RENDERERS: dict[str, Callable[[ExportDoc], bytes]] = {"docx": render_docx, "odt": render_odt}


def job(b: assessment_doc.Bundle, edition: str, kind: str = "docx") -> bytes:
    """The .docx (or, for the PDF, the .odt) of a bundle."""
    # exports.export lets only draft / full / public through (EDITIONS) before anything is rendered
    return RENDERERS[kind](assessment_doc.build(b, cast(assessment_doc.Edition, edition)))


def start(processes: int) -> None:
    """Called at application start-up. `spawn`: a fresh interpreter, not a fork of a threaded server."""
    global _pool, _size
    with _lock:
        if _pool is None and processes > 0:
            _size = processes
            _pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm)
            _pool.submit(_warm)  # start the process now rather than on the first export


def stop() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def running() -> bool:
    return _pool is not None


def render(b: assessment_doc.Bundle, edition: str, kind: str = "docx") -> bytes:
    """The .docx (or .odt) of a bundle, rendered in the pool when the application started one."""
    global _pool
    pool = _pool
    if pool is None:
        return job(b, edition)
    try:
        return pool.submit(job, b, edition, kind).result()
    except BrokenProcessPool:
        log.warning("export: the rendering process ended unexpectedly; rendering here and starting a new one")
        with _lock:
            if _pool is pool:
                _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        start(_size)
        return job(b, edition, kind)
