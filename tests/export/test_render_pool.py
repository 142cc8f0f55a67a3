"""Issue 18: Word documents are rendered in a process of the server's own, off the request path. The document is
the same as one rendered in the worker; the application starts and stops the pool with itself; a rendering
process that dies is replaced and the export still succeeds."""
from __future__ import annotations

import os
import signal

import pytest
from fastapi.testclient import TestClient

from app.main import build_asgi
from app.services import exports, render_pool
from tests.export.helpers import body_sequence, open_docx
from tests.export.test_layout import TODAY, demo_version


@pytest.fixture
def pool():
    render_pool.start(1)
    yield render_pool
    render_pool.stop()


def _pids() -> list[int]:
    return list(render_pool._pool._processes) if render_pool._pool is not None else []


def test_a_pooled_rendering_is_the_document_rendered_in_the_worker(db, system, pool, monkeypatch):
    v = demo_version(db, "full")
    b = exports.bundle(db, actor=system, version_id=v.id, edition="full")
    pooled = render_pool.render(b, "full")
    assert _pids() and os.getpid() not in _pids()  # it ran in another process
    here = render_pool.job(b, "full")
    assert body_sequence(open_docx(pooled)) == body_sequence(open_docx(here))
    # and an export through the service uses the pool: the worker's own renderer is never called
    monkeypatch.setitem(render_pool.RENDERERS, "docx", lambda model: pytest.fail("rendered in the worker"))
    out = exports.export(db, actor=system, version_id=demo_version(db, "basic").id, edition="draft", today=TODAY)
    assert open_docx(out.content).paragraphs


def test_a_killed_rendering_process_is_replaced_and_the_export_succeeds(db, system, pool):
    v = demo_version(db, "basic")
    b = exports.bundle(db, actor=system, version_id=v.id, edition="full")
    render_pool.render(b, "full")
    (victim,) = _pids()
    os.kill(victim, signal.SIGKILL)
    data = render_pool.render(b, "full")  # the broken pool is noticed, the document rendered anyway
    assert open_docx(data).paragraphs
    assert render_pool.running()
    render_pool.render(b, "full")
    assert victim not in _pids() and _pids()


def test_the_application_starts_and_stops_the_pool(settings, demo_engine):
    settings.render_processes = 1
    assert not render_pool.running()
    with TestClient(build_asgi(settings, engine=demo_engine)):
        assert render_pool.running()
    assert not render_pool.running()
