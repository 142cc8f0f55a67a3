"""Issue 14 item 6: the council's view names the 評価書 it shows, 403 pages speak to each role, and pages do not
offer what a role cannot do (the site-wide crawl is tests/routes/test_role_offers.py)."""
from __future__ import annotations

from sqlmodel import select

from app.models import Assessment, AssessmentVersion, Jimu, Review
from tests.html import parse, text_of


def _sent_to_council(engine):
    from sqlmodel import Session

    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.snapshot_id.is_not(None))).first()
        v = s.get(AssessmentVersion, review.version_id)
        a = s.get(Assessment, v.assessment_id)
        return review.snapshot_id, a, s.get(Jimu, a.jimu_id), v


def test_council_view_names_the_assessment(life_browser, engine):
    snap_id, a, jimu, _v = _sent_to_council(engine)
    life_browser.login_as("council")
    r = life_browser.get(f"/snapshots/{snap_id}")
    assert r.status_code == 200
    page = parse(r.text)
    name = f"{jimu.name} 重点項目評価書"
    assert text_of(page, "h1") == name
    title = page.select_one("title").get_text()
    assert name in title and f"評価書番号 {a.number}" in title
    assert text_of(page, "[data-testid=snapshot-number]") == str(a.number)
    assert text_of(page, "[data-testid=snapshot-form]").startswith("重点項目評価書 [")
    assert text_of(page, "[data-testid=snapshot-published]") == "未公表(点検中の案)"
    # the document's own cover: the number printed (it is not stored as an answer), the 公表日 explained
    cover = page.select_one("[data-testid=snapshot] table")
    assert next(td.get_text(strip=True) for td in cover.select("tr")[1].select("td")) == str(a.number)
    assert "未公表(点検中の案)" in page.select_one("[data-testid=snapshot]").get_text()
    assert "-" not in [td.get_text(strip=True) for td in cover.select("td")]
    assert page.select_one("a[href='/council']"), "a way back to the council's list"


def test_council_403_speaks_to_council_members(life_browser, engine):
    _, a, jimu, _ = _sent_to_council(engine)
    life_browser.login_as("council")
    for url in (f"/assessments/{a.id}", f"/jimu/{jimu.id}"):
        r = life_browser.get(url)
        assert r.status_code == 403
        page = parse(r.text)
        message = text_of(page, ".error-message")
        assert "審議会に送付された評価書だけ" in message and "部署" not in message, message
        assert page.select_one("main a[href='/council']")
    r = life_browser.post("/jimu/new", {"name": "x"})
    assert r.status_code == 403 and "審議会委員は事務を登録できません" in r.text


def test_staff_403_names_departments(life_browser, engine):
    _, a, _, _ = _sent_to_council(engine)  # 住民税 (市民税課): not 市民課's
    life_browser.login_as("shimin")
    r = life_browser.get(f"/assessments/{a.id}")
    assert r.status_code == 403
    assert "他の部署の評価書は閲覧・編集できません" in text_of(parse(r.text), ".error-message")


def test_council_is_not_offered_jimu_registration(life_browser):
    life_browser.login_as("council")
    page = parse(life_browser.get("/jimu").text)
    assert page.select_one("a[href='/jimu/new']") is None
    assert page.select_one("main a[href='/council']")
    life_browser.login_as("shimin")
    assert parse(life_browser.get("/jimu").text).select_one("a[href='/jimu/new']")


def test_staff_see_the_procedure_records_without_records_only_forms(life_browser, engine):
    _snap_id, _a, _jimu, v = _sent_to_council(engine)
    life_browser.login_as("zeimu")  # 市民税課: owns the 住民税 重点 in 第三者点検
    review = parse(life_browser.get(f"/versions/{v.id}/review").text)
    assert not review.select(f"form[action='/versions/{v.id}/review']")
    assert review.select("form[action^='/findings/']"), "the department answers the council's findings"
    assert review.select_one("[data-testid=records-only]")
    life_browser.login_as("records")
    review = parse(life_browser.get(f"/versions/{v.id}/review").text)
    assert review.select(f"form[action='/versions/{v.id}/review']")
    assert review.select_one("[data-testid=records-only]") is None
