"""Issue 6 as a time machine: the demo city walked through the years after publication.

The clock is the app's `today` dependency (and `--as-of` / the ICS feed's own date), moved per step:
the 住基 全項目 published in 令和3年 falls overdue for its review, a review finds a measure 未実施 and
opens a 修正 whose 変更箇所 lists exactly the changed items, a ※ change turns the next version into a
再実施 that must go through public comment and the council again, the 5-year date passes, and a 重大事故
with 15万人 flags the 重点 住民税 for a 全項目 re-assessment.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.deps import today
from app.domain.answers import field_name
from app.domain.forms import AUDIENCES
from app.errors import DomainError
from app.models import (
    AnnualReview,
    AnnualReviewCheck,
    Answer,
    Assessment,
    AssessmentVersion,
    ChangeClass,
    ChangeRow,
    Jimu,
)
from app.services import catalogue
from tests.export.helpers import open_docx
from tests.factories import page_form, replace
from tests.html import parse, text_of


def set_today(app, day: date) -> None:
    app.fastapi.dependency_overrides[today] = lambda: day


def assessment_id(read, jimu: str, form: str) -> int:
    jid = read(select(Jimu.id).where(Jimu.name == jimu))[0]
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form))[0]


def versions(read, aid: int) -> list[AssessmentVersion]:
    return read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid).order_by(AssessmentVersion.seq))


def due_cells(browser, aid: int) -> tuple[str, str, list[str]]:
    page = browser.page("/dashboard")
    row = page.select_one(f"#due-table tr[data-assessment='{aid}']")
    review, reassess = row.select_one("[data-testid=review-due]"), row.select_one("[data-testid=reassessment-due]")
    return " ".join(review["class"]), " ".join(reassess["class"]), [p.get_text(strip=True) for p in row.select("p.flag")]


def fire(browser, read, aid, action, **extra):
    v = versions(read, aid)[-1]
    r = browser.post(f"/versions/{v.id}/transition", {"action": action, "lock": str(v.stage_lock), "confirmed": "1",
                                                      **extra})
    return r


def measure_page(d, item_id: str) -> str:
    return d.page_of(item_id).id


def edit_measure(browser, vid: int, page_id: str, file_uid: str, item_id: str, audience: str, measure_id: str,
                 text: str, *, htmx: bool = False):
    url = f"/versions/{vid}/edit/{page_id}" + (f"?file={file_uid}" if file_uid else "")
    pairs, action = page_form(browser, url)
    texts = [v for k, v in pairs if k == field_name("m", item_id, audience)]
    ids = [v for k, v in pairs if k == field_name("mi", item_id, audience)]
    texts[ids.index(measure_id)] = text
    pairs = replace(pairs, field_name("m", item_id, audience), texts)
    pairs = replace(pairs, field_name("mi", item_id, audience), ids)
    return browser.post(action, pairs, headers={"HX-Request": "true"} if htmx else {})


def edit_text(browser, vid: int, page_id: str, item_id: str, value: str, file_uid: str = ""):
    url = f"/versions/{vid}/edit/{page_id}" + (f"?file={file_uid}" if file_uid else "")
    pairs, action = page_form(browser, url)
    return browser.post(action, replace(pairs, field_name("a", item_id), value), headers={"HX-Request": "true"})


def fill_change_rows(browser, read, aid: int, vid: int, *, timing: str, note: str = "") -> list[ChangeRow]:
    seq = read(select(AssessmentVersion.seq).where(AssessmentVersion.id == vid))[0]
    rows = read(select(ChangeRow).where(ChangeRow.assessment_id == aid, ChangeRow.version_seq == seq))
    for r in rows:
        resp = browser.post(f"/versions/{vid}/changes/row", {
            "id": str(r.id), "item_label": r.item_label, "before_text": r.before_text, "after_text": r.after_text,
            "changed_on": "2026-12-01", "timing": timing, "timing_note": note})
        assert resp.status_code == 303, resp.text[:300]
    return read(select(ChangeRow).where(ChangeRow.assessment_id == aid, ChangeRow.version_seq == seq))


@pytest.fixture
def juki(read):
    return assessment_id(read, "住民基本台帳に関する事務", "full")


def test_review_overdue_then_a_review_opens_a_correction_with_exactly_the_changed_items(browser, app, read, juki):
    aid = juki
    browser.login_as("records")
    set_today(app, date(2021, 12, 1))  # eight months after publication: nothing is due yet
    review_cls, reassess_cls, _ = due_cells(browser, aid)
    assert "overdue" not in review_cls and "due_30" not in review_cls
    set_today(app, date(2022, 2, 20))  # the review falls due within 30 days
    assert "due_30" in due_cells(browser, aid)[0]
    set_today(app, date(2026, 11, 23))
    review_cls, reassess_cls, flags = due_cells(browser, aid)
    assert "overdue" in review_cls and "overdue" in reassess_cls
    assert any("見直しの期限を過ぎています(令和4年3月15日)" in f for f in flags)

    # the review walks every declared measure (both audiences, every file) and the checklist
    r = browser.post(f"/assessments/{aid}/annual-reviews")
    assert r.status_code == 303
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    v1 = versions(read, aid)[0]
    d = catalogue.definition("full", v1.form_version)
    measures = read(select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == rid,
                                                    AnnualReviewCheck.kind == "measure"))
    expected = sum(len([m for m in (ans.value or {}).get(aud, []) if m.get("text", "").strip()])
                   for ans in read(select(Answer).where(Answer.version_id == v1.id))
                   if d.has(ans.item_id) and d.item(ans.item_id).type == "measures" for aud in AUDIENCES)
    assert len(measures) == expected > 20
    assert {m.audience for m in measures} == set(AUDIENCES)
    checklist = read(select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == rid,
                                                     AnnualReviewCheck.kind == "checklist"))
    assert any("ログ" in c.text for c in checklist) and any("研修" in c.text for c in checklist)

    missing = next(m for m in measures if m.audience == "staff" and m.file_uid)  # a per-file Ⅲ measure
    url = f"/annual-reviews/{rid}"
    lock = {f"lock-{missing.id}": str(missing.lock_version)}  # the page's form carries each answer's version
    bad = browser.post(url, {f"status-{missing.id}": "not_in_place", f"note-{missing.id}": "", **lock})
    assert bad.status_code == 422 and "メモに記入" in bad.text
    assert browser.post(url, {f"status-{missing.id}": "not_in_place",
                              f"note-{missing.id}": "令和8年度は研修を実施していない。", **lock}).status_code == 303
    # the rest 「実施中」 group by group, each confirmed with the count its confirmation shows
    for group in {g["data-group"] for g in parse(browser.get(url).text).select("details.review-group")}:
        confirm = parse(browser.get(f"{url}/groups/{group}/bulk").text).select_one("input[name=confirm_count]")
        if confirm is not None:
            assert browser.post(f"{url}/groups/{group}/bulk", {"confirm_count": confirm["value"]}).status_code == 303
    refused = browser.post(url, {"complete": "1", "outcome": "no_change", "findings": ""})
    assert refused.status_code == 422 and "「変更なし」にはできません" in refused.text
    assert read(select(AnnualReview.completed_on).where(AnnualReview.id == rid)) == [None]
    done = browser.post(url, {"complete": "1", "outcome": "correction", "completed_on": "2026-11-23",
                              "findings": "職員研修の措置が未実施。実態に合わせて措置の記載を修正する。"})
    assert done.status_code == 303 and "/changes" in done.headers["location"]
    report = open_docx(browser.get(f"/annual-reviews/{rid}/report.docx").content)
    report_text = "\n".join(p.text for p in report.paragraphs) + "\n".join(
        c.text for t in report.tables for row in t.rows for c in row.cells)
    assert "未実施" in report_text and "令和8年度は研修を実施していない。" in report_text and "修正が必要" in report_text

    v1, v2 = versions(read, aid)
    assert (v2.kind, v2.stage, v2.based_on_id, v2.revision_reason) == ("correction", "draft", v1.id, "review")
    changes = browser.page(f"/versions/{v2.id}/changes")
    assert "職員研修の措置が未実施" in text_of(changes, "#review-findings")

    # the department corrects the measure the review found missing, and one 非※ item (Ⅴ 請求先)
    file_uid = missing.file_uid
    page_id = measure_page(d, missing.item_id)
    r = edit_measure(browser, v2.id, page_id, file_uid, missing.item_id, "staff", missing.measure_id,
                     "新任・異動職員に対し、着任後1か月以内に特定個人情報の取扱いに関する研修を実施する。", htmx=True)
    assert r.status_code == 200
    questions = parse(r.text).select("#change-questions li")  # the ※ question comes back with the save
    assert len(questions) == 1 and questions[0]["data-item"] == missing.item_id
    assert edit_text(browser, v2.id, "V", "V.1.1", "しののめ市 市民部 市民課(本庁舎1階)").status_code == 200

    changes = browser.page(f"/versions/{v2.id}/changes")
    diff_rows = changes.select("#diff tbody tr")
    assert len(diff_rows) == 2
    labels = [row.select("td")[0].get_text(" ", strip=True) for row in diff_rows]
    assert any("Ⅴ" in x and "請求先" in x for x in labels) and any("※" in x for x in labels)
    assert browser.post(f"/versions/{v2.id}/classify", {"file": file_uid, "item": missing.item_id,
                                                        "cls": "correction"}).status_code == 303
    assert read(select(ChangeClass.decision).where(ChangeClass.version_id == v2.id)) == ["correction"]
    assert browser.post(f"/versions/{v2.id}/changes/generate").status_code == 303
    rows = read(select(ChangeRow).where(ChangeRow.assessment_id == aid, ChangeRow.version_seq == 2))
    assert len(rows) == 2
    measure_row = next(r for r in rows if r.item_id == missing.item_id)
    assert "新任・異動職員に対し" in measure_row.after_text and missing.text in measure_row.before_text
    assert "【" in measure_row.item_label  # the file the change is in
    v5 = next(r for r in rows if r.item_id == "V.1.1")
    assert v5.after_text == "しののめ市 市民部 市民課(本庁舎1階)" and v5.before_text != v5.after_text

    # a 修正 goes 作成中 → 庁内確認 → 提出 → 公表 (no comment, no council); 事後 needs its reason
    fill_change_rows(browser, read, aid, v2.id, timing="事後", note="")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    refused = fire(browser, read, aid, "submit", on_date="2026-12-01")
    assert refused.status_code == 303 and refused.headers["X-Transition"] == "refused"
    assert fire(browser, read, aid, "withdraw", reason="変更箇所の説明を追記する").status_code == 303
    fill_change_rows(browser, read, aid, v2.id, timing="事後", note="研修の実施は既に始まっており、記載を実態に合わせる修正のため。")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    page = browser.page(f"/assessments/{aid}")
    assert "submit" in {b["data-action"] for b in page.select("form.transition button[data-action]")}
    assert not page.select("button[data-action=start_comment]")
    set_today(app, date(2026, 12, 2))
    assert fire(browser, read, aid, "submit", on_date="2026-12-01").status_code == 303
    assert fire(browser, read, aid, "publish", on_date="2026-12-02").status_code == 303
    v2 = versions(read, aid)[1]
    assert v2.stage == "published" and v2.frozen and v2.published_on == date(2026, 12, 2)

    # the published 修正 prints its 変更箇所 in (別添3); a 修正 does not reset the 5-year clock
    doc = open_docx(browser.get(f"/versions/{v2.id}/export?edition=full&format=docx").content)
    flat = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any("新任・異動職員に対し" in c for c in flat) and "事後" in flat
    assert any("(別添3)" in p.text and "変更箇所" in p.text for p in doc.paragraphs)
    review_cls, reassess_cls, _ = due_cells(browser, aid)
    assert "overdue" not in review_cls and "overdue" in reassess_cls
    page = browser.page(f"/assessments/{aid}")
    assert "令和9年12月2日" in text_of(page, "[data-testid=next-review]")
    # every version keeps its own procedure history
    h1, h2 = browser.page(f"/versions/{v1.id}/history"), browser.page(f"/versions/{v2.id}/history")
    assert [tr["data-action"] for tr in h2.select("#timeline tbody tr")] == [
        "submit_for_check", "withdraw", "submit_for_check", "submit", "publish"]
    assert "publish" in [tr["data-action"] for tr in h1.select("#timeline tbody tr")]
    assert "見直しの結果(修正)" in h2.get_text() and "令和8年12月2日" in text_of(h2, "table.kv")
    assert "令和8年3月15日" in text_of(page, "[data-testid=reassessment-due]")


def test_a_star_change_makes_a_reassessment_that_goes_through_comment_and_council_again(browser, app, read, juki):
    aid = juki
    browser.login_as("shimin")
    r = browser.post(f"/assessments/{aid}/revise", {"reason": "change", "planned_change_on": "2027-04-01"})
    assert r.status_code == 303
    _v1, v2 = versions(read, aid)
    assert (v2.kind, v2.planned_change_on) == ("correction", date(2027, 4, 1))
    uid = read(select(Answer.file_uid).where(Answer.version_id == v2.id, Answer.item_id == "II.6.1"))[0]
    # Ⅱ6①保管場所 is a ※ item: the save answers with the question, asked once per item and version
    r = edit_text(browser, v2.id, "II~II.6", "II.6.1", "ガバメントクラウド上の国内リージョンに保管する。", file_uid=uid)
    items = [li["data-item"] for li in parse(r.text).select("#change-questions li")]
    assert items == ["II.6.1"]
    r = browser.post(f"/versions/{v2.id}/classify", {"file": uid, "item": "II.6.1", "cls": "important", "dom": "eq-1"},
                     headers={"HX-Request": "true"})
    assert r.status_code == 200 and "再実施" in r.text
    assert versions(read, aid)[1].kind == "reassessment"
    r = edit_text(browser, v2.id, "II~II.6", "II.6.1", "ガバメントクラウド上の国内リージョン(東日本)に保管する。",
                  file_uid=uid)
    assert parse(r.text).select("#change-questions li") == []  # already answered for this version
    bad = browser.post(f"/versions/{v2.id}/classify", {"file": uid, "item": "V.1.1", "cls": "important"})
    assert bad.status_code == 303 and read(select(ChangeClass).where(ChangeClass.item_id == "V.1.1")) == []

    # 再実施: 事後 is refused for the 変更箇所 and the full procedure of the 全項目 follows
    assert browser.post(f"/versions/{v2.id}/changes/generate").status_code == 303
    rows = read(select(ChangeRow).where(ChangeRow.assessment_id == aid, ChangeRow.version_seq == 2))
    assert len(rows) == 1 and rows[0].timing == "事前" and rows[0].changed_on == date(2027, 4, 1)
    fill_change_rows(browser, read, aid, v2.id, timing="事後", note="急ぎのため")
    assert "再実施は事前に提出します" in browser.page(f"/versions/{v2.id}/check").get_text()
    fill_change_rows(browser, read, aid, v2.id, timing="事前")
    assert fire(browser, read, aid, "submit_for_check").status_code == 303
    browser.login_as("records")
    page = browser.page(f"/assessments/{aid}")
    actions = {b["data-action"] for b in page.select("form.transition button[data-action]")}
    assert "start_comment" in actions and "submit" not in actions
    refused = fire(browser, read, aid, "submit", on_date="2026-11-23")
    assert refused.status_code == 303 and refused.headers["X-Transition-Status"] == "409"
    # the dashboard shows the 事前 deadline of the planned change
    set_today(app, date(2027, 3, 10))
    page = browser.page("/dashboard")
    row = page.select_one(f"#due-table tr[data-assessment='{aid}']")
    assert "変更予定日までに提出・公表" in row.get_text() and "30日以内" in row.get_text()


def test_five_year_reassessment_on_a_newer_form_keeps_every_answer(browser, read, juki, db):
    aid = juki
    browser.login_as("records")
    v1 = versions(read, aid)[0]
    before = read(select(Answer).where(Answer.version_id == v1.id))
    r = browser.post(f"/assessments/{aid}/revise", {"reason": "five_year", "form_version": "r06-10"})
    assert r.status_code == 303
    v2 = versions(read, aid)[1]
    assert (v2.kind, v2.form_version) == ("reassessment", "r06-10")
    new_def = catalogue.definition("full", "r06-10")
    copied = read(select(Answer).where(Answer.version_id == v2.id))
    from app.models import UnmappedAnswer

    unmapped = read(select(UnmappedAnswer).where(UnmappedAnswer.version_id == v2.id))
    moved = {(a.file_uid, a.item_id) for a in copied}
    listed = {(u.file_uid, u.old_item_id) for u in unmapped}
    rename = new_def.manifest.successor_map
    for ans in before:
        if ans.value is None:
            continue
        key = (ans.file_uid, rename.get(ans.item_id, ans.item_id))
        assert key in moved or (ans.file_uid, ans.item_id) in listed, f"dropped silently: {ans.item_id}"
    page = browser.page(f"/versions/{v2.id}/changes")
    assert "再実施" in text_of(page, "[data-testid=version-kind]")
    if unmapped:
        assert len(page.select("#unmapped tbody tr")) == len(unmapped)
        u = unmapped[0]
        assert browser.post(f"/unmapped/{u.id}/resolve", {"resolution": ""}).status_code == 303
        assert read(select(UnmappedAnswer.resolved).where(UnmappedAnswer.id == u.id)) == [False]
        assert browser.post(f"/unmapped/{u.id}/resolve", {"resolution": "Ⅱ 6.①に記載した"}).status_code == 303
        assert read(select(UnmappedAnswer.resolved).where(UnmappedAnswer.id == u.id)) == [True]
    # a second working version cannot be opened while one is open
    again = browser.post(f"/assessments/{aid}/revise", {"reason": "change"})
    assert again.status_code == 303 and len(versions(read, aid)) == 2


def test_five_year_date_shows_in_dashboard_cli_and_ics(browser, app, read, juki, demo_engine, monkeypatch):
    import json

    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.config import get_settings

    aid = juki
    browser.login_as("records")
    expected = {date(2025, 6, 1): "later", date(2026, 1, 1): "due_90", date(2026, 3, 1): "due_30",
                date(2026, 3, 15): "due_30", date(2026, 3, 16): "overdue"}
    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        for day, status in expected.items():
            set_today(app, day)
            reassess_cls = due_cells(browser, aid)[1]
            assert (status in reassess_cls) if status != "later" else not ({"overdue", "due_30", "due_90"}
                                                                          & set(reassess_cls.split())), (day, reassess_cls)
            out = CliRunner().invoke(cli, ["due", "--json", "--as-of", day.isoformat()])
            assert out.exit_code == 0, out.output
            items = [x for x in json.loads(out.stdout)["items"] if x["assessment_id"] == aid and x["kind"] == "reassessment"]
            assert [x["status"] for x in items] == ([] if status == "later" else [status])
            if items:
                assert items[0]["due_on"] == "2026-03-15"
        failing = CliRunner().invoke(cli, ["due", "--as-of", "2026-03-16", "--fail-on-overdue"])
        assert failing.exit_code == 6 and "再実施(5年)の期限" in failing.stdout
        listed = json.loads(CliRunner().invoke(cli, ["list", "--json"]).stdout)
        row = next(x for x in listed if x["id"] == aid)
        assert row["reassessment_due"] == "2026-03-15" and row["next_review_due"] == "2022-03-15"
        assert isinstance(row["flags"], list)
    finally:
        get_settings.cache_clear()
    # the ICS feed: a revocable token in the URL
    set_today(app, date(2026, 3, 16))
    r = browser.post("/account/tokens", {"name": "予定表", "purpose": "calendar"})
    token = parse(r.text).select_one("#new-token").get_text().split("/calendar/")[1].split(".ics")[0]
    browser.logout()
    feed = browser.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    from icalendar import Calendar

    events = [e for e in Calendar.from_ical(feed.content).walk("VEVENT")]
    reassess = [e for e in events if "再実施(5年)の期限" in str(e["summary"]) and "住民基本台帳" in str(e["summary"])]
    # the 全項目 and its 基礎 (規則第15条 names no exception for 基礎; issue 14 item 16), both published 令和3年3月15日
    assert len(reassess) == 2 and {e.decoded("dtstart") for e in reassess} == {date(2026, 3, 15)}
    assert {("全項目評価書" in str(e["summary"]), "基礎項目評価書" in str(e["summary"])) for e in reassess} == {
        (True, False), (False, True)}
    assert all(str(e["summary"]).startswith("【期限超過】") for e in reassess)
    browser.login_as("records")
    page = browser.page("/account")
    form = page.select_one("form[action$='/revoke']")
    assert browser.post(form["action"]).status_code in (200, 303)
    browser.logout()
    assert browser.get(f"/calendar/{token}.ics").status_code == 404


def test_serious_incident_with_150k_subjects_flags_focused_for_full_reassessment(browser, app, read):
    aid = assessment_id(read, "個人住民税の賦課徴収に関する事務", "focused")
    jid = read(select(Assessment.jimu_id).where(Assessment.id == aid))[0]
    browser.login_as("records")
    assert not [f for f in due_cells(browser, aid)[2] if f.startswith("再実施が必要")]
    # the register now counts 15万人 and a 重大事故 occurred: the しきい値判断 re-run rises to 全項目
    j = browser.api("GET", f"/api/v1/jimu/{jid}").json()
    files = [{**{k: f[k] for k in ("name", "kind", "subjects_as_of", "staff_only")}, "subjects": 150_000}
             for f in j["files"]]
    body = {k: j[k] for k in ("name", "department_id", "handlers", "handlers_as_of", "legal_basis")}
    r = browser.api("PUT", f"/api/v1/jimu/{jid}", json={**body, "files": files, "lock_version": j["lock_version"]})
    assert r.status_code == 200, r.text
    r = browser.post("/incidents", {"occurred_on": "2026-10-01", "summary": "委託先による特定個人情報の漏えい",
                                    "involves_specific": "1", "attributable": "1"})
    assert r.status_code == 303, r.text[:300]
    flags = [f for f in due_cells(browser, aid)[2] if f.startswith("再実施が必要")]
    assert flags and "登録情報" in flags[0], flags  # not yet recorded: the register's figures already say so
    assert browser.api("POST", f"/api/v1/jimu/{jid}/determinations", json={}).status_code == 201
    flags = [f for f in due_cells(browser, aid)[2] if f.startswith("再実施が必要")]
    assert flags and "全項目評価" in flags[0] and "重点項目評価" in flags[0], flags
    listed = browser.api("GET", "/api/v1/assessments").json()
    assert any(f.startswith("再実施が必要") for f in next(x for x in listed if x["id"] == aid)["flags"])
    due_api = browser.api("GET", "/api/v1/due").json()
    assert any(x["kind"] == "flag" and x["assessment_id"] == aid for x in due_api)
    # the determination now offers the 全項目評価書
    page = browser.page(f"/jimu/{jid}/assessments/new")
    assert "full" in {i["value"] for i in page.select("input[name=forms]")}


def test_ended_jimu_title_and_three_years_of_publication(browser, app, read):
    aid = assessment_id(read, "児童手当の支給に関する事務", "basic")
    jid = read(select(Assessment.jimu_id).where(Assessment.id == aid))[0]
    browser.login_as("records")
    lock = read(select(Jimu.lock_version).where(Jimu.id == jid))[0]
    r = browser.post(f"/jimu/{jid}/end", {"end_date": "2026-10-31", "lock_version": str(lock)})
    assert r.status_code == 303, r.text[:300]
    flags = due_cells(browser, aid)[2]
    assert any("令和11年10月31日まで公表を継続" in f for f in flags)
    doc = open_docx(browser.get(f"/versions/{versions(read, aid)[0].id}/export?edition=public&format=docx").content)
    assert any("【令和8年10月31日 終了】" in c.text for t in doc.tables for row in t.rows for c in row.cells) or \
        any("【令和8年10月31日 終了】" in p.text for p in doc.paragraphs)
    set_today(app, date(2029, 11, 1))
    assert any("3年を経過しました" in f for f in due_cells(browser, aid)[2])


def test_plan_shows_the_due_dates_of_the_lifecycle(browser, read):
    import csv
    import io

    browser.login_as("records")
    r = browser.get("/plan/export?format=csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    zeimin = next(x for x in rows if x["事務の名称"] == "個人住民税の賦課徴収に関する事務" and x["実施する評価"] == "重点項目評価書")
    assert zeimin["次回の見直し期限"] == "令和8年12月10日"   # reviewed on 令和7年12月10日 (demo)
    assert zeimin["再実施の期限"] == "令和11年7月1日"
    juki = next(x for x in rows if x["事務の名称"] == "住民基本台帳に関する事務" and x["実施する評価"] == "全項目評価書")
    assert (juki["次回の見直し期限"], juki["再実施の期限"]) == ("令和4年3月15日", "令和8年3月15日")
    basic = next(x for x in rows if x["事務の名称"] == "児童手当の支給に関する事務")
    # the 5-year clock runs for a 基礎 too (issue 14 item 16): five years from its publication
    assert basic["再実施の期限"] == "令和12年6月2日" and basic["次回の見直し期限"] == "令和8年6月2日"


def test_a_revision_round_trips_through_json_with_its_change_classes(browser, read, db):
    from app.domain.policy import SYSTEM
    from app.services import jsonio

    aid = assessment_id(read, "住民基本台帳に関する事務", "full")
    browser.login_as("records")
    assert browser.post(f"/assessments/{aid}/revise", {"reason": "change", "planned_change_on": "2027-01-04"}
                        ).status_code == 303
    v2 = versions(read, aid)[1]
    uid = read(select(Answer.file_uid).where(Answer.version_id == v2.id, Answer.item_id == "II.6.1"))[0]
    edit_text(browser, v2.id, "II~II.6", "II.6.1", "国内のデータセンターに保管する。", file_uid=uid)
    assert browser.post(f"/versions/{v2.id}/classify", {"file": uid, "item": "II.6.1", "cls": "formal"}).status_code == 303
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": read(select(Assessment.organisation_id))[0]})
    first = jsonio.export_version(db, actor=actor, version_id=v2.id)
    assert first["version"]["revision_reason"] == "change" and first["version"]["planned_change_on"] == "2027-01-04"
    assert first["change_classes"] == [{"file": uid, "item": "II.6.1", "decision": "formal"}]
    jsonio.import_version(db, actor=actor, data=first, into=aid)
    again = jsonio.export_version(db, actor=actor, version_id=v2.id)
    assert again == first
    bad = {**first, "change_classes": [{"file": uid, "item": "V.1.1", "decision": "important"}]}
    with pytest.raises(DomainError) as exc:
        jsonio.import_version(db, actor=actor, data=bad, into=aid)
    assert "重要な変更の区分" in str(getattr(exc.value, "errors", exc.value))


def test_basic_has_the_five_year_clock_and_a_correction_does_not_reset_it(browser, read, demo_engine):
    """Issue 14 item 16: 規則第15条 makes no exception for 基礎; only an 初回 or 再実施 publication restarts the clock."""
    from sqlmodel import Session

    aid = assessment_id(read, "児童手当の支給に関する事務", "basic")
    browser.login_as("records")

    def listed():
        return next(x for x in browser.api("GET", "/api/v1/assessments").json() if x["id"] == aid)

    before = listed()
    first = versions(read, aid)[0]
    assert before["reassessment_due"] == date(first.published_on.year + 5, first.published_on.month,
                                              first.published_on.day).isoformat()
    # a published 修正 a year later: the 見直し moves, the 5-year deadline does not
    later = date(first.published_on.year + 1, first.published_on.month, 1)
    with Session(demo_engine) as s:
        s.add(AssessmentVersion(assessment_id=aid, seq=99, kind="correction", form_version=first.form_version,
                                stage="published", frozen=True, published_on=later, based_on_id=first.id))
        s.commit()
    try:
        after = listed()
        assert after["last_published_on"] == later.isoformat()
        assert after["reassessment_due"] == before["reassessment_due"]
        assert after["next_review_due"] != before["next_review_due"]
    finally:
        with Session(demo_engine) as s:
            s.delete(s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid,
                                                            AssessmentVersion.seq == 99)).one())
            s.commit()
