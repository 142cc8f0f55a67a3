"""Issue 15 §2 screens: 「ファイルから取り込む」 on the 評価書 page (and as a new 評価書 from the 事務 page), the report
after an import, and 「取り込めなかった記載」 in the editor with its two actions (place into an item, discard)."""
from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.domain.policy import SYSTEM
from app.models import Answer, Assessment, AssessmentVersion, AuditLog, PageLock, UnmappedAnswer
from app.services import catalogue, migration
from tests.factories import new_jimu
from tests.html import check_page, parse, text_of

_FILES: dict[int, bytes] = {}
KOKUHO_FULL, KOKUHO_BASIC = 5, 4   # 国民健康保険に関する事務 (保険年金課: hoken), both 作成中


def exported(engine, assessment_id: int) -> bytes:
    """The 評価書 as a person's Word copy (our export without its embedded JSON), built once per module."""
    if assessment_id not in _FILES:
        from app.services import exports
        from app.services.assessments import current_version
        from tests import dbutil
        from tests.services.test_fileimport_roundtrip import strip_json

        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": 1})
        with Session(engine) as s:
            v = current_version(s, assessment_id)
            doc = exports.export(s, actor=actor, version_id=v.id, edition="full", today=dbutil.DEMO_TODAY)
        _FILES[assessment_id] = strip_json(doc.content)
    return _FILES[assessment_id]


def upload(browser, url: str, data: bytes, name: str = "評価書.docx", **fields):
    form = {"csrftoken": browser.csrf(), **fields}
    return browser.client.post(url, data=form, files={"file": (name, data)}, follow_redirects=False)


def counts(read) -> tuple[int, int, int, int]:
    return tuple(read(select(func.count()).select_from(m))[0]
                 for m in (Answer, AssessmentVersion, UnmappedAnswer, Assessment))


def test_upload_into_the_working_version_then_report_and_leftovers(browser, read, demo_engine):
    data = exported(demo_engine, KOKUHO_FULL)
    browser.login_as("hoken")
    soup = browser.page(f"/assessments/{KOKUHO_FULL}")
    form = soup.select_one("#import-panel form#import-form")
    assert form["action"] == f"/assessments/{KOKUHO_FULL}/import-file" and form["enctype"] == "multipart/form-data"
    options = [o["value"] for o in form.select("select[name=source_version] option")]
    assert options[0] == "" and "r06-10" in options   # detected from the file by default, or chosen
    r = upload(browser, f"/assessments/{KOKUHO_FULL}/import-file", data)
    assert r.status_code == 303, parse(r.text).select_one(".error-summary")
    assert r.headers["location"] == "/versions/5/import-report"
    soup = browser.page("/versions/5/import-report")
    assert "記入あり" in text_of(soup, "[data-testid=summary]")
    assert text_of(soup, "#report-summary h2") == "評価書.docx"
    filled = soup.select("#filled a")
    assert filled and all(a["href"].startswith("/versions/5/edit/") and "#i-" in a["href"] for a in filled)
    rows = soup.select("#unplaced tbody tr")
    assert len(rows) == 1 and "図1" in rows[0].get_text()   # the figure: pictures are not in the text
    uid = int(rows[0]["data-unmapped"])
    assert rows[0].select_one("a")["href"] == f"/versions/5/unmapped#u-{uid}"
    # the editor names them with a count; the list shows the original label and text
    soup = browser.page("/versions/5/edit/I")
    assert text_of(soup, "#unmapped-link [data-testid=unmapped-count]") == "1"
    soup = browser.page("/versions/5/unmapped")
    art = soup.select_one(f"#u-{uid}")
    assert "図1" in text_of(art, "[data-testid=text]") and art.select_one(f"a[href='/unmapped/{uid}/place']")
    # an import-file leaves an audit row starting with `import` on the version: 移行登録 is offered to records
    actions = read(select(AuditLog.action).where(AuditLog.entity == "assessment_version", AuditLog.entity_id == "5"))
    assert "imported" in actions and "file_imported" in actions
    with Session(demo_engine) as s:
        assert migration.was_imported(s, 5)
    browser.login_as("records")
    assert browser.page(f"/assessments/{KOKUHO_FULL}").select_one("#migrate-link")


def test_bad_and_oversized_files_show_a_message_and_write_nothing(browser, read, monkeypatch):
    browser.login_as("hoken")
    before = counts(read)
    r = upload(browser, f"/assessments/{KOKUHO_BASIC}/import-file", b"not a zip", name="a.docx")
    assert r.status_code == 422
    soup = check_page(parse(r.text))
    assert "壊れている" in text_of(soup, ".error-summary") and "何も取り込んでいません" in text_of(soup, "#e-file")
    r = browser.post(f"/assessments/{KOKUHO_BASIC}/import-file", {})
    assert r.status_code == 422 and "ファイルを選んでください" in r.text
    monkeypatch.setattr("app.services.formfiles.MAX_BYTES", 1000)
    r = upload(browser, f"/assessments/{KOKUHO_BASIC}/import-file", b"PK" + b"0" * 2000, name="a.docx")
    assert r.status_code == 422 and "大きすぎます" in text_of(parse(r.text), "#e-file")
    r = upload(browser, f"/assessments/{KOKUHO_BASIC}/import-file", b"0" * (2 * 1024 * 1024 + 10), name="a.docx")
    assert r.status_code == 413 and "大きすぎます" in r.text   # the request body limit (SPIA_MAX_UPLOAD_BYTES)
    assert counts(read) == before


