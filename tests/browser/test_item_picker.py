"""Issue 14 item 5 in a real browser: the related-item picker filters by the words typed (the file's name among
them), opens the file that matches, and selects several items by plain clicks (no Ctrl-click), without any inline
script (the CSP stays strict)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import AssessmentVersion, Review, VersionFile
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def test_picker_filters_and_selects_several_items(page, demo_engine):
    with Session(demo_engine) as s:
        vid = s.exec(select(AssessmentVersion.id).join(Review, Review.version_id == AssessmentVersion.id)).first()
        files = s.exec(select(VersionFile).where(VersionFile.version_id == vid)
                       .order_by(VersionFile.position, VersionFile.id)).all()
    assert len(files) > 1
    sign_in(page, "records", PASSWORDS["records"])
    page.goto(f"/versions/{vid}/review")
    page.click("summary:has-text('指摘事項を登録する')")
    picker = page.locator("fieldset.item-picker")
    picker.locator("input[type=search]").fill("リスク1 入手")
    visible = picker.locator(".picker-option:visible label")
    expect(visible.first).to_be_visible()
    texts = visible.all_inner_texts()
    assert texts and all("リスク1" in t and "入手" in t for t in texts), texts
    assert len(texts) < picker.locator(".picker-option").count()
    assert all(any(f" › {f.name} › " in t for t in texts) for f in files), "every file's 入手 risk matches"
    # the file's name narrows it to that file: only its block is shown, and opened
    picker.locator("input[type=search]").fill(f"{files[1].name} リスク1 入手")
    expect(picker.locator(".picker-file:visible")).to_have_count(1)
    shown = picker.locator(".picker-file:visible")
    expect(shown).to_have_attribute("data-file", files[1].uid)
    expect(shown).to_have_attribute("open", "")
    texts = visible.all_inner_texts()
    assert texts and all(f" › {files[1].name} › " in t for t in texts), texts
    visible.nth(0).click()
    visible.nth(1).click()
    expect(picker.locator("[data-picker-status]")).to_have_text("選択中 2件(検索で絞り込み中)")
    picker.locator("input[type=search]").fill("該当しない語句xyz")
    expect(picker.locator("[data-picker-none]")).to_be_visible()
    picker.locator("input[type=search]").fill("")
    chosen = page.evaluate("""() => new FormData(document.querySelector('fieldset.item-picker').closest('form'))
                                      .getAll('items')""")
    assert len(chosen) == 2 and all(c.startswith(f"{files[1].uid}/III.2.") for c in chosen), chosen
    # no text: refused (422), the form comes back open with the picks kept and says why
    page.expected_console_errors.append(
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.click("form:has(input[value=finding]) button[type=submit]")
    expect(page.locator("#e-text")).to_be_visible()
    kept = page.evaluate("""() => new FormData(document.querySelector('fieldset.item-picker').closest('form'))
                                    .getAll('items')""")
    assert kept == chosen
    expect(page.locator("fieldset.item-picker [data-picker-status]")).to_have_text("選択中 2件")
