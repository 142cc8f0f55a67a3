"""Item 14: refused attempts (403, API 401, CSRF failure) leave a throttled `denied` audit row."""
from __future__ import annotations

import collections

import pytest
from sqlmodel import select

from app.models import AuditLog
from app.services import denials


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch):
    monkeypatch.setattr(denials, "_seen", collections.defaultdict(collections.deque))
    monkeypatch.setattr(denials, "_all", collections.deque())


def _denied(read):
    return read(select(AuditLog).where(AuditLog.action == "denied").order_by(AuditLog.id))


def test_403_is_recorded_with_actor_and_path(browser, read):
    browser.login_as("shimin")
    before = len(_denied(read))
    assert browser.get("/admin").status_code == 403
    rows = _denied(read)
    assert len(rows) == before + 1
    assert rows[-1].actor_login == "shimin" and rows[-1].after["path"] == "/admin" and rows[-1].after["status"] == 403


def test_forbidden_edition_download_is_recorded(browser, read):
    from app.models import AssessmentVersion

    v = read(select(AssessmentVersion).order_by(AssessmentVersion.id))[0]
    browser.login_as("council")
    r = browser.get(f"/versions/{v.id}/export?edition=full")
    if r.status_code != 403:
        return  # the council may read this edition in the demo data
    assert _denied(read)[-1].after["path"] == f"/versions/{v.id}/export"
    assert not read(select(AuditLog).where(AuditLog.action == "output", AuditLog.actor_login == "council"))


def test_api_401_and_csrf_failure_are_recorded(browser, read):
    before = len(_denied(read))
    assert browser.client.get("/api/v1/assessments", headers={"Authorization": "Bearer nope"}).status_code == 401
    browser.login_as("records")
    assert browser.post("/jimu/new", {"name": "x"}, csrf=False).status_code == 403
    rows = _denied(read)[before:]
    assert {r.after["status"] for r in rows} == {401, 403}


def test_flood_is_throttled(browser, read):
    browser.login_as("shimin")
    before = len(_denied(read))
    for _ in range(denials.PER_KEY + 20):
        assert browser.get("/admin").status_code == 403
    assert len(_denied(read)) - before == denials.PER_KEY
