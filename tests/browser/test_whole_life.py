"""The whole life of a 全項目評価書 in a real browser, as the roles would live it (issue 7 §1).

Staff register a 事務 and draft from its しきい値判断 (autosave survives a reload and a network drop, with the
retry shown); records run the public comment and the council review, export the three editions (the downloads
are read back with python-docx), submit and publish; a year later the review falls due and records run it.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.deps import today
from app.main import build_asgi
from app.models import Assessment, AssessmentVersion, Jimu
from app.services import catalogue
from tests import dbutil
from tests.browser.conftest import LiveServer, fire, register_and_determine, sign_in
from tests.export.helpers import open_docx
from tests.fill import complete

pytestmark = pytest.mark.browser
JIMU = "後期高齢者医療に関する事務"


class Clock:
    def __init__(self, day: date):
        self.day = day

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def clock():
    return Clock(dbutil.DEMO_TODAY)


@pytest.fixture
def server(settings, demo_engine, clock):
    app = build_asgi(settings, engine=demo_engine)
    app.fastapi.dependency_overrides[today] = clock
    with LiveServer(app) as s:
        yield s


@pytest.fixture
def ctx(playwright_browser, server):
    context = playwright_browser.new_context(base_url=server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                             viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


def download(page, edition: str):
    page.select_option("#f-edition", edition)
    page.select_option("#f-format", "docx")
    with page.expect_download() as info:
        page.click("#export-form button[type=submit]")
    dl = info.value
    return dl.suggested_filename, open_docx(open(dl.path(), "rb").read())


def test_whole_life_of_a_full_assessment(ctx, server, clock, demo_engine, every_page_watched):
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)

    # -- staff: register the 事務, run the しきい値判断 and draft the 全項目評価書
    sign_in(page, "hoken", "Kokuho-Demo-2025")
    register_and_determine(page, name=JIMU, department="市民部 保険年金課", file_name="後期高齢者医療ファイル",
                           subjects=120000, handlers=600, result="基礎項目評価及び全項目評価の実施が義務付けられる")
    page.click("text=事務の画面へ戻る")
    page.click("text=評価書を作成")
    assert page.is_checked("#f-form-full") and page.is_checked("#f-form-basic")
    page.click("form[action$='/assessments/new'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/assessments/\d+$"))
    aid = int(page.url.rsplit("/", 1)[1])
    page.click("text=編集する")
    page.click("nav.outline >> text=Ⅰ 基本情報")
    editor = page.url
    content = page.locator("#f-a--I_1_2")
    content.fill("75歳以上の被保険者の資格の管理、保険料の賦課・徴収及び給付に関する事務を行う。")
    expect(page.locator("#save-status")).to_contain_text("保存しました", timeout=15_000)
    page.reload()
    expect(page.locator("#f-a--I_1_2")).to_have_value("75歳以上の被保険者の資格の管理、保険料の賦課・徴収及び給付に関する事務を行う。")

    # the network drops while typing: the words stay on the page, the retry is shown, then it is saved
    before = len(every_page_watched)
    ctx.set_offline(True)
    page.locator("#f-a--I_1_2").fill("ネットワークが切れている間に書いた事務の内容。")
    expect(page.locator("#save-status")).to_contain_text("通信できません", timeout=15_000)
    expect(page.locator("#save-status")).to_contain_text("再試行")
    ctx.set_offline(False)
    expect(page.locator("#save-status")).to_contain_text("保存しました", timeout=20_000)
    # the failed save while offline logs htmx's send error and the refused request; nothing else may
    offline = {m for _, m in every_page_watched[before:]}
    assert offline <= {"htmx:afterRequest, [object HTMLDivElement]", "htmx:sendError, [object HTMLDivElement]",
                       "Failed to load resource: net::ERR_INTERNET_DISCONNECTED"}, offline
    del every_page_watched[before:]
    page.goto(editor)
    expect(page.locator("#f-a--I_1_2")).to_have_value("ネットワークが切れている間に書いた事務の内容。")

    with Session(demo_engine) as s:  # the rest of the form, as the department would write it over weeks
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).one()
        vid = v.id
        complete(s, catalogue.definition("full", v.form_version), vid)
        bid = s.exec(select(Assessment.id).where(Assessment.jimu_id == s.get(Assessment, aid).jimu_id,
                                                 Assessment.form == "basic")).one()
        bv = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == bid)).one()
        complete(s, catalogue.definition("basic", bv.form_version), bv.id)
    for assessment in (bid, aid):  # the 基礎 goes with its 全項目
        page.goto(f"/assessments/{assessment}")
        fire(page, "submit_for_check")
        expect(page.locator("[data-testid=stage]")).to_have_text("庁内確認")
    page.click("text=ログアウト")

    # -- records: public comment and council review
    sign_in(page, "records", "Bunsho-Demo-2025")
    page.goto(f"/versions/{vid}/comment")
    page.fill("#f-start_on", "2026-11-23")
    page.fill("#f-end_on", "2026-12-22")
    page.click("form:has(input[value=setup]) button[type=submit]")
    page.goto(f"/assessments/{aid}")
    fire(page, "start_comment")
    expect(page.locator("[data-testid=stage]")).to_have_text("意見公募中")
    page.goto(f"/versions/{vid}/comment")
    page.fill("#f-received_on", "2026-11-23")
    page.select_option("#f-channel", "郵送")
    page.fill("#f-text", "保険料の情報を委託先が扱う範囲を示してほしい。")
    page.fill("#f-response", "Ⅱ4の委託事項に記載しています。")
    page.click("form:has(input[value=opinion]):has(#f-text) button[type=submit]")
    expect(page.locator("#opinions")).to_contain_text("保険料の情報を委託先が扱う範囲")
    clock.day = date(2026, 12, 23)  # the period is over
    page.goto(f"/assessments/{aid}")
    fire(page, "close_comment")
    page.goto(f"/versions/{vid}/review")
    page.fill("#f-consulted_on", "2026-12-24")
    page.click("form:has(input[value=setup]) button[type=submit]")
    page.goto(f"/assessments/{aid}")
    fire(page, "start_review")
    expect(page.locator("[data-testid=stage]")).to_have_text("第三者点検中")
    page.goto(f"/versions/{vid}/review")
    page.fill("#f-answered_on", "2027-01-20")
    page.select_option("#f-result", "適当")
    page.click("form:has(input[value=answer]) button[type=submit]")
    expect(page.locator("[data-testid=review-result]")).to_have_text("適当")
    page.goto(f"/assessments/{aid}")
    fire(page, "close_review")
    expect(page.locator("[data-testid=stage]")).to_have_text("点検反映")

    # -- the three editions, downloaded from the page
    name, draft = download(page, "draft")
    assert name.endswith(".docx") and "全項目評価書_案" in name
    assert "案" in "".join(p.text for p in draft.sections[0].header.paragraphs)
    name, full = download(page, "full")
    assert "提出用" in name
    name, public = download(page, "public")
    assert "公表用" in name
    for doc in (draft, full, public):
        heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        assert any("Ⅰ" in h and "基本情報" in h for h in heads) and any("Ⅵ" in h for h in heads)
        assert doc.sections[0].page_width.mm == pytest.approx(210, abs=1)

    clock.day = date(2027, 2, 1)
    page.goto(f"/assessments/{aid}")
    fire(page, "submit", on_date="2027-01-25", with_basic=True)
    fire(page, "publish", on_date="2027-02-01", with_basic=True)
    expect(page.locator("[data-testid=stage]")).to_have_text("公表済")
    expect(page.locator("[data-testid=next-review]")).to_contain_text("令和10年2月1日")

    # -- a year later: the review is overdue on the dashboard; records run it
    clock.day = date(2028, 2, 3)
    page.goto("/dashboard")
    row = page.locator(f"#due-table tr[data-assessment='{aid}']")
    expect(row.locator("[data-testid=review-due]")).to_contain_text("期限超過")
    row.locator("a").first.click()
    page.click("[data-testid=start-review]")
    page.wait_for_url(re.compile(r".*/annual-reviews/\d+$"))
    assert page.locator("details.review-part tbody tr").count() > 10
    part = page.locator("details.review-part").first
    part.locator("summary").first.click()
    group = part.locator("details.review-group").first
    group.locator("summary").click()
    first = group.locator("tbody tr").first
    first.locator("textarea").fill("委託先の研修は一部の従事者が未受講。")
    first.locator("select").select_option("partial")
    expect(first.locator("[data-testid=row-status]")).to_contain_text("保存しました")
    # the rest 「実施中」, group by group, each after its confirmation (named group and count)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    while page.locator("[data-testid=bulk]").count():
        button = page.locator("[data-testid=bulk]").first
        gid = button.evaluate("e => e.closest('details.review-group').id")
        button.click()
        page.locator(f"#{gid} [data-testid=bulk-confirm-button]").click()
        expect(page.locator(f"#{gid} [data-testid=bulk-done]")).to_be_visible()
    page.reload()
    expect(page.locator("tr[data-status=partial]")).to_have_count(1)
    expect(page.locator("#review-progress")).to_contain_text("(すべて確認済)")
    page.select_option("#f-outcome", "no_change")
    before = len(every_page_watched)
    page.click("[data-testid=complete-review]")
    expect(page.locator(".error-summary")).to_contain_text("「変更なし」にはできません")
    # the refused completion is answered 422 (the page with the reason): the browser logs exactly that status
    refused = {m for _, m in every_page_watched[before:]}
    assert refused == {"Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"}, \
        refused
    del every_page_watched[before:]
    page.select_option("#f-outcome", "correction")
    page.fill("#f-findings", "委託先の研修が一部未受講。研修の記載を実態に合わせて修正する。")
    page.click("[data-testid=complete-review]")
    page.wait_for_url(re.compile(r".*/versions/\d+/changes$"))
    expect(page.locator("#review-findings")).to_contain_text("委託先の研修が一部未受講")
    expect(page.locator("[data-testid=version-kind]")).to_have_text("修正")
    page.goto("/dashboard")
    row = page.locator(f"#due-table tr[data-assessment='{aid}']")
    expect(row.locator("[data-testid=review-due]")).to_contain_text("令和11年2月3日")
    with Session(demo_engine) as s:
        a = s.exec(select(Assessment).join(Jimu).where(Jimu.name == JIMU, Assessment.form == "full")).one()
        assert [v.seq for v in s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id))] == [1, 2]
    assert not csp, csp
