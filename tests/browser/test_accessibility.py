"""Issue 14 item 12: axe-core (vendored, offline) finds no serious or critical violation on the main pages,
for every role: the pages of the role's menu plus the detail pages a person of that role opens."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, Review, VersionFile
from tests.browser.axe import describe, violations
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def _detail_pages(engine) -> dict[str, list[str]]:
    with Session(engine) as s:
        jimu = s.exec(select(Jimu).where(Jimu.name == "住民基本台帳に関する事務")).one()
        full = s.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == "full")).one()
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == full.id)
                   .order_by(AssessmentVersion.seq.desc())).first()
        uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == v.id).order_by(VersionFile.position)).first()
        reviewed = s.exec(select(Review.version_id)).first()
        sent = s.exec(select(Review.snapshot_id).where(Review.snapshot_id.is_not(None))).first()
    staff = [f"/jimu/{jimu.id}", f"/jimu/{jimu.id}/threshold", f"/assessments/{full.id}",
             f"/versions/{v.id}/edit/III~III.3?file={uid}", f"/versions/{v.id}/edit/I", "/jimu/new", "/threshold"]
    records = staff + ([f"/versions/{reviewed}/review"] if reviewed else []) + ["/annual-reviews/1"]
    return {"records": records, "admin": records + ["/admin/users/new"], "shimin": staff,
            "council": [f"/snapshots/{sent}"] if sent else []}


@pytest.mark.parametrize("login", ["records", "admin", "shimin", "council"])
def test_no_serious_accessibility_violation_on_the_main_pages(page, demo_engine, login):
    sign_in(page, login, PASSWORDS[login])
    urls = ["/"] + page.eval_on_selector_all("nav.global a", "as => as.map(a => a.getAttribute('href'))")
    urls += _detail_pages(demo_engine)[login] + ["/account"]
    found, checked = {}, 0
    for url in dict.fromkeys(urls):
        response = page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        page.wait_for_load_state("networkidle")
        checked += 1
        if vs := violations(page):
            found[url] = vs
    assert checked >= (3 if login == "council" else 12), checked
    assert not found, "axe-core: serious/critical violations\n" + describe(found)
