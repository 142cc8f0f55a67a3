"""Issue 14 items 1-3 in a real browser: record a しきい値判断 → 「記録しました」 and 「評価書を作成」 → create both
評価書 → the 全項目 shows its 基礎 (stage, 完成度) and the 事務 page's primary action is the next step; the 経過
reads with step names, the person's name and 和暦."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import register_and_determine, sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def test_determination_then_both_assessments_then_the_pair(page):
    sign_in(page, "shimin", PASSWORDS["shimin"])
    register_and_determine(page, name="印鑑登録に関する事務", department="市民部 市民課", file_name="印鑑登録原票ファイル",
                           subjects=120_000, handlers=600, result="基礎項目評価及び全項目評価の実施が義務付けられる")
    # 1: the record is confirmed and the next step is the primary action
    expect(page.locator(".flash")).to_contain_text("記録しました")
    panel = page.locator("[data-testid=next-step-panel]")
    expect(panel).to_contain_text("基礎項目評価書・全項目評価書の作成が必要です")
    panel.locator("[data-testid=next-step]").click()
    page.wait_for_url(re.compile(r".*/assessments/new\?forms=basic&forms=full$"))
    expect(page.locator("#f-form-basic")).to_be_checked()
    expect(page.locator("#f-form-full")).to_be_checked()
    page.click("form[action$='/assessments/new'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/assessments/\d+$"))
    expect(page.locator("h1")).to_contain_text("全項目評価書")
    full_url = page.url

    # 2: the 全項目 shows its 基礎 (same 評価書番号) with stage and progress, and links to it
    pair = page.locator("[data-testid=companions]")
    basic_row = pair.locator("tr[data-form=basic]")
    expect(basic_row.locator("[data-testid=pair-stage]")).to_have_text("作成中")
    expect(basic_row.locator("[data-testid=pair-percent]")).to_have_text(re.compile(r"^\d+%$"))
    expect(pair.locator("tr[data-form=full]")).to_contain_text("この評価書")
    number = page.locator("tr:has(th:text('評価書番号')) td").inner_text()
    expect(basic_row.locator("td.num").first).to_have_text(number)
    basic_row.locator("a", has_text="評価書を開く").click()
    page.wait_for_url(re.compile(r".*/assessments/\d+$"))
    expect(page.locator("h1")).to_contain_text("基礎項目評価書")
    expect(page.locator("[data-testid=companions] tr[data-form=full] a")).to_have_attribute(
        "href", full_url.split(page.url.split("/assessments/")[0])[1])

    # the 事務 page: the next step (open the one furthest from done) first, re-doing the determination second
    page.click("a:text('印鑑登録に関する事務')")
    page.wait_for_url(re.compile(r".*/jimu/\d+$"))
    actions = page.locator("[data-testid=jimu-actions]")
    expect(actions.locator("a.button:not(.secondary)")).to_have_count(1)
    expect(actions.locator("[data-testid=next-step]")).to_have_text(re.compile(r"評価書を開く$"))
    expect(actions.locator("a.button.secondary", has_text="しきい値判断をやり直す")).to_be_visible()
    expect(page.locator("[data-testid=pair] tbody tr")).to_have_count(2)


def test_timeline_reads_as_a_person_writes_it(page):
    """The published 住基 全項目's 経過: step names, no codes, 和暦 timestamps, the 様式 by its 版 label."""
    sign_in(page, "records", PASSWORDS["records"])
    page.goto("/assessments")
    page.click("a:text('住民基本台帳に関する事務 全項目評価書')")
    page.click("#versions a:text('経過') >> nth=0")
    table = page.locator("#timeline")
    expect(table).to_contain_text("公表")
    text = table.inner_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|submit_for_check|start_comment|publish", text), text
    times = page.locator("#timeline tbody td:first-child").all_inner_texts()
    assert times and all(re.fullmatch(r"令和\d+年\d+月\d+日 \d+:\d\d", t) for t in times), times
    expect(page.locator("main")).to_contain_text("[平成30年5月 様式4]")
