"""Issue 2 in a real browser: staff registers a 事務 with two files, runs the wizard, sees 全項目評価."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_registers_jimu_and_determines_full_assessment(page):
    sign_in(page, "shimin", "Juki-Demo-2025")
    page.click("text=事務を登録する")
    page.fill("#f-name", "印鑑登録に関する事務")
    page.select_option("#f-department_id", label="市民部 市民課")
    page.fill("#f-files-0-name", "印鑑登録原票ファイル")
    page.fill("#f-files-0-subjects", "70000")
    page.fill("#f-files-0-subjects_as_of", "2026-04-01")
    page.click("button[value=add_file]")  # htmx swaps the form with a second row, keeping the first
    page.wait_for_selector("#f-files-1-name")
    assert page.input_value("#f-files-0-name") == "印鑑登録原票ファイル"
    page.fill("#f-files-1-name", "印鑑登録証交付ファイル")
    page.fill("#f-files-1-subjects", "50000")
    page.fill("#f-files-1-subjects_as_of", "2026-04-01")
    page.fill("#f-handlers", "600")
    page.fill("#f-handlers_as_of", "2026-04-01")
    page.click("#jimu-form button[type=submit]:not([name])")
    page.wait_for_url("**/jimu/*")
    assert "120,000人" in page.inner_text("main")

    page.click("text=しきい値判断を行う")
    page.wait_for_selector("[data-testid=threshold-result]")
    assert page.input_value("#f-subjects") == "120000"
    # live preview through htmx: lowering handlers shows 重点, restoring shows 全項目
    page.fill("#f-handlers", "100")
    expect(page.locator("[data-testid=threshold-result]")).to_contain_text("重点項目評価")
    page.fill("#f-handlers", "600")
    expect(page.locator("[data-testid=threshold-result]")).to_contain_text("全項目評価")
    page.click("text=この内容で判断を記録する")
    page.wait_for_url("**/determinations/*")
    assert page.inner_text("[data-testid=threshold-result]") == "基礎項目評価及び全項目評価の実施が義務付けられる"
    reasons = page.locator("[data-testid=threshold-reasons] li").all_inner_texts()
    assert "対象人数 120,000人は「10万人以上30万人未満」の区分に該当します。" in reasons
    assert "取扱者数 600人は500人以上です(委託先の従業者を含む)。" in reasons

    # opening another 部署's 事務 is refused with a 403 page on purpose; Chromium logs the 403 document load
    page.expected_console_errors.append("Failed to load resource: the server responded with a status of 403 (Forbidden)")
    response = page.goto("/jimu/2")  # 個人住民税 belongs to 市民税課
    assert response.status == 403
    assert "他の部署の事務" in page.inner_text("main")
    assert not [e for e in page.csp_errors if "Content Security Policy" in e], page.csp_errors
