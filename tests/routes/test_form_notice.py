"""What users see of unverified 様式 (issue 12 §3): one notice line instead of a badge per item, the listing page
for records/admin, the 適用開始日 warning in the editor, and 公表 refused on a 様式 not yet in force."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, StageEvent
from app.services import catalogue, formnotice
from tests.fill import complete
from tests.html import text_of
from tests.routes.test_procedure import clock, fire, refused, version


def assessment(read, jimu: str, form: str) -> int:
    jid = read(select(Jimu.id).where(Jimu.name == jimu))[0]
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form))[0]


@pytest.fixture
def kokuho_basic(read):
    """The demo 国民健康保険 基礎項目評価書: a draft on the newest 様式2."""
    return assessment(read, "国民健康保険に関する事務", "basic")


def editor_page(browser, v: AssessmentVersion, page: str = "I"):
    return browser.page(f"/versions/{v.id}/edit/{page}")


@pytest.mark.parametrize(("login", "link"), [("records", True), ("admin", True), ("hoken", False)])
def test_one_notice_line_instead_of_a_badge_per_item(browser, read, kokuho_basic, login, link):
    v = version(read, kokuho_basic)
    d = catalogue.definition("basic", v.form_version)
    flagged = len(formnotice.unverified(d))
    assert flagged == len(d.flagged()) + len(d.unmarked()) > 0
    browser.login_as(login)
    for page in ("cover", "I", "IV"):
        soup = editor_page(browser, v, page)
        assert "様式未確認" not in soup.get_text(), "the per-item badge is gone"
        notices = soup.select("[data-testid=form-notice]")
        assert len(notices) == 1
        assert notices[0].get_text(" ", strip=True).startswith(f"この様式の {flagged} 項目は公式様式との照合が済んでいません")
        links = notices[0].select("a")
        assert [a["href"] for a in links] == ([f"/forms/basic/{v.form_version}/unverified"] if link else [])


def test_no_notice_when_every_item_is_sourced_or_the_organisation_confirmed(browser, read, kokuho_basic, monkeypatch):
    v = version(read, kokuho_basic)
    browser.login_as("records")
    monkeypatch.setattr(formnotice, "_confirmed", lambda session, organisation_id, definition: True)
    assert not editor_page(browser, v).select("[data-testid=form-notice]")
    monkeypatch.setattr(formnotice, "_confirmed", lambda session, organisation_id, definition: False)
    monkeypatch.setattr(formnotice, "unverified", lambda d: [])
    assert not editor_page(browser, v).select("[data-testid=form-notice]")


@pytest.mark.parametrize("login", ["hoken", "council"])
def test_listing_is_for_records_and_admin(browser, login):
    browser.login_as(login)
    r = browser.get("/forms/basic/r06-10/unverified")
    assert r.status_code == 403 and "総務・文書担当と管理者" in r.text


def test_listing_unknown_version_is_404(browser):
    browser.login_as("records")
    assert browser.get("/forms/basic/x99/unverified").status_code == 404
    assert browser.get("/forms/nosuch/r06-10/unverified").status_code == 404


def test_listing_shows_the_unverified_items_by_section(browser):
    d = catalogue.definition("basic", "r06-10")
    browser.login_as("records")
    soup = browser.page("/forms/basic/r06-10/unverified")
    assert "[令和6年10月 様式2]" in soup.h1.get_text()
    assert text_of(soup, "[data-testid=flagged]") == str(len(formnotice.unverified(d)))
    assert text_of(soup, "[data-testid=sourced]") == str(len(d.sourced()))
    assert d.manifest.version_notes[:40] in text_of(soup, "[data-testid=version-notes]")
    counts = {tr["data-section"]: (int(text_of(tr, ".sourced")), int(text_of(tr, ".flagged")))
              for tr in soup.select("#section-counts tbody tr")}
    assert list(counts) == [s.id for s in d.sections]
    assert sum(f for _, f in counts.values()) == len(formnotice.unverified(d))
    rows = {tr["data-item"]: tr for tr in soup.select("table.unverified tbody tr")}
    assert set(rows) == {i.id for i in formnotice.unverified(d)}
    item = d.item("II.2.count")  # a [RECALL] choice item: its choices and help are listed
    row = rows[item.id]
    assert row.find_parent("table")["data-section"] == "II"
    assert all(c in text_of(row, ".choices") for c in item.choice_labels)
    assert item.help[:20] in text_of(row, ".help") and text_of(row, ".state") == "未確認"
    nested = next(i for i in formnotice.unverified(d) if d.parent_of(i.id) and d.parent_of(i.id).number and i.number)
    parent = d.parent_of(nested.id)
    assert text_of(rows[nested.id], ".number").endswith(f"{parent.number} {nested.number}")
    assert parent.display in text_of(rows[nested.id], ".label")
    sourced = {tr["data-item"]: tr for tr in soup.select("table.sourced tbody tr")}
    assert set(sourced) == {i.id for i in d.sourced()}
    docs = {tr["data-doc"] for tr in soup.select("#documents tbody tr")}
    assert docs == {i.source.doc for i in d.sourced()}
    assert soup.select_one("#documents a") is None, "the address is plain text, not a link (LGWAN)"


def test_listing_of_sourced_items_names_the_document_without_a_link(tmp_path):
    """A definition with sources (the fixture form with one sourced item): counts and where it was read."""
    import shutil
    from pathlib import Path

    from app.domain.forms import load_definition, load_sources

    base = tmp_path / "forms"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "forms", base)
    (base / "sources").mkdir()
    (base / "sources" / "kisai2.yaml").write_text(
        "id: kisai2\ntitle: 別添2 基礎項目評価書〔記載要領〕\nkind: 記載要領\npublisher: 個人情報保護委員会\n"
        "date: 平成29年5月\naddress: 個人情報保護委員会の記載要領(写し)\n", encoding="utf-8")
    path = base / "full" / "t1" / "sections" / "10_I.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("label: 事務の名称, prefill: jimu.name}",
                                 "label: 事務の名称, prefill: jimu.name, source: {doc: kisai2, at: \"Ⅰ 1 ①\"}}"),
                    encoding="utf-8")
    d = load_definition(base / "full" / "t1", base_dir=base)
    listing = formnotice.listing(d, d.label, load_sources(base))
    section = next(s for s in listing.sections if s.section.id == "I")
    assert (section.sourced, [r.item.id for r in section.sourced_rows]) == (1, ["I.1.1"])
    assert section.sourced_rows[0].where == "別添2 基礎項目評価書〔記載要領〕 Ⅰ 1 ①"
    assert section.flagged == section.total - 1 and "I.1.1" not in [r.item.id for r in section.rows]
    assert [(doc.id, n) for doc, n in listing.documents] == [("kisai2", 1)]
    assert listing.sourced == 1 and listing.flagged == len(d.items()) - 1


def test_editor_warns_when_the_form_is_not_in_force_yet(app, browser, read, kokuho_basic):
    v = version(read, kokuho_basic)
    browser.login_as("hoken")
    assert not editor_page(browser, v).select("[data-testid=form-warning]")
    clock(app, date(2024, 9, 1))  # the 公表日 is not known yet: today stands for it
    warning = text_of(editor_page(browser, v), "[data-testid=form-warning]")
    assert "[令和6年10月 様式2]" in warning and "令和6年10月1日" in warning and "令和6年9月1日" in warning


def test_demo_published_versions_use_a_form_in_force(browser, read):
    """The demo 基礎 published 令和3年3月15日 prints [平成30年5月 様式2], not the 令和6年 様式; no demo warns."""
    versions = read(select(AssessmentVersion, Assessment).join(Assessment))
    published = [(v, a) for v, a in versions if v.published_on]
    assert len(published) >= 5
    for v, a in published:
        d = catalogue.definition(a.form, v.form_version)
        assert d.manifest.effective_from <= v.published_on, (a.form, v.form_version, v.published_on)
    juki = version(read, assessment(read, "住民基本台帳に関する事務", "basic"))
    assert (juki.form_version, juki.published_on) == ("h30-05", date(2021, 3, 15))
    browser.login_as("records")
    soup = editor_page(browser, juki)
    assert "[平成30年5月 様式2]" in soup.h1.get_text() and not soup.select("[data-testid=form-warning]")
    zeimin = version(read, assessment(read, "個人住民税の賦課徴収に関する事務", "focused"))
    assert zeimin.form_version == "h30-05"


def test_publish_before_the_form_is_in_force_is_refused_and_changes_nothing(app, browser, read, demo_engine,
                                                                           kokuho_basic):
    aid = kokuho_basic
    v = version(read, aid)
    with Session(demo_engine) as s:
        complete(s, catalogue.definition("basic", v.form_version), v.id)
    browser.login_as("records")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    assert fire(browser, read, aid, "submit", on_date="2024-09-02").status_code == 303
    before = version(read, aid)
    message = refused(browser, fire(browser, read, aid, "publish", on_date="2024-09-30"), aid, "令和6年10月1日")
    assert "公表日(令和6年9月30日)" in message and "[令和6年10月 様式2]" in message
    after = version(read, aid)
    assert (after.stage, after.published_on, after.stage_lock, after.frozen) == (
        "submitted", None, before.stage_lock, before.frozen)
    assert not read(select(StageEvent).where(StageEvent.version_id == v.id, StageEvent.action == "publish"))
    # the button says why it cannot be used while today is before the 適用開始日
    clock(app, date(2024, 9, 20))
    page = browser.page(f"/assessments/{aid}")
    button = page.select_one("button[data-action=publish]")
    assert button.has_attr("disabled")
    assert "令和6年10月1日" in page.select_one(f"#{button['aria-describedby']}").get_text()
    clock(app, date(2026, 11, 23))
    assert fire(browser, read, aid, "publish", on_date="2024-10-01").status_code == 303
    assert version(read, aid).stage == "published"
