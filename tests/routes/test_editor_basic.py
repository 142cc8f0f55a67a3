"""The guided editor on the 基礎項目評価書: create, prefill, autosave, 409, measures, actions, bad input, scope."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Answer, AuditLog, ImprovementAction, Jimu
from tests.factories import lock_of, new_assessment, new_jimu, page_form, replace, saved_status, version_of
from tests.html import parse, text_of

JIMU = "児童扶養手当に関する事務"


def make(browser, read):
    aid = new_assessment(browser, read, "basic", name=JIMU)
    browser.login_as("kodomo")
    return aid, version_of(read, aid)


def answer(read, vid, item, uid=""):
    rows = read(select(Answer.value).where(Answer.version_id == vid, Answer.item_id == item, Answer.file_uid == uid))
    return rows[0] if rows else None


def test_offered_forms_follow_the_determination(browser, read):
    jid = new_jimu(browser, read, name=JIMU)
    page = browser.page(f"/jimu/{jid}/assessments/new")
    boxes = {i["value"]: i for i in page.select("input[name=forms]")}
    assert set(boxes) == {"basic", "focused", "full"}  # 基礎 required; 重点/全項目 voluntarily
    assert boxes["basic"].has_attr("checked") and not boxes["full"].has_attr("checked")
    bad = browser.post(f"/jimu/{jid}/assessments/new", [("forms", "focused"), ("forms", "full")])
    assert bad.status_code == 422 and "同時に作成することはできません" in bad.text


def test_new_basic_assessment_is_prefilled_from_the_register(browser, read):
    aid, v = make(browser, read)
    assert answer(read, v.id, "cover.name") == "児童扶養手当に関する事務 基礎項目評価書"
    assert answer(read, v.id, "I.1.1") == JIMU
    assert answer(read, v.id, "II.1.count") == "1,000人以上1万人未満"
    assert answer(read, v.id, "II.1.as_of") == "2026-04-01"
    assert answer(read, v.id, "III.result") == "基礎項目評価の実施が義務付けられる"
    assert answer(read, v.id, "cover.declaration").startswith("しののめ市長は、児童扶養手当に関する事務における")
    overview = browser.page(f"/assessments/{aid}")
    assert "[令和6年10月 様式2]" in overview.get_text()
    entry = read(select(AuditLog).where(AuditLog.entity == "assessment", AuditLog.entity_id == str(aid)))[0]
    assert entry.action == "created" and entry.after["form"] == "basic"


def test_every_page_renders_with_the_invariants(browser, read):
    _aid, v = make(browser, read)
    from app.services import catalogue

    d = catalogue.definition("basic", v.form_version)
    for page in d.pages:
        soup = browser.page(f"/versions/{v.id}/edit/{page.id}")
        assert soup.select_one("#page-form")["action"] == f"/versions/{v.id}/edit/{page.id}"
    check = browser.page(f"/versions/{v.id}/check")
    assert check.select("#problems tbody tr")


def test_autosave_writes_bumps_the_lock_and_audits(browser, read):
    _aid, v = make(browser, read)
    url = f"/versions/{v.id}/edit/I"
    pairs, action = page_form(browser, url)
    pairs = replace(pairs, "a|I.1.2", "児童手当法に基づき、児童を養育する者に児童手当を支給する。")
    r = browser.post(action, pairs, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:500]
    assert saved_status(r.text).startswith("保存しました")
    assert 'id="lock" value="2"' in r.text and 'hx-swap-oob="true"' in r.text
    assert answer(read, v.id, "I.1.2").startswith("児童手当法に基づき")
    assert lock_of(read, v.id, "I") == 2
    log = read(select(AuditLog).where(AuditLog.entity == "assessment_version", AuditLog.action == "page_saved"))[-1]
    assert log.after["I.1.2"]["value"].startswith("児童手当法") and log.actor_login == "kodomo"
    # a save with nothing changed writes nothing and keeps the lock
    again = browser.post(action, replace(pairs, "lock", "2"), headers={"HX-Request": "true"})
    assert again.status_code == 200 and lock_of(read, v.id, "I") == 2


def test_plain_form_submit_redirects_back(browser, read):
    _aid, v = make(browser, read)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    r = browser.post(action, replace(pairs, "a|I.6", "なし") + [("op", "")])
    assert r.status_code == 303 and r.headers["location"] == f"/versions/{v.id}/edit/I"
    assert answer(read, v.id, "I.6") == "なし"


def test_stale_save_is_409_with_both_versions_and_writes_nothing(browser, read):
    _aid, v = make(browser, read)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    first = browser.post(action, replace(pairs, "a|I.1.2", "先に保存された内容"), headers={"HX-Request": "true"})
    assert first.status_code == 200
    stale = browser.post(action, replace(pairs, "a|I.1.2", "後から保存しようとした内容"), headers={"HX-Request": "true"})
    assert stale.status_code == 409
    assert stale.headers["HX-Retarget"] == "#conflict"
    panel = parse(stale.text)
    row = panel.select_one("tr[data-item='I.1.2']")
    assert text_of(row, ".mine") == "後から保存しようとした内容"
    assert text_of(row, ".theirs") == "先に保存された内容"
    assert answer(read, v.id, "I.1.2") == "先に保存された内容"
    # the user merges and saves explicitly with the current lock
    override = panel.select_one("button[name=lock_override]")["value"]
    merged = browser.post(action, replace(pairs, "a|I.1.2", "統合した内容") + [("lock_override", override)],
                          headers={"HX-Request": "true"})
    assert merged.status_code == 200 and answer(read, v.id, "I.1.2") == "統合した内容"
    # without htmx the whole page comes back with the merge view
    nojs = browser.post(action, replace(pairs, "a|I.1.2", "古い画面から"))
    assert nojs.status_code == 409 and parse(nojs.text).select_one("[data-testid=conflict]")


def test_bad_input_is_refused_and_nothing_is_written(browser, read):
    _aid, v = make(browser, read)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    for field, value, fragment in [
        ("a|I.1.2", "制御\x07文字", "制御文字"),
        ("a|I.4.1", "たぶん実施する", "様式にありません"),
        ("a|I.1.2", "あ" * 20_001, "20,000文字以内"),
    ]:
        r = browser.post(action, replace(pairs, field, value), headers={"HX-Request": "true"})
        assert r.status_code == 422, field
        assert fragment in text_of(parse(r.text), "#save-status")
        full = browser.post(action, replace(pairs, field, value))
        assert full.status_code == 422 and fragment in text_of(parse(full.text), ".error-summary")
    assert lock_of(read, v.id, "I") == 1
    assert answer(read, v.id, "I.1.2") is None


def test_measures_in_two_audiences_move_and_library(browser, read):
    _aid, v = make(browser, read)
    url = f"/versions/{v.id}/edit/IV"
    pairs, action = page_form(browser, url)
    r = browser.post(action, pairs + [("op", "add|IV.8.basis|external")], headers={"HX-Request": "true"})
    assert r.status_code == 200
    # htmx: the server renders the page's form only (the `page_form` block), not the whole page
    assert "<html" not in r.text and r.text.lstrip().startswith("<form") and 'id="page-form"' in r.text
    assert parse(r.text).select("textarea[name='m|IV.8.basis|external']"), "the new measure's box is in the form"
    pairs, _ = page_form(browser, url)
    pairs = replace(pairs, "m|IV.8.basis|external", "委託先の作業結果を職員が全件確認している。")
    r = browser.post(action, pairs + [("op", "add|IV.8.basis|staff")])
    pairs, _ = page_form(browser, url)
    pairs = replace(pairs, "m|IV.8.basis|staff", "入力内容を二人で読み合わせている。")
    browser.post(action, pairs, headers={"HX-Request": "true"})
    value = answer(read, v.id, "IV.8.basis")
    assert [m["text"] for m in value["external"]] == ["委託先の作業結果を職員が全件確認している。"]
    assert [m["text"] for m in value["staff"]] == ["入力内容を二人で読み合わせている。"]
    # move the staff measure to the other list
    pairs, _ = page_form(browser, url)
    browser.post(action, pairs + [("op", "move|IV.8.basis|staff|0")])
    value = answer(read, v.id, "IV.8.basis")
    assert len(value["external"]) == 2 and value["staff"] == []
    # insert from the library (the page offers entries for this risk and audience)
    page = browser.page(url)
    lib_buttons = page.select("button[value^='lib|IV.8.basis|staff|']")
    assert lib_buttons
    pairs, _ = page_form(browser, url)
    browser.post(action, pairs + [("op", lib_buttons[0]["value"])])
    value = answer(read, v.id, "IV.8.basis")
    assert len(value["staff"]) == 1 and value["staff"][0]["text"]
    page = browser.page(url)
    ext = [t.get_text() for t in page.select(".audience.external textarea")]
    assert "委託先の作業結果を職員が全件確認している。" in ext


def test_issue_needs_an_action_tracked_to_closure(browser, read):
    aid, v = make(browser, read)
    url = f"/versions/{v.id}/edit/IV"
    pairs, action = page_form(browser, url)
    browser.post(action, replace(pairs, "a|IV.2.j", "課題が残されている"), headers={"HX-Request": "true"})
    problems = browser.page(f"/versions/{v.id}/check")
    assert problems.select("tr[data-kind=action][data-item='IV.2.j']")
    pairs, _ = page_form(browser, url)
    pairs = replace(pairs, "act|IV.2.j|content", "申請書様式を見直し、不要な記載欄を削除する")
    pairs = replace(pairs, "act|IV.2.j|owner", "こども家庭課 手当係")
    pairs = replace(pairs, "act|IV.2.j|due", "2027-03-31")
    r = browser.post(action, pairs, headers={"HX-Request": "true"})
    assert r.status_code == 200
    acts = read(select(ImprovementAction).where(ImprovementAction.assessment_id == aid))
    assert [(a.content, a.owner, a.due_on.isoformat(), a.status) for a in acts] == [
        ("申請書様式を見直し、不要な記載欄を削除する", "こども家庭課 手当係", "2027-03-31", "open")]
    assert not browser.page(f"/versions/{v.id}/check").select("tr[data-kind=action]")
    listing = browser.page("/actions")
    assert "申請書様式を見直し" in listing.get_text()
    browser.login_as("zeimu")
    assert "申請書様式を見直し" not in browser.page("/actions").get_text(), "other departments do not see it"
    browser.login_as("kodomo")
    r = browser.post(f"/actions/{acts[0].id}/close", {"closed_on": "2026-11-20", "close_note": "様式を改正した",
                                                      "lock_version": str(acts[0].lock_version)})
    assert r.status_code == 303
    assert read(select(ImprovementAction.status).where(ImprovementAction.id == acts[0].id)) == ["closed"]


def test_other_departments_assessment_is_403_and_unchanged(browser, read):
    aid, v = make(browser, read)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    browser.login_as("zeimu")
    assert browser.get(f"/assessments/{aid}").status_code == 403
    assert browser.get(f"/versions/{v.id}/edit/I").status_code == 403
    assert browser.post(action, replace(pairs, "a|I.1.2", "他部署の書き込み")).status_code == 403
    assert answer(read, v.id, "I.1.2") is None
    browser.login_as("council")
    assert browser.get(f"/versions/{v.id}/edit/I").status_code == 403


def test_register_change_shows_the_link_and_can_be_applied(browser, read, db):
    _aid, v = make(browser, read)
    jimu = db.exec(select(Jimu).where(Jimu.name == JIMU)).one()
    jimu.name = "児童扶養手当の支給に関する事務"
    db.add(jimu)
    db.commit()
    page = browser.page(f"/versions/{v.id}/edit/I")
    flagged = page.select_one("#i-I_1_1 [data-testid=prefill-diff]")
    assert flagged and flagged.get_text() == "登録情報と異なります"
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    browser.post(action, pairs + [("op", "prefill|I.1.1")])
    assert answer(read, v.id, "I.1.1") == "児童扶養手当の支給に関する事務"
    assert not browser.page(f"/versions/{v.id}/edit/I").select_one("#i-I_1_1 [data-testid=prefill-diff]")


def test_withheld_flag_is_saved_with_a_reason(browser, read):
    _aid, v = make(browser, read)
    pairs, action = page_form(browser, f"/versions/{v.id}/edit/I")
    pairs = replace(pairs, "a|I.1.3", "児童手当システム(しののめ市データセンター)")
    pairs = replace(pairs, "w|I.1.3", "1") + [("wr|I.1.3", "設置場所の詳細はセキュリティ上のリスクがあるため")]
    pairs = [(k, v) for k, v in pairs if not (k == "wr|I.1.3" and v == "")]
    browser.post(action, pairs, headers={"HX-Request": "true"})
    row = read(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "I.1.3"))[0]
    assert row.withheld and row.withheld_reason.startswith("設置場所")
    assert browser.page(f"/versions/{v.id}/edit/I").select_one("#i-I_1_3 .withheld.on")



def test_an_unknown_choice_in_a_checkbox_item_with_text_is_refused_not_a_500(browser, read):
    """A forged value for a check-box item whose choices carry a text box re-renders the page with the message."""
    from app.models import Assessment, AssessmentVersion, Jimu

    browser.login_as("hoken")
    vid = read(select(AssessmentVersion.id).join(Assessment).join(Jimu).where(
        Jimu.name == "国民健康保険に関する事務", Assessment.form == "full", AssessmentVersion.stage == "draft"))[0]
    first = browser.get(f"/versions/{vid}/edit").headers["location"]
    nav = browser.page(first)
    urls = [a["href"] for a in nav.select("nav a[href]") if a["href"].startswith(f"/versions/{vid}/edit/")]
    url, name = next((u, fs.select_one("input[type=checkbox]")["name"]) for u in urls
                     for fs in browser.page(u).select("fieldset.multi") if fs.select_one("input.mid"))
    pairs, action = page_form(browser, url)
    before = read(select(Answer.item_id, Answer.file_uid, Answer.value).where(Answer.version_id == vid))
    for headers in ({"HX-Request": "true"}, {}):
        r = browser.post(action, [p for p in pairs if p[0] != name] + [(name, "存在しない選択肢")], headers=headers)
        assert r.status_code == 422, r.text[:300]
        assert "様式にありません" in r.text
    assert read(select(Answer.item_id, Answer.file_uid, Answer.value).where(Answer.version_id == vid)) == before


@pytest.mark.parametrize("value", ["文字列", ["個人番号"], {"checked": "個人番号", "texts": "x"}, None])
def test_a_checkbox_item_with_text_renders_whatever_shape_its_value_has(value):
    """A value of another shape (an old import, a forged post re-shown) never crashes the editor page."""
    from app.services.catalogue import catalogue
    from app.web import templates

    d = catalogue().get("full", "r06-10")
    item = next(i for i in d.items() if i.type == "multi_text" and any(c.text for c in i.choices))
    macros = templates.env.get_template("macros/items.html").module
    html = str(macros.multi_control({}, item, "k", value, "dom", "err"))
    assert 'type="checkbox"' in html
