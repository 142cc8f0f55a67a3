"""Issue 17 §1 in a real browser: define the example 一括変更 → plan → apply → the campaign page → the 住民基本台帳
全項目 it opened, through 庁内確認 and 意見公募 to 意見反映."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fire, sign_in

pytestmark = pytest.mark.browser


def test_campaign_to_public_comment(page):
    sign_in(page, "records", "Bunsho-Demo-2025")
    page.click("nav >> text=一括変更")
    expect(page.locator("#f-spec")).to_have_value(re.compile("標準準拠システムへの移行とガバメントクラウドの利用"))
    page.click("[data-testid=campaign-save]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    plan = page.locator("#campaign-plan")
    expect(plan.locator("tr[data-status=ready]")).to_have_count(5)
    expect(plan.locator("tr[data-status=skipped]")).to_have_count(2)
    juki = plan.locator("tr[data-status=ready]", has_text="住民基本台帳に関する事務 全項目評価書")
    expect(juki).to_contain_text("再実施(事前)")
    expect(juki).to_contain_text("意見公募(30日以上): 令和8年11月26日")
    expect(juki).to_contain_text("庁内確認: 令和8年11月12日(過ぎています)")
    expect(page.locator("[data-testid=not-applied]")).to_contain_text("IV.2.how")
    page.click("[data-testid=campaign-apply]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    rows = page.locator("#campaign-progress tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("住民基本台帳に関する事務")  # overdue first
    expect(rows.first).to_contain_text("期限超過")
    expect(page.locator("[data-testid=campaign-apply]")).to_have_count(0)

    rows.first.locator("a").click()
    page.wait_for_url(re.compile(r".*/assessments/\d+$"))
    aid = page.url.rsplit("/", 1)[-1]
    fire(page, "submit_for_check")
    expect(page.locator("[data-testid=stage]")).to_have_text("庁内確認")
    vid = page.locator("form.transition:has(button[data-action='start_comment'])").get_attribute("action").split("/")[2]
    page.goto(f"/versions/{vid}/comment")
    page.fill("#f-method", "市ホームページ及び市役所情報公開コーナーで公表し、郵送・電子メールで受け付けた。")
    page.fill("#f-start_on", "2026-11-23")
    page.fill("#f-end_on", "2026-12-22")
    page.click("form:has(input[value=setup]) button[type=submit]")
    page.goto(f"/assessments/{aid}")
    fire(page, "start_comment")
    expect(page.locator("[data-testid=stage]")).to_have_text("意見公募中")
    page.goto(f"/versions/{vid}/comment")
    page.fill("#f-received_on", "2026-11-23")
    page.select_option("#f-channel", "電子メール")
    page.fill("#f-text", "ガバメントクラウドの保管場所を具体的に示してほしい。")
    page.fill("#f-response", "国内のリージョンに保管することを記載しています。")
    page.click("form:has(input[value=opinion]):has(#f-text) button[type=submit]")
    expect(page.locator("#opinions")).to_contain_text("ガバメントクラウド")
    page.goto(f"/assessments/{aid}")
    fire(page, "close_comment", reason="審議会の日程に合わせて意見の整理を始めるため")
    expect(page.locator("[data-testid=stage]")).to_have_text("意見反映")

    page.goto("/campaigns")
    page.click("text=標準準拠システムへの移行とガバメントクラウドの利用")
    row = page.locator("#campaign-progress tbody tr", has_text="住民基本台帳に関する事務 全項目評価書")
    expect(row.locator("[data-testid=stage]")).to_have_text("意見反映")
    expect(row).to_contain_text("第三者点検")