def test_other_departments_and_the_council_are_refused(browser, read, demo_engine):
    data = exported(demo_engine, KOKUHO_BASIC)
    before = counts(read)
    for login in ("zeimu", "council"):
        browser.login_as(login)
        assert browser.get(f"/assessments/{KOKUHO_BASIC}/import-file").status_code == 403
        r = upload(browser, f"/assessments/{KOKUHO_BASIC}/import-file", data)
        assert r.status_code == 403 and "権限" in r.text
        assert upload(browser, "/jimu/4/import-file", data, number="901").status_code == 403
    assert counts(read) == before


def test_a_published_version_is_not_offered_the_import(browser):
    browser.login_as("shimin")   # 住基 全項目: published, frozen
    soup = browser.page("/assessments/3/import-file")
    assert soup.select_one("#import-unavailable") and not soup.select_one("#import-form")


def test_import_as_a_new_assessment_from_the_jimu_page(browser, read, demo_engine):
    data = exported(demo_engine, KOKUHO_BASIC)   # 基礎項目評価書 番号 4
    jid = new_jimu(browser, read, login="hoken", dept="保険年金課", name="高額療養費に関する事務")
    soup = browser.page(f"/jimu/{jid}")
    assert soup.select_one("#import-new-link")["href"] == f"/jimu/{jid}/import-file"
    soup = browser.page(f"/jimu/{jid}/import-file")
    assert [o["value"] for o in soup.select("select[name=form_version] option")][:2] == ["", "basic:r06-10"]
    before = counts(read)
    r = upload(browser, f"/jimu/{jid}/import-file", data)   # the file's number 4 is the 国保 基礎's
    assert r.status_code == 422 and "評価書番号 4 は使用できません" in text_of(parse(r.text), ".error-summary")
    assert counts(read) == before
    r = upload(browser, f"/jimu/{jid}/import-file", data, number="901")
    assert r.status_code == 303, parse(r.text).select_one(".error-summary")
    a = read(select(Assessment).where(Assessment.jimu_id == jid))[0]
    assert (a.form, a.number) == ("basic", 901)
    v = read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id))[0]
    assert (v.stage, v.kind, v.seq) == ("draft", "initial", 1)
    assert r.headers["location"] == f"/versions/{v.id}/import-report"
    answers = dict(read(select(Answer.item_id, Answer.value).where(Answer.version_id == v.id, Answer.file_uid == "")))
    assert answers["I.1.2"] and answers.get("I.1.1") == "国民健康保険に関する事務"   # content from the file
    assert "記入あり" in text_of(browser.page(f"/versions/{v.id}/import-report"), "[data-testid=summary]")


# ---------------------------------------------------------------- 取り込めなかった記載: place and discard

def _leftover(engine, version_id: int, text: str, label: str = "ファイルの見出し", file_uid: str = "") -> int:
    with Session(engine) as s:
        row = UnmappedAnswer(version_id=version_id, old_item_id="-", label=label, text=text, file_uid=file_uid,
                             value={"source": "file", "where": "表1", "reason": "対応する項目がありません。"})
        s.add(row)
        s.commit()
        return row.id


def _value(read, vid: int, item_id: str, uid: str = ""):
    rows = read(select(Answer.value).where(Answer.version_id == vid, Answer.item_id == item_id, Answer.file_uid == uid))
    return rows[0] if rows else None


def test_place_into_a_text_item_appends_and_resolves(browser, read, demo_engine):
    uid = _leftover(demo_engine, KOKUHO_BASIC, "窓口での本人確認を徹底する。")
    before = _value(read, KOKUHO_BASIC, "I.1.2")
    lock = read(select(PageLock.lock).where(PageLock.version_id == KOKUHO_BASIC, PageLock.page_id == "I"))[0]
    browser.login_as("hoken")
    soup = browser.page(f"/unmapped/{uid}/place")
    radios = soup.select("#place-form input[type=radio][name=item]")
    assert radios and {"I.1.2", "IV.8.basis"} <= {r["value"] for r in radios}
    assert not any(r["value"].startswith("IV.8.") and r["value"] != "IV.8.basis" for r in radios)  # choices: not here
    r = browser.post(f"/unmapped/{uid}/place", {"item": "I.1.2"})
    assert r.status_code == 303 and r.headers["location"] == "/versions/4/edit/I#i-I_1_2"
    assert _value(read, KOKUHO_BASIC, "I.1.2") == before.rstrip() + "\n窓口での本人確認を徹底する。"
    row = read(select(UnmappedAnswer).where(UnmappedAnswer.id == uid))[0]
    assert row.resolved and "②事務の概要" in row.resolution
    # the editor page's lock moved on: a page opened before cannot save its old text over the placed one
    assert read(select(PageLock.lock).where(PageLock.version_id == KOKUHO_BASIC, PageLock.page_id == "I"))[0] == lock + 1
    assert read(select(AuditLog.action).where(AuditLog.entity == "unmapped_answer",
                                              AuditLog.entity_id == str(uid))) == ["placed"]
    # a second window placing the same text again: 409, nothing written
    r = browser.post(f"/unmapped/{uid}/place", {"item": "I.1.2"})
    assert r.status_code == 409 and "既に" in text_of(parse(r.text), "#conflict-message")
    assert _value(read, KOKUHO_BASIC, "I.1.2").count("窓口での本人確認") == 1


