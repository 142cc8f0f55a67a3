"""The しきい値判断 wizard, its record, re-run warnings and the 重大事故 register."""
from __future__ import annotations

from sqlmodel import select

from app.models import AuditLog, Determination, Jimu
from tests.html import parse, text_of


def jimu(read, name):
    return read(select(Jimu).where(Jimu.name == name))[0]


def test_wizard_prefills_from_the_register_and_records(browser, read):
    browser.login_as("shimin")
    j = jimu(read, "住民基本台帳に関する事務")
    page = browser.page(f"/jimu/{j.id}/threshold")
    assert page.select_one("#f-subjects")["value"] == "418000"
    assert page.select_one("#f-handlers")["value"] == "350"
    assert "重複を除いた人数" in page.get_text()
    assert text_of(page, "[data-testid=threshold-result]") == "基礎項目評価及び全項目評価の実施が義務付けられる"
    r = browser.post(f"/jimu/{j.id}/threshold", {"determined_on": "2026-11-20", "subjects": "418000",
                                                 "handlers": "350", "serious_incident": "no"})
    assert r.status_code == 303
    det = read(select(Determination).where(Determination.jimu_id == j.id).order_by(Determination.id.desc()))[0]
    assert (det.result, det.subjects, det.subjects_source, det.corrections) == ("basic+full", 418000, "dedup", {})
    shown = browser.page(r.headers["location"])
    assert "令和8年11月20日" in shown.get_text()
    reasons = [li.get_text(strip=True) for li in shown.select("[data-testid=threshold-reasons] li")]
    assert reasons[0] == "対象人数 418,000人は「30万人以上」の区分に該当します。"
    assert read(select(AuditLog.action).where(AuditLog.entity == "determination", AuditLog.entity_id == str(det.id))) \
        == ["recorded"]


def test_preview_fragment_for_htmx(browser, read):
    browser.login_as("shimin")
    j = jimu(read, "住民基本台帳に関する事務")
    r = browser.post(f"/jimu/{j.id}/threshold/preview", {"subjects": "50000", "handlers": "600",
                                                         "serious_incident": "no"}, headers={"HX-Request": "true"})
    frag = parse(r.text)
    assert frag.select_one("#result") and not frag.select_one("html body header")
    assert text_of(frag, "[data-testid=threshold-result]") == "基礎項目評価及び重点項目評価の実施が義務付けられる"


def test_corrections_need_a_reason_and_are_recorded(browser, read):
    browser.login_as("shimin")
    j = jimu(read, "住民基本台帳に関する事務")
    data = {"determined_on": "2026-11-20", "subjects": "420000", "handlers": "350", "serious_incident": "no"}
    r = browser.post(f"/jimu/{j.id}/threshold", data)
    assert r.status_code == 422 and "理由を入力" in text_of(parse(r.text), "#e-correction_note")
    r = browser.post(f"/jimu/{j.id}/threshold", {**data, "correction_note": "転入の増加を反映"})
    assert r.status_code == 303
    det = read(select(Determination).where(Determination.jimu_id == j.id).order_by(Determination.id.desc()))[0]
    assert det.corrections["subjects"] == {"register": 418000, "entered": 420000}
    assert det.subjects_source == "manual"


def test_voluntary_level_must_be_higher_and_explained(browser, read):
    browser.login_as("kodomo")
    j = jimu(read, "児童手当の支給に関する事務")
    base = {"determined_on": "2026-11-20", "subjects": "48500", "handlers": "45", "serious_incident": "no"}
    r = browser.post(f"/jimu/{j.id}/threshold", {**base, "voluntary_level": "full"})
    assert r.status_code == 422 and "理由を入力" in r.text
    r = browser.post(f"/jimu/{j.id}/threshold", {**base, "voluntary_level": "full", "voluntary_reason": "市の方針"})
    assert r.status_code == 303
    det = read(select(Determination).where(Determination.jimu_id == j.id).order_by(Determination.id.desc()))[0]
    assert (det.result, det.voluntary_level) == ("basic", "full")


def test_future_date_and_negative_numbers_refused(browser, read):
    browser.login_as("kodomo")
    j = jimu(read, "児童手当の支給に関する事務")
    before = len(read(select(Determination)))
    r = browser.post(f"/jimu/{j.id}/threshold", {"determined_on": "2030-01-01", "subjects": "-4", "handlers": "45"})
    page = parse(r.text)
    assert r.status_code == 422
    assert "未来の日付" in text_of(page, "#e-determined_on")
    assert "負の数" in text_of(page, "#e-subjects")
    assert len(read(select(Determination))) == before


def test_serious_incident_flags_rerun_on_the_dashboard(browser, read):
    # 個人住民税: 236,000 subjects, 180 handlers -> 重点. A 重大事故 within a year raises it to 全項目.
    browser.login_as("zeimu")
    assert browser.page("/").select("[data-testid=rerun-warning]") == []
    browser.login_as("records")
    r = browser.post("/incidents", {"occurred_on": "2026-09-01", "summary": "課税通知書の誤送付(150件)",
                                    "involves_specific": "1"})
    assert r.status_code == 303
    browser.login_as("zeimu")
    home = browser.page("/")
    assert len(home.select("[data-testid=rerun-warning]")) == 1
    j = jimu(read, "個人住民税の賦課徴収に関する事務")
    wizard = browser.page(f"/jimu/{j.id}/threshold")
    assert wizard.select_one("#f-serious_incident")["checked"] is not None
    assert "課税通知書の誤送付" in wizard.get_text()
    assert text_of(wizard, "[data-testid=threshold-result]") == "基礎項目評価及び全項目評価の実施が義務付けられる"


def test_incident_not_attributable_does_not_count(browser):
    browser.login_as("records")
    browser.post("/incidents", {"occurred_on": "2026-09-01", "summary": "郵便事故", "involves_specific": "1",
                                "not_attributable": "1"})
    assert browser.page("/").select("[data-testid=rerun-warning]") == []


def test_incident_register_is_for_records_only(browser):
    browser.login_as("shimin")
    assert browser.get("/incidents").status_code == 403
    assert browser.post("/incidents", {"occurred_on": "2026-09-01", "summary": "x"}).status_code == 403


def test_calculator_page(browser):
    browser.login_as("shimin")
    page = browser.page("/threshold?subjects=999&handlers=0")
    assert text_of(page, "[data-testid=threshold-result]") == "特定個人情報保護評価の実施が義務付けられない"
