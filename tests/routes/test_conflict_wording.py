"""Issue 14 item 11: a 409 says who saved first and when — 「あなたが別の画面で…」 when it was the same user in
another window, 「<氏名>さんが…」 otherwise — in the editor's conflict panel and on the optimistic-locked forms."""
from __future__ import annotations

import re

from sqlmodel import select

from app.models import ImprovementAction, Jimu, LibraryMeasure
from tests.factories import new_assessment, page_form, replace, version_of
from tests.html import parse, text_of

STAMP = r"令和\d+年\d+月\d+日 \d\d:\d\d"
JIMU = "児童扶養手当に関する事務"


def _editor_conflict(browser, read, first_login: str, second_login: str):
    aid = new_assessment(browser, read, "basic", name=JIMU)
    v = version_of(read, aid)
    browser.login_as(second_login)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")  # the page as it was opened in this window
    browser.login_as(first_login)
    first = browser.post(action, replace(pairs, "a|I.1.2", "先に保存した内容"), headers={"HX-Request": "true"})
    assert first.status_code == 200
    browser.login_as(second_login)
    stale = browser.post(action, replace(pairs, "a|I.1.2", "後から保存した内容"), headers={"HX-Request": "true"})
    assert stale.status_code == 409
    return parse(stale.text)


def test_editor_conflict_by_the_same_user_in_another_window(browser, read):
    panel = _editor_conflict(browser, read, "kodomo", "kodomo")
    message = text_of(panel, "[data-testid=conflict-message]")
    assert re.search(f"このページは、あなたが別の画面で {STAMP} に保存しています。", message), message
    assert "他の利用者" not in panel.get_text()
    assert text_of(panel, "[data-testid=conflict-heading]") == "このページは別の画面で先に保存されています"
    assert "保存済みの内容(別の画面)" in panel.get_text()
    assert "別の画面で先に保存されています" in text_of(panel, "#save-status")


def test_editor_conflict_by_someone_else_names_them(browser, read):
    panel = _editor_conflict(browser, read, "records", "kodomo")
    message = text_of(panel, "[data-testid=conflict-message]")
    assert re.search(f"このページは、総務課 文書担当 佐藤さんが {STAMP} に保存しています。", message), message
    assert "あなたが" not in message
    assert text_of(panel, "[data-testid=conflict-heading]") == "総務課 文書担当 佐藤さんが先に保存しました"
    assert "保存済みの内容(総務課 文書担当 佐藤さん)" in panel.get_text()


def _library_form(read, n: int):
    m = read(select(LibraryMeasure).order_by(LibraryMeasure.id))[0]
    return m, [("id", str(m.id)), ("title", f"{m.title}{n}"), ("text", m.text), ("audience", m.audience),
               ("source", m.source), ("active", "1")] + [("risks", r) for r in m.risks]


def test_locked_form_same_user_other_window(browser, read):
    """The records officer edits a library measure in two windows: the second save is hers too."""
    browser.login_as("records")
    m, form = _library_form(read, 1)
    assert browser.post("/library", form + [("lock_version", str(m.lock_version))]).status_code == 303
    _, form = _library_form(read, 2)
    stale = browser.post("/library", form + [("lock_version", str(m.lock_version))])
    assert stale.status_code == 409
    assert re.search(f"この措置は、あなたが別の画面で {STAMP} に保存しています。", stale.text), stale.text[:800]
    assert "他の利用者により" not in stale.text


def test_locked_form_someone_else_named_from_the_audit_log(browser, read):
    """改善策 has no updated_by column: the name comes from the audit entry of the winning save."""
    act = read(select(ImprovementAction).where(ImprovementAction.status == "open"))[0]
    browser.login_as("records")
    assert browser.post(f"/actions/{act.id}/close", {"closed_on": "2026-11-20", "close_note": "済",
                                                      "lock_version": str(act.lock_version)}).status_code == 303
    browser.login_as("admin")
    stale = browser.post(f"/actions/{act.id}/close", {"closed_on": "2026-11-20", "close_note": "再度",
                                                       "lock_version": str(act.lock_version)})
    assert stale.status_code == 409
    assert re.search(f"この改善策は、総務課 文書担当 佐藤さんが {STAMP} に保存しています。", stale.text), stale.text[:800]


def test_jimu_edit_conflict_says_who(browser, read):
    jimu = read(select(Jimu).where(Jimu.name == "国民健康保険に関する事務"))[0]
    browser.login_as("hoken")
    form = browser.page(f"/jimu/{jimu.id}/edit").select_one("form#jimu-form")
    pairs = [(i["name"], i.get("value", "")) for i in form.select("input[name]") if i["name"] != "csrftoken"
             and i.get("type") not in ("checkbox", "submit")]
    pairs += [(s["name"], (s.select_one("option[selected]") or s.select_one("option"))["value"])
              for s in form.select("select[name]")]
    pairs += [(t["name"], t.get_text()) for t in form.select("textarea[name]")]
    action = form.get("action") or f"/jimu/{jimu.id}/edit"
    assert browser.post(action, pairs).status_code == 303
    stale = browser.post(action, pairs)
    assert stale.status_code == 409
    assert re.search(f"この事務は、あなたが別の画面で {STAMP} に保存しています。", stale.text), stale.text[:800]
