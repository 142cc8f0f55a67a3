"""Issue 14 item 12: axe-core (vendored, offline) finds no serious or critical violation on the main pages,
for every role: the pages of the role's menu plus the detail pages a person of that role opens; the system
administrator (no demo account: created as tests/security/world.py does) included."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, Review, User, VersionFile
from tests.browser.axe import describe, violations
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS
from tests.security.world import SYSADMIN_LOGIN, SYSADMIN_PASSWORD

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
    found, checked = _visit(page, urls)
    assert checked >= (3 if login == "council" else 12), checked
    assert not found, "axe-core: serious/critical violations\n" + describe(found)


def _visit(page, urls: list[str]) -> tuple[dict, int]:
    """Open each page once (each must answer < 400) and collect axe-core's serious violations per page."""
    found, checked = {}, 0
    for url in dict.fromkeys(urls):
        response = page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        page.wait_for_load_state("networkidle")
        checked += 1
        if vs := violations(page):
            found[url] = vs
    return found, checked


def _add_system_administrator(engine) -> None:
    """The demo has no system administrator; the account lives in the demo city's body, as in the security world."""
    from app.domain.policy import SYSTEM
    from app.services import organisation as orgs

    with Session(engine) as s:
        org_id = s.exec(select(User.organisation_id).where(User.login_id == "records")).one()
        orgs.create_user(s, actor=SYSTEM, organisation_id=org_id, login_id=SYSADMIN_LOGIN, display_name="システム管理者",
                         role="sysadmin", password=SYSADMIN_PASSWORD, department_ids=[])


def test_no_serious_accessibility_violation_on_the_system_administrators_pages(page, demo_engine):
    _add_system_administrator(demo_engine)
    sign_in(page, SYSADMIN_LOGIN, SYSADMIN_PASSWORD)
    menu = page.eval_on_selector_all("nav.global a", "as => as.map(a => a.getAttribute('href'))")
    assert "/system/organisations" in menu and "/jimu" not in menu, menu
    found, checked = _visit(page, ["/", *menu, "/account"])
    assert checked >= 3, checked
    # the registration of a 評価実施機関 refused (nothing filled in): the error summary and the fields' errors
    page.goto("/system/organisations")
    page.expected_console_errors.append(
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.click("form[action='/system/organisations'] button[type=submit]")
    expect(page.locator("#error-summary")).to_be_visible()
    if vs := violations(page):
        found["/system/organisations (登録の誤り)"] = vs
    assert not found, "axe-core: serious/critical violations\n" + describe(found)
