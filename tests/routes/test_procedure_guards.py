"""Issue 11 items 13, 17, 18 and 19: procedure guards the records officer's walk found missing.

13 「再度の点検を求める」 sends a new document and needs a new 答申; 17 a 全項目 goes out with its 基礎;
18 no public-comment period in the past, and an early 終了 states its reason; 19 irreversible steps are confirmed,
refusals come back to the 評価書 page (Post/Redirect/Get), and buttons that cannot be used say what is missing.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, PublicComment, Review, Snapshot
from app.services import catalogue
from tests.export.helpers import body_sequence, open_docx
from tests.fill import complete
from tests.html import parse, text_of
from tests.routes.test_procedure import clock, fire, refused, version


@pytest.fixture
def pair(read):
    """The demo 国民健康保険 全項目評価書 and its 基礎項目評価書 (same 事務, same 評価書番号)."""
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    full = read(select(Assessment).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    basic = read(select(Assessment).where(Assessment.jimu_id == jid, Assessment.form == "basic"))[0]
    assert full.number == basic.number
    return full.id, basic.id


def complete_version(demo_engine, read, aid: int) -> AssessmentVersion:
    v = version(read, aid)
    form = read(select(Assessment.form).where(Assessment.id == aid))[0]
    with Session(demo_engine) as s:
        complete(s, catalogue.definition(form, v.form_version), v.id)
    return v


def to_comment(app, browser, read, demo_engine, aid, *, start="2026-11-23", end="2026-12-22") -> AssessmentVersion:
    v = complete_version(demo_engine, read, aid)
    browser.login_as("records")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    r = browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市ホームページ", "start_on": start,
                                                   "end_on": end})
    assert r.status_code == 303, r.text[:500]
    assert fire(browser, read, aid, "start_comment").status_code == 303
    return v


def to_review_revision(app, browser, read, demo_engine, aid) -> AssessmentVersion:
    v = to_comment(app, browser, read, demo_engine, aid)
    clock(app, date(2026, 12, 23))
    assert fire(browser, read, aid, "close_comment").status_code == 303
    from app.models import Council

    cid = read(select(Council.id))[0]
    assert browser.post(f"/versions/{v.id}/review", {"what": "setup", "council_id": str(cid), "consulted_on": "2026-12-23",
                                                     "method": "審議会への諮問"}).status_code == 303
    assert fire(browser, read, aid, "start_review").status_code == 303
    assert browser.post(f"/versions/{v.id}/review", {"what": "answer", "result": "適当", "answered_on": "2026-12-23",
                                                     "answer_text": "第1回の答申: 適当である。"}).status_code == 303
    assert fire(browser, read, aid, "close_review").status_code == 303
    return v


# --- 13 ---------------------------------------------------------------------------------------------------------
def test_re_review_sends_a_new_document_and_needs_a_new_answer(app, browser, read, pair, demo_engine):
    full, _ = pair
    v = to_review_revision(app, browser, read, demo_engine, full)
    first = read(select(Review).where(Review.version_id == v.id))
    assert len(first) == 1 and first[0].round == 1
    # the department changes the text in 点検反映, then the council is asked again
    with Session(demo_engine) as s:
        from app.models import Answer

        a = s.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "I.1.2")).first()
        a.value = "点検を踏まえて書き直した事務の名称"
        s.add(a)
        s.commit()
    clock(app, date(2026, 12, 28))
    assert fire(browser, read, full, "reopen_review", reason="条件の対応内容を改めて審議いただくため").status_code == 303
    assert version(read, full).stage == "third_party_review"
    rounds = read(select(Review).where(Review.version_id == v.id).order_by(Review.id))
    assert [r.round for r in rounds] == [1, 2]
    old, new = rounds
    assert old.answer_text == "第1回の答申: 適当である。" and old.result == "適当", "the first 答申 stays in history"
    assert (new.result, new.answered_on, new.consulted_on) == ("", None, date(2026, 12, 28))
    assert new.snapshot_id and new.snapshot_id != old.snapshot_id, "a new document is sent to the council"
    snap = read(select(Snapshot).where(Snapshot.id == new.snapshot_id))[0]
    assert snap.purpose == "council" and "点検を踏まえて書き直した事務の名称" in str(snap.data)
    old_snap = read(select(Snapshot).where(Snapshot.id == old.snapshot_id))[0]
    assert "点検を踏まえて書き直した事務の名称" not in str(old_snap.data)
    # 点検終了 does not pass on the old 答申
    refused(browser, fire(browser, read, full, "close_review"), full, "答申(結論と日付)を登録してください")
    page = browser.page(f"/versions/{v.id}/review")
    assert "第2回の点検" in page.get_text()
    assert "第1回の答申: 適当である。" in text_of(page, "#earlier-rounds")
    assert browser.post(f"/versions/{v.id}/review", {"what": "answer", "result": "適当", "answered_on": "2026-12-29",
                                                     "answer_text": "第2回の答申"}).status_code == 303
    clock(app, date(2026, 12, 30))
    assert fire(browser, read, full, "close_review").status_code == 303
    rounds = read(select(Review).where(Review.version_id == v.id).order_by(Review.id))
    assert [(r.round, r.answer_text) for r in rounds] == [(1, "第1回の答申: 適当である。"), (2, "第2回の答申")]
    # the council member reads the new document
    browser.login_as("council")
    links = [x["href"] for x in browser.page("/council").select("a[href^='/snapshots/']")]
    assert f"/snapshots/{new.snapshot_id}" in links


# --- 17 ---------------------------------------------------------------------------------------------------------
def test_pair_is_linked_both_ways(browser, pair):
    full, basic = pair
    browser.login_as("records")
    assert f"/assessments/{basic}" in str(browser.page(f"/assessments/{full}").select_one("[data-testid=companions]"))
    assert f"/assessments/{full}" in str(browser.page(f"/assessments/{basic}").select_one("[data-testid=companions]"))


def test_full_is_not_submitted_without_its_basic_and_moves_with_it(app, browser, read, pair, demo_engine):
    full, basic = pair
    to_review_revision(app, browser, read, demo_engine, full)
    clock(app, date(2027, 1, 5))
    page = browser.page(f"/assessments/{full}")
    assert page.select_one("form.transition button[data-action='submit']").has_attr("disabled")
    assert "基礎項目評価書がまだ提出されていません" in text_of(page, "[data-testid=missing-submit]")
    offer = page.select_one("form.transition-with-basic button[data-with-basic]")
    assert offer.has_attr("disabled") and "「作成中」の段階" in text_of(page, "[data-testid=missing-with-basic]"), \
        "the 基礎 is 作成中: the offer says so"
    refused(browser, fire(browser, read, full, "submit", on_date="2027-01-05"), full, "基礎項目評価書がまだ提出されていません")
    assert version(read, full).stage == "review_revision"
    complete_version(demo_engine, read, basic)
    assert fire(browser, read, basic, "submit_for_check").status_code == 303
    page = browser.page(f"/assessments/{full}")
    assert not page.select_one("form.transition-with-basic button[data-with-basic]").has_attr("disabled")
    confirm = browser.page(f"/versions/{version(read, full).id}/transition/confirm?action=submit&with_basic=1"
                           "&on_date=2027-01-05")
    assert "基礎項目評価書(第1版)も同時に提出します" in confirm.get_text()
    assert confirm.select_one("form.confirm-transition input[name=with_basic]")["value"] == "1"
    assert fire(browser, read, full, "submit", on_date="2027-01-05", with_basic="1").status_code == 303
    assert (version(read, full).stage, version(read, basic).stage) == ("submitted", "submitted")
    assert version(read, basic).submitted_on == date(2027, 1, 5)
    # publication: the same rule; one refusal leaves both where they were (one transaction)
    clock(app, date(2027, 1, 10))
    refused(browser, fire(browser, read, full, "publish", on_date="2027-01-06"), full, "基礎項目評価書がまだ公表されていません")
    refused(browser, fire(browser, read, full, "publish", on_date="2027-01-04", with_basic="1"), full, "公表日")
    assert (version(read, full).stage, version(read, basic).stage) == ("submitted", "submitted")
    assert fire(browser, read, full, "publish", on_date="2027-01-06", with_basic="1").status_code == 303
    assert [(x.stage, x.frozen) for x in (version(read, full), version(read, basic))] == [("published", True)] * 2


def test_basic_submitted_first_lets_the_full_go_alone(app, browser, read, pair, demo_engine):
    full, basic = pair
    complete_version(demo_engine, read, basic)
    browser.login_as("records")
    assert fire(browser, read, basic, "submit_for_check").status_code == 303
    assert fire(browser, read, basic, "submit", on_date="2026-11-23").status_code == 303
    to_review_revision(app, browser, read, demo_engine, full)
    clock(app, date(2027, 1, 5))
    assert fire(browser, read, full, "submit", on_date="2027-01-05").status_code == 303
    assert version(read, full).stage == "submitted"


# --- 18 ---------------------------------------------------------------------------------------------------------
def test_a_period_in_the_past_is_refused_at_start(app, browser, read, pair, demo_engine):
    """The reported case: on 2 December a period of 20 Oct – 25 Nov was accepted and 開始 published the 案."""
    full, _ = pair
    v = complete_version(demo_engine, read, full)
    browser.login_as("records")
    assert fire(browser, read, full, "submit_for_check").status_code == 303
    clock(app, date(2026, 10, 1))  # registered in advance, when the period was still ahead
    assert browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-10-20",
                                                      "end_on": "2026-11-25"}).status_code == 303
    clock(app, date(2026, 12, 2))
    page = browser.page(f"/assessments/{full}")
    assert page.select_one("form.transition button[data-action='start_comment']").has_attr("disabled")
    assert "過ぎています" in text_of(page, "[data-testid=missing-start_comment]")
    refused(browser, fire(browser, read, full, "start_comment"), full, "開始日(令和8年10月20日)が過ぎています")
    assert version(read, full).stage == "internal_check"
    assert not read(select(Snapshot).where(Snapshot.version_id == v.id, Snapshot.purpose == "public_comment"))


def test_early_close_needs_a_reason_shown_in_the_results(app, browser, read, pair, demo_engine):
    full, _ = pair
    v = to_comment(app, browser, read, demo_engine, full)
    clock(app, date(2026, 11, 24))  # a day after 開始, the period runs to 22 December
    page = browser.page(f"/assessments/{full}")
    assert page.select_one("form.transition:has(button[data-action='close_comment']) input[name=reason]")
    refused(browser, fire(browser, read, full, "close_comment"), full, "終了日より前に終了するには")
    assert version(read, full).stage == "public_comment"
    reason = "対象事務の廃止が決まり意見公募を継続する必要がなくなったため"
    assert fire(browser, read, full, "close_comment", reason=reason).status_code == 303
    c = read(select(PublicComment).where(PublicComment.version_id == v.id))[0]
    assert (c.closed_on, c.early_close_reason) == (date(2026, 11, 24), reason)
    assert reason in text_of(browser.page(f"/versions/{v.id}/comment"), "[data-testid=early-close-reason]")
    texts = [t for _, t in body_sequence(open_docx(browser.get(f"/versions/{v.id}/comment/results.docx").content))]
    assert any(reason in t and "令和8年11月24日に終了" in t for t in texts)


def test_closing_after_the_end_date_needs_no_reason(app, browser, read, pair, demo_engine):
    full, _ = pair
    v = to_comment(app, browser, read, demo_engine, full)
    clock(app, date(2026, 12, 23))
    assert fire(browser, read, full, "close_comment").status_code == 303
    assert read(select(PublicComment.early_close_reason).where(PublicComment.version_id == v.id)) == [""]


# --- 19 ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("action", "says"), [("start_comment", "案を公表します"), ("submit", "この版を提出用として固定"),
                                         ("publish", "この版を凍結します")])
def test_irreversible_steps_are_confirmed_first(app, browser, read, demo_engine, action, says):
    """A 基礎 (submit, publish) and a 全項目 (start_comment): the button opens the confirmation page; a POST without
    confirmed=1 shows the same page and changes nothing."""
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    form = "full" if action == "start_comment" else "basic"
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form))[0]
    v = complete_version(demo_engine, read, aid)
    browser.login_as("records")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    if action == "start_comment":
        browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-11-23",
                                                   "end_on": "2026-12-22"})
    if action == "publish":
        assert fire(browser, read, aid, "submit", on_date="2026-11-23").status_code == 303
    page = browser.page(f"/assessments/{aid}")
    button_form = page.select_one(f"form.transition:has(button[data-action='{action}'])")
    assert button_form["method"] == "get" and button_form["action"] == f"/versions/{v.id}/transition/confirm"
    stage = version(read, aid).stage
    lock = version(read, aid).stage_lock
    shown = browser.post(f"/versions/{v.id}/transition", {"action": action, "lock": str(lock), "on_date": "2026-11-23"})
    assert shown.status_code == 200 and says in shown.text
    assert (version(read, aid).stage, version(read, aid).stage_lock) == (stage, lock), "nothing happened"
    confirm = browser.page(f"/versions/{v.id}/transition/confirm?action={action}&on_date=2026-11-23")
    assert says in text_of(confirm, "[data-testid=confirm-statements]")
    form_el = confirm.select_one("form.confirm-transition")
    fields = {i["name"]: i.get("value", "") for i in form_el.select("input[name]")}
    assert fields["confirmed"] == "1" and fields["action"] == action and fields["lock"] == str(lock)
    r = browser.post(form_el["action"], {k: v for k, v in fields.items() if k != "csrftoken"})
    assert r.status_code == 303 and "X-Transition" not in r.headers
    assert version(read, aid).stage != stage


def test_refusal_is_post_redirect_get_and_htmx_redirects(browser, read, pair):
    full, _ = pair
    browser.login_as("records")
    v = version(read, full)
    r = browser.post(f"/versions/{v.id}/transition", {"action": "start_comment", "lock": str(v.stage_lock),
                                                      "confirmed": "1"})
    assert (r.status_code, r.headers["location"], r.headers["X-Transition"]) == (303, f"/assessments/{full}#procedure",
                                                                                "refused")
    page = browser.page(f"/assessments/{full}")
    assert "手続を進められませんでした" in text_of(page, ".flash")
    again = browser.page(f"/assessments/{full}")
    assert again.select_one(".flash") is None, "the message is shown once; reloading the page posts nothing"
    hx = browser.post(f"/versions/{v.id}/transition", {"action": "start_comment", "lock": str(v.stage_lock),
                                                       "confirmed": "1"}, headers={"HX-Request": "true"})
    assert (hx.status_code, hx.headers["HX-Redirect"], hx.headers["X-Transition"]) == (
        204, f"/assessments/{full}#procedure", "refused")


def test_confirm_page_for_a_step_not_on_offer_goes_back(browser, read, pair):
    full, _ = pair
    browser.login_as("records")
    v = version(read, full)
    r = browser.get(f"/versions/{v.id}/transition/confirm?action=publish")
    assert r.status_code == 303 and r.headers["X-Transition"] == "refused"
    r = browser.get(f"/versions/{v.id}/transition/confirm?action=submit_for_check")
    assert r.status_code == 303


def test_buttons_whose_steps_are_missing_are_disabled_and_say_why(browser, read, pair):
    full, _ = pair
    browser.login_as("hoken")
    assert fire(browser, read, full, "submit_for_check").status_code == 303
    browser.login_as("records")
    page = browser.page(f"/assessments/{full}")
    button = page.select_one("form.transition button[data-action='start_comment']")
    assert button.has_attr("disabled")
    why = text_of(page, "[data-testid=missing-start_comment]")
    assert "未記入・不整合" in why and "方法・期間を登録" in why
    withdraw = page.select_one("form.transition button[data-action='withdraw']")
    assert not withdraw.has_attr("disabled"), "going back only needs the reason typed with it"
    assert parse(browser.get(f"/assessments/{full}").text).select_one("[data-testid=missing-withdraw]") is None


def test_double_press_of_submit_with_basic_moves_each_once(app, browser, read, pair, demo_engine):
    full, basic = pair
    to_review_revision(app, browser, read, demo_engine, full)
    complete_version(demo_engine, read, basic)
    assert fire(browser, read, basic, "submit_for_check").status_code == 303
    clock(app, date(2027, 1, 5))
    v = version(read, full)
    form = {"action": "submit", "lock": str(v.stage_lock), "confirmed": "1", "on_date": "2027-01-05", "with_basic": "1"}
    first = browser.post(f"/versions/{v.id}/transition", form)
    second = browser.post(f"/versions/{v.id}/transition", form)
    assert "X-Transition" not in first.headers and second.headers["X-Transition"] == "refused"
    from app.models import StageEvent

    for aid in (full, basic):
        vid = version(read, aid).id
        assert read(select(StageEvent.action).where(StageEvent.version_id == vid, StageEvent.action == "submit")) == ["submit"]
