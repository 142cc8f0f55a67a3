"""An import that replaces the version (`import --into`) while someone has an editor page open.

The import rewrites every answer; a save from a page loaded before it must not silently put the old text back.
The page locks therefore move on (old lock + 1) instead of starting again at 1, and the stale save gets 409.
"""
from __future__ import annotations

from sqlmodel import select

from app.models import Answer, PageLock
from tests.robustness.helpers import form_pairs, kokuho, replace


def test_save_from_a_page_loaded_before_an_import_is_409(browser, demo_engine, read):
    aid, vid, _uids = kokuho(demo_engine)
    browser.login_as("hoken")
    url = f"/versions/{vid}/edit/V"
    assert read(select(PageLock.lock).where(PageLock.version_id == vid, PageLock.page_id == "V")) == [1]
    page = browser.get(url)
    assert page.status_code == 200
    pairs, action = form_pairs(page.text)
    # someone replaces the version from JSON (the same document with Ⅴ1 rewritten)
    doc = browser.api("GET", f"/api/v1/versions/{vid}/json").json()
    target = next(e for e in doc["answers"] if e["file"] == "" and e["item"].startswith("V.") and
                  isinstance(e["value"], str) and e["value"])
    target["value"] = "取込みで書き換えた内容"
    r = browser.api("POST", f"/api/v1/assessments/import?into={aid}", json=doc)
    assert r.status_code == 201, r.text
    locks = read(select(PageLock.lock).where(PageLock.version_id == vid, PageLock.page_id == "V"))
    assert locks == [2], "the import moved the page's lock on"
    # the page opened before the import saves another item: refused, the imported text stays
    other = next(k for k, _ in pairs if k.startswith("a|V.") and k != f"a|{target['item']}")
    stale = browser.post(action, replace(pairs, other, "古い画面からの保存"), headers={"HX-Request": "true"})
    assert stale.status_code == 409
    value = read(select(Answer.value).where(Answer.version_id == vid, Answer.file_uid == "",
                                            Answer.item_id == target["item"]))
    assert value == ["取込みで書き換えた内容"]
