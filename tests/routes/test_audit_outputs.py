"""Item 14: every export / download leaves an audit row (who, what, which edition), written in its own transaction."""
from __future__ import annotations

import contextlib

from sqlmodel import select

from app.models import AuditLog
from app.models.procedure import Meeting, PublicComment, Snapshot


def _outputs(read):
    return read(select(AuditLog).where(AuditLog.action == "output").order_by(AuditLog.id))


def test_every_download_route_is_audited(browser, read):
    from app.models import AssessmentVersion

    v = read(select(AssessmentVersion).order_by(AssessmentVersion.id))[0]
    snaps = read(select(Snapshot).where(Snapshot.docx.is_not(None)))
    pc = read(select(PublicComment))
    meetings = read(select(Meeting))
    routes = [
        (f"/versions/{v.id}/export?edition=full&format=docx", "version", str(v.id), "full"),
        (f"/versions/{v.id}/export?edition=draft&format=docx", "version", str(v.id), "draft"),
        (f"/versions/{v.id}/export?edition=public&format=docx", "version", str(v.id), "public"),
        (f"/api/v1/assessments/{v.assessment_id}/export?edition=full", "version", str(v.id), "full"),
        (f"/api/v1/versions/{v.id}/json", "version", str(v.id), None),
        (f"/assessments/{v.assessment_id}/changes.docx", "assessment", str(v.assessment_id), None),
        ("/plan/export?format=csv", "plan", None, None),
        ("/plan/export?format=docx", "plan", None, None),
    ] + [(f"/versions/{c.version_id}/comment/results.docx", "version", str(c.version_id), None) for c in pc[:1]] + [
        (f"/meetings/{m.id}/minutes.docx", "meeting", str(m.id), "public") for m in meetings[:1]] + [(f"/snapshots/{s.id}/download", "snapshot", str(s.id), s.edition) for s in snaps[:1]]
    assert len(routes) >= 10  # demo data: at least two of snapshot / comment period / meeting
    browser.login_as("records")
    for url, entity, entity_id, edition in routes:
        before = len(_outputs(read))
        r = browser.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        rows = _outputs(read)
        assert len(rows) == before + 1, url
        row = rows[-1]
        assert row.actor_login == "records" and row.entity == entity, url
        if entity_id:
            assert row.entity_id == entity_id, url
        if edition:
            assert row.after["edition"] == edition, url


def test_output_row_is_kept_even_if_the_request_fails_later(browser, read, monkeypatch):
    """The record is committed before the bytes are sent (own transaction)."""
    from app import downloads
    from app.models import AssessmentVersion

    v = read(select(AssessmentVersion).order_by(AssessmentVersion.id))[0]

    def boom(*a, **k):
        raise RuntimeError("transfer failed")

    monkeypatch.setattr(downloads, "Response", boom)
    browser.login_as("records")
    before = len(_outputs(read))
    with contextlib.suppress(RuntimeError):
        browser.get(f"/versions/{v.id}/export?edition=full&format=docx")
    assert len(_outputs(read)) == before + 1


def test_audit_page_filters_downloads(browser):
    browser.login_as("records")
    browser.get("/plan/export?format=csv")
    browser.login_as("admin")
    page = browser.page("/audit?action=output&login=records")
    options = {o["value"]: o.get_text(strip=True) for o in page.select("#f-action option")}
    assert options["output"] == "出力・ダウンロード" and options["denied"] == "拒否された操作"
    assert page.select_one("#f-action option[selected]")["value"] == "output"
    cells = [[td.get_text(strip=True) for td in tr.select("td")] for tr in page.select("#audit-table tbody tr")]
    assert cells and all(c[1] == "総務課 文書担当 佐藤" and c[3] == "出力・ダウンロード" for c in cells)  # names, not codes
    assert any("計画管理書" in c[4] for c in cells)
