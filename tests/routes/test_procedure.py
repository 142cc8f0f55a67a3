"""The procedure end to end over HTTP: check → comment → council → submission → publication, with refusals."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from app.deps import today
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Finding,
    Jimu,
    Meeting,
    ReviewCondition,
    Snapshot,
    StageEvent,
)
from app.services import catalogue
from tests.export.helpers import body_sequence, open_docx
from tests.fill import complete
from tests.html import text_of


@pytest.fixture
def kokuho(read, demo_engine):
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    return aid


def version(read, aid) -> AssessmentVersion:
    return read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid))[0]


def fire(browser, read, aid, action, **extra):
    """Press the button and, for an irreversible step, confirm it on the confirmation page."""
    v = version(read, aid)
    return browser.post(f"/versions/{v.id}/transition", {"action": action, "lock": str(v.stage_lock), "confirmed": "1",
                                                          **extra})


def refused(browser, r, aid, fragment: str) -> str:
    """A refusal answers 303 back to the 評価書 page; the reason is the message at the top of that page."""
    assert r.status_code == 303, r.text[:300]
    assert r.headers["X-Transition"] == "refused" and r.headers["location"] == f"/assessments/{aid}#procedure"
    message = text_of(browser.page(f"/assessments/{aid}"), ".flash")
    assert fragment in message, message
    return message


def clock(app, day: date) -> None:
    app.fastapi.dependency_overrides[today] = lambda: day


def answer(read, vid, item):
    rows = read(select(Answer.value).where(Answer.version_id == vid, Answer.item_id == item, Answer.file_uid == ""))
    return rows[0] if rows else None


def basic_of(read, aid) -> int:
    jid = read(select(Assessment.jimu_id).where(Assessment.id == aid))[0]
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "basic"))[0]


def test_full_procedure_with_guards_roles_and_records(app, browser, read, kokuho, demo_engine):
    aid = kokuho
    v = version(read, aid)
    # staff sends the draft for the internal check; records cannot go on while it is incomplete
    browser.login_as("hoken")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    assert version(read, aid).stage == "internal_check"
    r = fire(browser, read, aid, "start_comment")
    assert refused(browser, r, aid, "総務・文書担当が行います") and r.headers["X-Transition-Status"] == "403"
    browser.login_as("records")
    refused(browser, fire(browser, read, aid, "start_comment"), aid, "未記入・不整合")
    with Session(demo_engine) as s:
        complete(s, catalogue.definition("full", v.form_version), v.id)
    refused(browser, fire(browser, read, aid, "start_comment"), aid, "方法・期間を登録")
    # public comment: a short period needs a reason; a reversed one is refused
    bad = browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-11-25",
                                                     "end_on": "2026-12-10"})
    assert bad.status_code == 422 and "30日未満" in bad.text
    bad = browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-12-10",
                                                     "end_on": "2026-12-01"})
    assert bad.status_code == 422 and "開始日より前" in bad.text
    bad = browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-09-25",
                                                     "end_on": "2026-10-24"})
    assert bad.status_code == 422 and "過ぎています" in bad.text, "a period in the past is refused"
    ok = browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市ホームページ・情報公開コーナー",
                                                    "start_on": "2026-11-25", "end_on": "2026-12-24"})
    assert ok.status_code == 303
    clock(app, date(2026, 11, 25))
    # 開始 asks for confirmation first: the POST without confirmed=1 shows what will happen and changes nothing
    page = browser.post(f"/versions/{v.id}/transition", {"action": "start_comment", "lock": str(v.stage_lock)})
    assert page.status_code == 200 and "案を公表します" in page.text
    assert version(read, aid).stage == "internal_check"
    assert fire(browser, read, aid, "start_comment").status_code == 303
    assert version(read, aid).stage == "public_comment"
    snap = read(select(Snapshot).where(Snapshot.version_id == v.id, Snapshot.purpose == "public_comment"))[0]
    assert "案" in snap.filename and snap.docx
    # the working copy stays editable during the comment period; the published 案 does not change
    clock(app, date(2026, 11, 30))
    refused(browser, fire(browser, read, aid, "close_comment"), aid, "終了日より前に終了するには")
    assert browser.get(f"/versions/{v.id}/edit/I").status_code == 200
    for n, (text, response) in enumerate([("委託先の管理を具体的に書いてほしい。", "Ⅱ4に委託先の監督方法を追記しました。"),
                                          ("ログの保存期間は何年か。", "")]):
        r = browser.post(f"/versions/{v.id}/comment", {"what": "opinion", "received_on": f"2026-11-2{n + 5}",
                                                       "channel": "電子メール", "submitter": f"市民{n} (非公開)",
                                                       "text": text, "response": response,
                                                       **({"led_to_change": "1", "changed_item": "II.4.has"} if response else {})})
        assert r.status_code == 303
    clock(app, date(2026, 12, 25))
    refused(browser, fire(browser, read, aid, "close_comment"), aid, "市の考え方が未記入の意見が1件")
    page = browser.page(f"/versions/{v.id}/comment")
    second = page.select("#opinions tbody tr")[1]["id"].split("-")[1]
    browser.post(f"/versions/{v.id}/comment", {"what": "opinion", "id": second, "received_on": "2026-11-26",
                                               "channel": "電子メール", "text": "ログの保存期間は何年か。",
                                               "response": "操作ログは7年間保存しています。"})
    r = fire(browser, read, aid, "close_comment")
    assert r.status_code == 303
    assert "市ホームページ・情報公開コーナー" in answer(read, v.id, "VI.2.1")
    assert answer(read, v.id, "VI.2.2") == "令和8年11月25日から令和8年12月24日まで(30日間)"
    assert answer(read, v.id, "VI.2.4").startswith("意見の件数: 2件(うち評価書に反映したもの 1件)")
    results = browser.get(f"/versions/{v.id}/comment/results.docx")
    texts = [t for _, t in body_sequence(open_docx(results.content))]
    assert "委託先の管理を具体的に書いてほしい。" in texts and "操作ログは7年間保存しています。" in texts
    assert not any("市民0" in t or "非公開" in t for t in texts), "no submitter data"

    # council review
    from app.models import Council

    councils_before = read(select(Council.id))
    assert browser.post("/admin/councils", {"name": ""}).status_code == 422
    assert read(select(Council.id)) == councils_before
    cid = councils_before[0]
    refused(browser, fire(browser, read, aid, "start_review"), aid, "諮問日を登録")
    assert browser.post(f"/versions/{v.id}/review", {"what": "setup", "council_id": str(cid),
                                                     "consulted_on": "2026-12-28",
                                                     "method": "しののめ市個人情報保護審議会への諮問"}).status_code == 303
    assert fire(browser, read, aid, "start_review").status_code == 303
    r = browser.post(f"/versions/{v.id}/review", [("what", "meeting"), ("session_name", "令和8年度第3回"),
                                                  ("held_on", "2027-01-05"), ("agenda", "国民健康保険 全項目評価書"),
                                                  ("public", "1"), ("speaker", "委員"), ("minute_text", "委託先の研修は?"),
                                                  ("speaker", "実施機関"), ("minute_text", "サーバー室の位置は地下2階です。"),
                                                  ("private", "1")])
    assert r.status_code == 303
    meeting = read(select(Meeting))[0]
    for text in ("委託先従事者の研修の実施状況を記載すること。", "ログの分析頻度を明記すること。"):
        browser.post(f"/versions/{v.id}/review", [("what", "finding"), ("text", text), ("items", "III.4.none"),
                                                  ("meeting_id", str(meeting.id))])
    refused(browser, fire(browser, read, aid, "close_review"), aid, "答申")
    bad = browser.post(f"/versions/{v.id}/review", {"what": "answer", "result": "条件付き適当", "answered_on": "2027-01-10"})
    assert bad.status_code == 422 and "条件を1つ以上" in bad.text
    browser.post(f"/versions/{v.id}/review", [("what", "answer"), ("result", "条件付き適当"),
                                              ("answered_on", "2027-01-10"), ("answer_text", "おおむね適当である。"),
                                              ("condition", "委託先への立入検査の結果を審議会に報告すること。")])
    refused(browser, fire(browser, read, aid, "close_review"), aid, "回答していない指摘事項が2件")
    findings = read(select(Finding))
    closed_without_answer = browser.post(f"/findings/{findings[0].id}/answer", {"status": "done", "response": ""})
    assert closed_without_answer.status_code == 303
    assert read(select(Finding.status).where(Finding.id == findings[0].id)) == ["open"]
    for f in findings:
        assert browser.post(f"/findings/{f.id}/answer", {"status": "done", "response": "Ⅲ4に追記しました。"}).status_code == 303
    assert fire(browser, read, aid, "close_review").status_code == 303
    assert answer(read, v.id, "VI.3.2") == "しののめ市個人情報保護審議会への諮問"
    assert answer(read, v.id, "VI.3.3").startswith("「条件付き適当」との答申を受けた。")
    clock(app, date(2027, 1, 25))
    refused(browser, fire(browser, read, aid, "submit", on_date="2027-01-20"), aid, "答申の条件")
    cond = read(select(ReviewCondition))[0]
    browser.post(f"/conditions/{cond.id}/meet", {"met_on": "2027-01-15", "note": "立入検査の結果を報告した。"})
    refused(browser, fire(browser, read, aid, "submit", on_date="2027-01-05"), aid, "答申日")
    # the 基礎項目評価書 of the same 評価書番号 goes first, or with it (issue 11 item 17)
    refused(browser, fire(browser, read, aid, "submit", on_date="2027-01-20"), aid, "基礎項目評価書がまだ提出されていません")
    bid = basic_of(read, aid)
    bv = version(read, bid)
    refused(browser, fire(browser, read, aid, "submit", on_date="2027-01-20", with_basic="1"), aid,
            "基礎項目評価書は現在「作成中」の段階で、一緒に提出できません")
    assert version(read, bid).stage == "draft"
    with Session(demo_engine) as s:
        complete(s, catalogue.definition("basic", bv.form_version), bv.id)
    assert fire(browser, read, bid, "submit_for_check").status_code == 303
    r = fire(browser, read, aid, "submit", on_date="2027-01-20", with_basic="1")
    assert r.status_code == 303 and "X-Transition" not in r.headers
    assert (version(read, bid).stage, version(read, bid).submitted_on) == ("submitted", date(2027, 1, 20))
    assert read(select(Snapshot.purpose).where(Snapshot.version_id == v.id)) == ["public_comment", "council", "submission"]
    refused(browser, fire(browser, read, aid, "publish", on_date="2027-01-19"), aid,
            "公表日(令和9年1月19日)が提出日(令和9年1月20日)より前")
    r = fire(browser, read, aid, "publish", on_date="2030-01-01")
    assert refused(browser, r, aid, "未来の日付") and r.headers["X-Transition-Status"] == "422"
    refused(browser, fire(browser, read, aid, "publish", on_date="2027-01-21"), aid, "基礎項目評価書がまだ公表されていません")
    assert fire(browser, read, aid, "publish", on_date="2027-01-21", with_basic="1").status_code == 303
    final = version(read, aid)
    assert (final.stage, final.frozen, final.published_on.isoformat()) == ("published", True, "2027-01-21")
    assert (version(read, bid).stage, version(read, bid).frozen) == ("published", True)
    # published: read-only everywhere
    browser.login_as("hoken")
    page = browser.page(f"/versions/{v.id}/edit/I")
    assert page.select_one("fieldset.page-fields")["disabled"] is not None
    assert browser.post(f"/versions/{v.id}/edit/I", {"lock": "1", "p|I.1.2": "1", "a|I.1.2": "x"}).status_code == 409
    events = read(select(StageEvent.action).where(StageEvent.version_id == v.id).order_by(StageEvent.id))
    assert events == ["submit_for_check", "start_comment", "close_comment", "start_review", "close_review", "submit",
                      "publish"]
    timeline = browser.page(f"/assessments/{aid}")
    assert [tr["data-action"] for tr in timeline.select("#timeline tbody tr")] == events

    # the council member reads only what was sent to the council
    browser.login_as("council")
    home = browser.page("/council")
    links = [a["href"] for a in home.select("a[href^='/snapshots/']")]
    council_snap = read(select(Snapshot.id).where(Snapshot.purpose == "council"))[0]
    assert f"/snapshots/{council_snap}" in links
    view = browser.page(f"/snapshots/{council_snap}")
    assert "国民健康保険に関する事務" in view.get_text()
    submission = read(select(Snapshot.id).where(Snapshot.purpose == "submission", Snapshot.version_id == v.id))[0]
    assert browser.get(f"/snapshots/{submission}").status_code == 403
    assert browser.get(f"/assessments/{aid}").status_code == 403
    assert browser.post(f"/versions/{v.id}/transition", {"action": "return_to_draft", "lock": "1",
                                                         "reason": "x"}).status_code == 403
    minutes = open_docx(browser.get(f"/meetings/{meeting.id}/minutes.docx?public=0").content)
    texts = [t for _, t in body_sequence(minutes)]
    assert "委託先の研修は?" in texts and "サーバー室の位置は地下2階です。" not in texts, "council gets the public minutes"
    browser.login_as("records")
    full = [t for _, t in body_sequence(open_docx(browser.get(f"/meetings/{meeting.id}/minutes.docx?public=0").content))]
    assert "サーバー室の位置は地下2階です。" in full


def test_same_transition_twice_only_one_succeeds(browser, read, kokuho):
    browser.login_as("hoken")
    v = version(read, kokuho)
    form = {"action": "submit_for_check", "lock": str(v.stage_lock)}
    first = browser.post(f"/versions/{v.id}/transition", form)
    second = browser.post(f"/versions/{v.id}/transition", form)
    assert (first.status_code, second.status_code) == (303, 303)
    assert "X-Transition" not in first.headers
    assert (second.headers["X-Transition"], second.headers["X-Transition-Status"]) == ("refused", "409")
    assert len(read(select(StageEvent).where(StageEvent.version_id == v.id))) == 1


def test_withdraw_needs_a_reason_and_is_recorded(browser, read, kokuho):
    browser.login_as("hoken")
    fire(browser, read, kokuho, "submit_for_check")
    r = fire(browser, read, kokuho, "withdraw", reason="")
    assert refused(browser, r, kokuho, "戻す理由") and r.headers["X-Transition-Status"] == "422"
    assert fire(browser, read, kokuho, "withdraw", reason="記載漏れを直すため").status_code == 303
    ev = read(select(StageEvent).where(StageEvent.action == "withdraw"))[0]
    assert (ev.from_stage, ev.to_stage, ev.note, ev.actor_login) == ("internal_check", "draft", "記載漏れを直すため", "hoken")


def test_queue_shows_stage_days_and_next_action(browser, read):
    browser.login_as("records")
    page = browser.page("/queue")
    rows = {tr.select_one("td:nth-of-type(2)").get_text(strip=True): tr for tr in page.select("#queue-table tbody tr")}
    kokuho = rows["国民健康保険に関する事務 全項目評価書"]
    assert kokuho["data-stage"] == "draft" and "庁内確認に回す" in kokuho.get_text()
    published = browser.page("/queue?stage=published")
    assert all(tr["data-stage"] == "published" for tr in published.select("#queue-table tbody tr"))
    api = browser.api("GET", "/api/v1/assessments?stage=draft").json()
    assert {x["stage"] for x in api} == {"draft"}
