"""Issue 5 in a real browser: the demo draft 全項目 through check, comment, council, submission, publication."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu
from app.services import catalogue
from tests.browser.conftest import fire, sign_in
from tests.fill import complete

pytestmark = pytest.mark.browser


def test_draft_full_through_the_whole_procedure(page, playwright_browser, live_server, demo_engine, every_page_watched):
    with Session(demo_engine) as s:
        jid = s.exec(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務")).one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).one()
        complete(s, catalogue.definition("full", v.form_version), v.id)
        vid = v.id
        bid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "basic")).one()
        bv = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == bid)).one()
        complete(s, catalogue.definition("basic", bv.form_version), bv.id)
    sign_in(page, "hoken", "Kokuho-Demo-2025")
    for assessment in (bid, aid):  # the 全項目 and its 基礎 (linked both ways on their pages)
        page.goto(f"/assessments/{assessment}")
        fire(page, "submit_for_check")
        expect(page.locator("[data-testid=stage]")).to_have_text("庁内確認")
    expect(page.locator("[data-testid=companions]")).to_contain_text("基礎項目評価書")
    page.click("text=ログアウト")

    sign_in(page, "records", "Bunsho-Demo-2025")
    page.goto(f"/versions/{vid}/comment")
    page.fill("#f-method", "市ホームページ及び市役所情報公開コーナーで公表し、郵送・電子メール・FAX・持参で受け付けた。")
    page.fill("#f-start_on", "2026-11-23")
    page.fill("#f-end_on", "2026-12-22")
    page.click("form:has(input[value=setup]) button[type=submit]")
    page.goto(f"/assessments/{aid}")
    page.locator("form.transition button[data-action='start_comment']").click()
    expect(page.locator("[data-testid=confirm-statements]")).to_contain_text("案を公表します")
    page.click("text=やめる")  # nothing happens until it is confirmed
    expect(page.locator("[data-testid=stage]")).to_have_text("庁内確認")
    fire(page, "start_comment")
    expect(page.locator("[data-testid=stage]")).to_have_text("意見公募中")
    for n, (text, response) in enumerate([("委託先の研修の内容を具体的に示してほしい。", "Ⅲ4に研修の内容を追記しました。"),
                                          ("個人番号の利用目的を分かりやすくしてほしい。", "現行の記載で対応します。")], 1):
        page.goto(f"/versions/{vid}/comment")
        page.fill("#f-received_on", "2026-11-23")
        page.select_option("#f-channel", "電子メール")
        page.fill("#f-submitter", f"提出者{n}")
        page.fill("#f-text", text)
        page.fill("#f-response", response)
        if n == 1:
            page.check("#f-led_to_change")
            # 修正した項目 and the related items name the file (issue 14 item 5): the first file's Ⅱ4
            changed = page.locator("#f-changed_item option[value$='/II.4.has']").first.get_attribute("value")
            page.select_option("#f-changed_item", changed)
            page.locator("fieldset.item-picker input[type=search]").fill("委託の有無")
            page.locator("fieldset.item-picker .picker-option:visible input").first.check()
        page.click("form:has(input[value=opinion]):has(#f-text) button[type=submit]")
        expect(page.locator("#opinions")).to_contain_text(text)
        if n == 1:
            expect(page.locator("#opinions tbody tr").first.locator(".related-item")).to_contain_text(
                "Ⅱ 特定個人情報ファイルの概要 › ")
    page.goto(f"/assessments/{aid}")
    # the period runs to 22 December: closing it now needs the reason, which the results then state
    reason = page.locator("form.transition:has(button[data-action='close_comment']) input[name=reason]")
    expect(reason).to_have_attribute("required", "")
    page.locator("form.transition button[data-action='close_comment']").click()  # the browser asks for the reason
    expect(page.locator("[data-testid=stage]")).to_have_text("意見公募中")
    fire(page, "close_comment", reason="審議会の日程に合わせ、寄せられた意見の整理を始めるため")
    expect(page.locator("[data-testid=stage]")).to_have_text("意見反映")

    page.goto(f"/versions/{vid}/review")
    page.fill("#f-consulted_on", "2026-11-23")
    page.click("form:has(input[value=setup]) button[type=submit]")
    page.goto(f"/assessments/{aid}")
    fire(page, "start_review")
    expect(page.locator("[data-testid=stage]")).to_have_text("第三者点検中")
    page.goto(f"/versions/{vid}/review")
    page.click("summary:has-text('会議を登録する')")
    page.fill("#f-session_name", "令和8年度第3回")
    page.fill("#f-held_on", "2026-11-23")
    page.fill("#f-speaker-0", "委員")
    page.fill("#f-minute-0", "委託先の従業者の研修はどのように確認しているか。")
    page.click("form:has(input[value=meeting]) button[type=submit]")
    for text in ("委託先の研修の確認方法を記載すること。", "アクセスログの分析頻度を明記すること。"):
        page.click("summary:has-text('指摘事項を登録する')")
        page.fill("form:has(input[value=finding]) textarea[name=text]", text)
        page.click("form:has(input[value=finding]) button[type=submit]")
    for row in page.locator("#findings tbody tr").all():
        row.locator("textarea[name=response]").fill("評価書のⅢ4・Ⅲ3に追記しました。")
        row.locator("select[name=status]").select_option("done")
        row.locator("button").click()
        page.wait_for_load_state()
    expect(page.locator("#findings tbody tr[data-status=done]")).to_have_count(2)
    page.fill("#f-answered_on", "2026-11-23")
    page.select_option("#f-result", "条件付き適当")
    page.fill("#f-cond-0", "委託先への立入検査の結果を次回の審議会に報告すること。")
    page.click("form:has(input[value=answer]) button[type=submit]")
    expect(page.locator("[data-testid=review-result]")).to_have_text("条件付き適当")
    page.locator("#conditions input[name=note]").fill("令和8年11月15日の審議会で報告した。")
    page.locator("#conditions input[name=met_on]").fill("2026-11-23")
    page.click("#conditions button")
    expect(page.locator("#conditions tbody tr[data-status=met]")).to_have_count(1)
    page.goto(f"/assessments/{aid}")
    fire(page, "close_review")
    # the 全項目 waits for its 基礎: its own button is disabled and names the step; both go in one step
    expect(page.locator("form.transition button[data-action='submit']")).to_be_disabled()
    expect(page.locator("[data-testid=missing-submit]")).to_contain_text("基礎項目評価書がまだ提出されていません")
    fire(page, "submit", on_date="2026-11-23", with_basic=True)
    expect(page.locator("[data-testid=stage]")).to_have_text("提出済")
    fire(page, "publish", on_date="2026-11-23", with_basic=True)
    expect(page.locator("[data-testid=stage]")).to_have_text("公表済")
    page.goto(f"/assessments/{bid}")
    expect(page.locator("[data-testid=stage]")).to_have_text("公表済")
    page.goto(f"/versions/{vid}/comment")
    expect(page.locator("[data-testid=early-close-reason]")).to_contain_text("審議会の日程に合わせ")

    # Ⅵ2 / Ⅵ3 were filled from the records; the published version is read-only
    page.goto(f"/versions/{vid}/edit/VI")
    expect(page.locator("fieldset.page-fields")).to_have_attribute("disabled", "")
    expect(page.locator("#f-a--VI_2_1")).to_be_disabled()
    expect(page.locator("#f-a--VI_2_2")).to_have_value("令和8年11月23日から令和8年12月22日まで(30日間)")
    expect(page.locator("#f-a--VI_3_3")).to_contain_text("条件付き適当")
    assert page.locator("#f-a--VI_2_4").input_value().startswith("意見の件数: 2件")

    # the council member sees only what was sent to the council
    ctx = playwright_browser.new_context(base_url=live_server.url, locale="ja-JP")
    council = ctx.new_page()
    sign_in(council, "council", "Shingi-Demo-2025")
    council.goto("/council")
    expect(council.locator("main")).to_contain_text("国民健康保険に関する事務 全項目評価書")
    council.click("text=送付された評価書を読む >> nth=0")
    expect(council.locator("[data-testid=snapshot]")).to_contain_text("特定個人情報保護評価書(全項目評価書)")
    before = len(every_page_watched)
    assert council.goto(f"/assessments/{aid}").status == 403
    assert council.goto(f"/versions/{vid}/edit/I").status == 403
    # the two refusals are deliberate: each logs one 403 in the council window, and nothing else may
    refused = every_page_watched[before:]
    assert [m for _, m in refused] == ["Failed to load resource: the server responded with a status of 403 (Forbidden)"] * 2
    del every_page_watched[before:]
    ctx.close()
