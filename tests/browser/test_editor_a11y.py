"""Issue 14 item 12 in a real browser: after 「＋ 措置を追加」 or a library 挿入 the keyboard focus is on the new
measure (not <body>); choice items are fieldsets whose options are named by their own labels; the
「その他(具体的に)」 text inputs have labels."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, VersionFile
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser

ACTIVE = """() => { const a = document.activeElement;
  return {tag: a.tagName, name: a.getAttribute('name'), last: a.tagName === 'TEXTAREA' &&
          [...document.querySelectorAll('textarea')].filter(t => t.name === a.name).pop() === a}; }"""


def _wait_for_textarea_focus(page, timeout_s: float = 10.0) -> None:
    """Poll from Python: page.wait_for_function compiles its predicate with eval when it has to poll, which the
    site's CSP (script-src 'self') refuses; page.evaluate is not subject to the page's CSP."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate("() => !!document.activeElement && document.activeElement.tagName === 'TEXTAREA'"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("focus did not move to a textarea")


def _kokuho(engine):
    with Session(engine) as s:
        jimu = s.exec(select(Jimu).where(Jimu.name == "国民健康保険に関する事務")).one()
        full = s.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == "full")).one()
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == full.id)
                   .order_by(AssessmentVersion.seq.desc())).first()
        uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == v.id).order_by(VersionFile.position)).first()
    return v.id, uid


def test_focus_moves_to_the_new_measure_after_add_and_library_insert(page, demo_engine):
    vid, uid = _kokuho(demo_engine)
    sign_in(page, "hoken", PASSWORDS["hoken"])
    page.goto(f"/versions/{vid}/edit/III~III.3?file={uid}")
    add = page.locator(".audience.staff button[value^='add|']").first
    name = add.get_attribute("data-focus-new")
    before = page.locator(f"textarea[name='{name}']").count()
    add.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"textarea[name='{name}']")).to_have_count(before + 1)
    _wait_for_textarea_focus(page)
    assert page.evaluate(ACTIVE) == {"tag": "TEXTAREA", "name": name, "last": True}
    page.keyboard.type("キーボードだけで追加した措置。")
    assert page.locator(f"textarea[name='{name}']").last.input_value() == "キーボードだけで追加した措置。"
    expect(page.locator("#save-status")).to_contain_text("保存しました", timeout=15_000)

    picker = page.locator("details.library-pick").first
    picker.locator("summary").click()
    insert = picker.locator("button[value^='lib|']").first
    name = insert.get_attribute("data-focus-new")
    before = page.locator(f"textarea[name='{name}']").count()
    insert.click()
    expect(page.locator(f"textarea[name='{name}']")).to_have_count(before + 1)
    _wait_for_textarea_focus(page)
    assert page.evaluate(ACTIVE) == {"tag": "TEXTAREA", "name": name, "last": True}


def test_choice_items_are_fieldsets_and_other_text_inputs_are_labelled(page, demo_engine):
    vid, uid = _kokuho(demo_engine)
    sign_in(page, "hoken", PASSWORDS["hoken"])
    page.goto(f"/versions/{vid}/edit/II~II.3?file={uid}")
    radios = page.evaluate("""() => [...document.querySelectorAll('input[type=radio]')].map(r => ({
        legend: !!(r.closest('fieldset') && r.closest('fieldset').querySelector('legend')),
        labels: [...r.labels].map(l => l.textContent.trim())}))""")
    assert radios, "no choice item on page II.3"
    assert all(r["legend"] for r in radios)
    # each option is named by its own label only (not by the item's heading as well)
    assert all(len(r["labels"]) == 1 for r in radios), [r for r in radios if len(r["labels"]) != 1][:3]
    others = page.evaluate("""() => [...document.querySelectorAll('.choices.multi input[type=text]')].map(
        t => [...t.labels].map(l => l.textContent.trim()))""")
    assert others, "no 「その他」 text input on page II.3"
    assert all(len(labels) == 1 and labels[0] for labels in others)
