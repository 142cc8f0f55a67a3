"""共通記載 pages: list, create, edit (409 shows both), proposals → accept (a campaign) / keep, the editor's badges,
read-only 固定 text and the 調整可 diff; staff read, council 403."""
from __future__ import annotations

from bs4 import BeautifulSoup
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, TextBlock


def _ids(engine):
    with Session(engine) as s:
        blocks = {b.title: b.id for b in s.exec(select(TextBlock)).all()}
        a = s.exec(select(Assessment).join(Jimu).where(Jimu.name == "国民健康保険に関する事務",
                                                       Assessment.form == "full")).one()
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)
                   .order_by(AssessmentVersion.seq.desc())).first()
        return blocks, v.id


def test_list_create_and_a_stale_edit_shows_both(browser):
    b = browser.login_as("records")
    page = b.page("/blocks")
    assert len(page.select("#block-table tbody tr[data-block]")) == 3
    r = b.post("/blocks", {"title": "委託先の監督(共通)", "kind": "text", "text": "委託先を年1回監査する。", "active": "1"})
    assert r.status_code == 303, r.text[:400]
    url = r.headers["location"]
    page = b.page(url)
    assert page.select_one("[data-testid=revision]").get_text() == "第1版"
    lock = page.select_one("input[name=lock_version]")["value"]
    form = {"title": "委託先の監督(共通)", "text": "委託先を年2回監査する。", "reason": "監査を増やした", "active": "1",
            "lock_version": lock}
    assert b.post(url, form).status_code == 303
    r = b.post(url, form | {"text": "別の人の変更"})
    assert r.status_code == 409
    page = BeautifulSoup(r.text, "html.parser")
    box = page.select_one("#block-conflict").get_text()
    assert "別の人の変更" in box and "委託先を年2回監査する。" in box
    history = b.page(url).select("#block-history > li")
    assert len(history) == 2 and "監査を増やした" in history[0].get_text()
    assert b.post("/blocks", {"title": ""}).status_code == 422


def test_proposals_accept_into_a_campaign_and_keep(browser, demo_engine):
    blocks, _ = _ids(demo_engine)
    b = browser.login_as("records")
    url = f"/blocks/{blocks['アクセス権限の付与と失効(庁内共通の措置)']}"
    page = b.page(url)
    rows = {tr["data-assessment"]: tr for tr in page.select("#block-proposals tbody tr")}
    assert len(rows) == 3 and all(tr["data-status"] == "proposed" for tr in rows.values())
    assert all(tr.select("ins") for tr in rows.values())  # the change is shown as a diff
    first, *rest = sorted(rows)
    assert b.post(url + "/keep", {"assessment": first}).status_code == 303
    assert b.post(url + "/accept", {}).status_code == 422
    r = b.post(url + "/accept", [("assessment", x) for x in rest] + [("cls", "formal")])
    assert r.status_code == 303 and r.headers["location"].startswith("/campaigns/")
    page = b.page(url)
    statuses = {tr["data-assessment"]: tr["data-status"] for tr in page.select("#block-proposals tbody tr")}
    assert statuses == {first: "kept"}
    assert len(page.select("#block-uses tbody tr")) == 5  # 4 demo uses + the new working version of the accepted one


def test_staff_read_and_insert_from_the_editor_council_is_refused(browser, demo_engine):
    blocks, vid = _ids(demo_engine)
    b = browser.login_as("hoken")
    assert b.get("/blocks").status_code == 200
    assert b.post("/blocks", {"title": "x", "kind": "text", "text": "x"}).status_code == 403
    page = b.page(f"/versions/{vid}/edit/cover")
    item = page.select_one("[data-item='cover.declaration']")
    assert item.select("[data-testid=block-insert-fixed]")
    lock = page.select_one("input[name=lock]")["value"]
    jlis = blocks["住基ネット(地方公共団体情報システム機構)を通じた事務の流れ"]
    r = b.post(f"/versions/{vid}/edit/cover", {"lock": lock, "op": f"blk|cover.declaration|{jlis}|fixed"})
    assert r.status_code in (200, 303), r.text[:300]
    page = b.page(f"/versions/{vid}/edit/cover")
    item = page.select_one("[data-item='cover.declaration']")
    assert "共通記載(固定)" in item.select_one("[data-testid=block-use]").get_text()
    assert item.select_one("[data-testid=block-fixed]") and not item.select("textarea[name='a|cover.declaration']")
    lock = page.select_one("input[name=lock]")["value"]  # a forged post of the 固定 text is refused
    r = b.post(f"/versions/{vid}/edit/cover", {"lock": lock, "p|cover.declaration": "1", "a|cover.declaration": "偽"})
    assert r.status_code == 422 and "共通記載(固定)" in r.text
    b = browser.login_as("council")
    assert b.get("/blocks").status_code == 403


def test_adjustable_use_shows_the_diff_in_the_editor(browser, demo_engine):
    blocks, vid = _ids(demo_engine)
    b = browser.login_as("hoken")
    page = b.page(f"/versions/{vid}/edit/cover")
    lock = page.select_one("input[name=lock]")["value"]
    jlis = blocks["住基ネット(地方公共団体情報システム機構)を通じた事務の流れ"]
    b.post(f"/versions/{vid}/edit/cover", {"lock": lock, "op": f"blk|cover.declaration|{jlis}|adjustable"})
    page = b.page(f"/versions/{vid}/edit/cover")
    text = page.select_one("textarea[name='a|cover.declaration']").get_text()
    lock = page.select_one("input[name=lock]")["value"]
    b.post(f"/versions/{vid}/edit/cover", {"lock": lock, "p|cover.declaration": "1",
                                           "a|cover.declaration": text + "\n市独自の補足"})
    item = b.page(f"/versions/{vid}/edit/cover").select_one("[data-item='cover.declaration']")
    assert "市独自の補足" in item.select_one("[data-testid=block-diff] ins").get_text()
