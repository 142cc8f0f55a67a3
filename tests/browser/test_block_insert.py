"""Issue 17 §2 in a real browser: insert a 共通記載 from the editor as 固定; the item turns read-only with its link."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.routes.test_block_pages import _ids

pytestmark = pytest.mark.browser


def test_insert_a_fixed_block_from_the_editor(page, demo_engine):
    _, vid = _ids(demo_engine)
    sign_in(page, "hoken", "Kokuho-Demo-2025")
    page.goto(f"/versions/{vid}/edit/cover")
    item = page.locator("[data-item='cover.declaration']")
    item.locator("details.block-pick summary").click()
    item.locator("li", has_text="住基ネット(地方公共団体情報システム機構)を通じた事務の流れ").locator(
        "[data-testid=block-insert-fixed]").click()
    item = page.locator("[data-item='cover.declaration']")
    expect(item.locator("[data-testid=block-use]")).to_contain_text("共通記載(固定)")
    expect(item.locator("[data-testid=block-fixed]")).to_contain_text("住基ネット(コミュニケーションサーバ)")
    expect(item.locator("textarea")).to_have_count(0)
    page.reload()
    expect(page.locator("[data-item='cover.declaration'] [data-testid=block-fixed]")).to_contain_text("機構")
    page.locator("[data-item='cover.declaration'] [data-testid=block-use] a").click()
    expect(page.locator("h1")).to_have_text("住基ネット(地方公共団体情報システム機構)を通じた事務の流れ")
    expect(page.locator("#block-uses")).to_contain_text("国民健康保険に関する事務")
