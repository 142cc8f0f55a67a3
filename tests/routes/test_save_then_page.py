"""Issue 18: the pages read each row once per request (app/services/memo.py); what a save wrote is on the very
next page — the editor (the value, the 未記入 count, the outline) and the 評価書 page (count, 完成度 of the pair)."""
from __future__ import annotations

import re

from sqlmodel import select

from app.domain.answers import field_name
from app.models import Assessment, Jimu
from app.services import catalogue
from tests.factories import page_form, replace, version_of


def problems_on(text: str) -> int:
    return int(re.search(r"未記入・不整合の一覧\((\d+)件\)", text).group(1))


def test_a_save_shows_on_the_next_editor_and_assessment_page(browser, read):
    browser.login_as("hoken")
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    v = version_of(read, aid)
    d = catalogue.definition("full", v.form_version)
    # a required free-text item of the 評価書 as a whole that the demo has filled in
    page = next(p for p in d.pages if p.scope == "assessment")
    url = f"/versions/{v.id}/edit/{page.id}"
    pairs, action = page_form(browser, url)
    posted = dict(pairs)
    item = next(i for i in page.walk() if i.required and i.type in ("text", "longtext") and not i.readonly
                and posted.get(field_name("a", i.id)))
    before_edit, before_overview = browser.get(url).text, browser.get(f"/assessments/{aid}").text
    r = browser.post(action, replace(pairs, field_name("a", item.id), ""), headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:300]
    after_edit, after_overview = browser.get(url).text, browser.get(f"/assessments/{aid}").text
    assert problems_on(after_edit) == problems_on(before_edit) + 1
    assert problems_on(after_overview) == problems_on(before_overview) + 1
    # and back: the value typed again is what the next page shows
    pairs, action = page_form(browser, url)
    r = browser.post(action, replace(pairs, field_name("a", item.id), "保存後に表示される記載"),
                     headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:300]
    assert "保存後に表示される記載" in browser.get(url).text
    assert problems_on(browser.get(f"/assessments/{aid}").text) == problems_on(before_overview)