def test_place_into_a_measures_item_with_its_audience(browser, read, demo_engine):
    d = catalogue.definition("basic", "r06-10")
    assert d.item("IV.8.basis").type == "measures"
    uid = _leftover(demo_engine, KOKUHO_BASIC, "端末の操作ログを毎月点検する。")
    before = _value(read, KOKUHO_BASIC, "IV.8.basis") or {}
    browser.login_as("hoken")
    r = browser.post(f"/unmapped/{uid}/place", {"item": "IV.8.basis", "audience": ""})
    assert r.status_code == 422 and "措置の対象" in text_of(parse(r.text), ".error-summary")
    r = browser.post(f"/unmapped/{uid}/place", {"item": "IV.8.basis", "audience": "staff"})
    assert r.status_code == 303
    after = _value(read, KOKUHO_BASIC, "IV.8.basis")
    assert [m["text"] for m in after["staff"]] == [m["text"] for m in before.get("staff", [])] + ["端末の操作ログを毎月点検する。"]
    assert after["staff"][-1]["id"] and after.get("external", []) == before.get("external", [])


def test_place_into_a_file_item_needs_the_file(browser, read, demo_engine):
    uid = _leftover(demo_engine, KOKUHO_FULL, "保管期間の根拠は規則第3条。")
    browser.login_as("hoken")
    soup = browser.page(f"/unmapped/{uid}/place")
    files = [o["value"] for o in soup.select("select[name=file_uid] option") if o["value"]]
    r = browser.post(f"/unmapped/{uid}/place", {"item": "II.6.2.reason", "file_uid": ""})
    assert r.status_code == 422 and "ファイル" in text_of(parse(r.text), ".error-summary")
    r = browser.post(f"/unmapped/{uid}/place", {"item": "II.6.2.reason", "file_uid": files[1]})
    assert r.status_code == 303 and r.headers["location"].endswith(f"?file={files[1]}#i-II_6_2_reason")
    assert _value(read, KOKUHO_FULL, "II.6.2.reason", files[1]).endswith("保管期間の根拠は規則第3条。")


def test_discard_needs_a_reason_and_keeps_the_row(browser, read, demo_engine):
    uid = _leftover(demo_engine, KOKUHO_BASIC, "旧様式の注記")
    browser.login_as("hoken")
    r = browser.post(f"/unmapped/{uid}/discard", {"why": " "})
    assert r.status_code == 422
    soup = check_page(parse(r.text))
    assert "破棄する理由" in text_of(soup, f"#e-why-{uid}")
    r = browser.post(f"/unmapped/{uid}/discard", {"why": "新様式では記載不要"})
    assert r.status_code == 303
    row = read(select(UnmappedAnswer).where(UnmappedAnswer.id == uid))[0]
    assert row.resolved and row.resolution == "破棄: 新様式では記載不要"
    soup = browser.page("/versions/4/unmapped")
    assert not soup.select_one(f"#u-{uid}") and "新様式では記載不要" in text_of(soup, "#done")
    assert read(select(AuditLog.action).where(AuditLog.entity == "unmapped_answer",
                                              AuditLog.entity_id == str(uid))) == ["discarded"]
    assert browser.post(f"/unmapped/{uid}/discard", {"why": "もう一度"}).status_code == 409


@pytest.mark.parametrize("login", ["zeimu", "council"])
def test_place_and_discard_are_refused_to_other_departments_and_the_council(browser, read, demo_engine, login):
    uid = _leftover(demo_engine, KOKUHO_BASIC, "本文")
    browser.login_as(login)
    assert browser.post(f"/unmapped/{uid}/place", {"item": "I.1.2"}).status_code == 403
    assert browser.post(f"/unmapped/{uid}/discard", {"why": "不要"}).status_code == 403
    assert not read(select(UnmappedAnswer.resolved).where(UnmappedAnswer.id == uid))[0]


def test_a_frozen_version_lists_its_leftovers_read_only(browser, read, demo_engine):
    uid = _leftover(demo_engine, 3, "住基の旧記載")     # 住基 全項目: published
    browser.login_as("shimin")
    soup = browser.page("/versions/3/unmapped")
    assert soup.select_one("#read-only") and soup.select_one(f"#u-{uid}")
    assert not soup.select("form") or not soup.select(f"form[action='/unmapped/{uid}/discard']")
    assert browser.post(f"/unmapped/{uid}/discard", {"why": "不要"}).status_code == 409
