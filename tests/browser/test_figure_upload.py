"""Issue 13 item 2 in a real browser: the (別添1) page of the 国保 全項目 shows its diagram; a PNG chosen in the file
input and 「＋ 図を追加」 (htmx, multipart) adds a second figure with its caption, shown at once and after a reload;
a file that is not an image gets the Japanese message beside the input and changes nothing."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Answer
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS
from tests.browser.test_editor_a11y import _kokuho

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _figures(engine, vid):
    with Session(engine) as s:
        return s.exec(select(Answer.value).where(Answer.version_id == vid, Answer.item_id == "annex1.diagram")).one()


def test_upload_a_diagram_in_the_editor(page, demo_engine):
    vid, _ = _kokuho(demo_engine)
    sign_in(page, "hoken", PASSWORDS["hoken"])
    page.goto(f"/versions/{vid}/edit/annex1")
    figures = page.locator(".figures figure")
    expect(figures).to_have_count(1)
    first = figures.first.locator("img")
    expect(first).to_have_attribute("alt", "図1 国民健康保険に関する事務 特定個人情報の流れ")
    assert page.evaluate("(img) => img.complete && img.naturalWidth", first.element_handle()) == 1800

    page.set_input_files("input[type=file][name='fu|annex1.diagram']",
                         files=[{"name": "madoguchi.png", "mimeType": "image/png", "buffer": _png()}])
    page.fill("input[name='fc|annex1.diagram']", "窓口での受付の流れ")
    page.click("button[value='figadd|annex1.diagram']")
    expect(figures).to_have_count(2, timeout=15_000)
    expect(figures.nth(1).locator("img")).to_have_attribute("alt", "図2 窓口での受付の流れ")
    value = _figures(demo_engine, vid)
    assert [f["caption"] for f in value][1] == "窓口での受付の流れ"
    page.reload()
    expect(figures).to_have_count(2)
    assert page.evaluate("(img) => img.naturalWidth", figures.nth(1).locator("img").element_handle()) == 320

    # not an image: the message beside the input, nothing added
    page.expected_console_errors.append(  # htmx logs the 422 response it swaps in (the intended refusal)
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.set_input_files("input[type=file][name='fu|annex1.diagram']",
                         files=[{"name": "memo.png", "mimeType": "image/png", "buffer": b"just text"}])
    page.click("button[value='figadd|annex1.diagram']")
    expect(page.locator(".error-summary")).to_contain_text("PNG または JPEG", timeout=15_000)
    assert len(_figures(demo_engine, vid)) == 2
