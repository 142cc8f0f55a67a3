"""メール通知 on the account page (address, kinds received; CSRF, saved state, 409 on a stale form), the
administrator's address field and the list of what was sent."""
from __future__ import annotations

from datetime import date

from sqlmodel import select

from app.models import AuditLog, MailOptOut, ReminderSent, User


def _user(db, login: str) -> User:
    db.rollback()  # a new transaction: see what the requests committed (SQLite WAL keeps a snapshot)
    return db.exec(select(User).where(User.login_id == login)).one()


def test_account_page_saves_address_and_kinds(browser, db):
    browser.login_as("shimin")
    page = browser.page("/account")
    panel = page.select_one("#mail")
    assert panel.h2.text == "メール通知"
    boxes = {b["value"]: b.has_attr("checked") for b in panel.select("input[name=receive]")}
    assert boxes == {"review": True, "reassessment": True, "comment": True, "condition": True, "action": True}
    labels = [label.text for label in panel.select("fieldset label")]
    assert labels == ["見直し", "再実施", "意見公募の終了", "答申の条件", "改善策"]
    lock = panel.select_one("input[name=lock_version]")["value"]
    r = browser.post("/account/mail", [("email", " shimin@city.example.lg.jp "), ("receive", "reassessment"),
                                       ("receive", "action"), ("lock_version", lock)])
    assert r.status_code == 303 and r.headers["location"] == "/account"
    after = browser.page("/account")
    assert "メール通知の設定を保存しました。" in after.text
    user = _user(db, "shimin")
    assert user.email == "shimin@city.example.lg.jp"
    assert sorted(db.exec(select(MailOptOut.kind).where(MailOptOut.user_id == user.id)).all()) == [
        "comment", "condition", "review"]
    boxes = {b["value"]: b.has_attr("checked") for b in after.select("#mail input[name=receive]")}
    assert boxes == {"review": False, "reassessment": True, "comment": False, "condition": False, "action": True}
    assert after.select_one("#f-email")["value"] == "shimin@city.example.lg.jp"
    audit = db.exec(select(AuditLog).where(AuditLog.action == "mail_settings")).one()
    assert audit.after["opted_out"] == ["comment", "condition", "review"]
    # the same (now stale) form again: 409 with what is stored, nothing changed
    stale = browser.post("/account/mail", [("email", "other@city.example.lg.jp"), ("lock_version", lock)])
    assert stale.status_code == 409 and "shimin@city.example.lg.jp" in stale.text
    assert _user(db, "shimin").email == "shimin@city.example.lg.jp"


def test_account_mail_refuses_bad_address_and_forged_posts(browser, db):
    browser.login_as("zeimu")
    bad = browser.post("/account/mail", {"email": "zeimu@@city", "receive": "review"})
    assert bad.status_code == 422 and "メールアドレスの形式が正しくありません" in bad.text
    forged = browser.post("/account/mail", {"email": "evil@example.jp"}, csrf=False)
    assert forged.status_code == 403
    user = _user(db, "zeimu")
    assert user.email == "" and not db.exec(select(MailOptOut).where(MailOptOut.user_id == user.id)).all()


def test_council_members_are_told_they_get_no_reminders(browser):
    browser.login_as("council")
    assert "期限のお知らせは、総務・文書担当と担当課職員に送ります。" in browser.page("/account").select_one("#mail").text


def test_admin_sets_addresses_and_sees_what_was_sent(browser, db):
    browser.login_as("admin")
    shimin = _user(db, "shimin")
    form = browser.page(f"/admin/users/{shimin.id}")
    assert form.select_one("#f-email")["value"] == ""
    data = [("display_name", shimin.display_name), ("role", "staff"), ("active", "1"),
            ("lock_version", form.select_one("input[name=lock_version]")["value"])]
    data += [("department_ids", str(d["value"])) for d in form.select("input[name=department_ids][checked]")]
    bad = browser.post(f"/admin/users/{shimin.id}", data + [("email", "shimin at city")])
    assert bad.status_code == 422 and "メールアドレスの形式" in bad.text
    ok = browser.post(f"/admin/users/{shimin.id}", data + [("email", "shimin@city.example.lg.jp")])
    assert ok.status_code == 303
    assert _user(db, "shimin").email == "shimin@city.example.lg.jp"
    assert "shimin@city.example.lg.jp" in browser.page("/admin").text
    empty = browser.page("/admin/reminders")
    assert "まだ送信したお知らせはありません。" in empty.text
    db.add(ReminderSent(user_id=shimin.id, deadline_key="review:2:2022-03-15", threshold="overdue", kind="review",
                        assessment_id=2, due_on=date(2022, 3, 15), what="見直し(毎年)の期限",
                        email="shimin@city.example.lg.jp", as_of=date(2026, 11, 23)))
    db.commit()
    page = browser.page("/admin/reminders")
    (row,) = page.select("table.list tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[1].startswith("市民課") and "(shimin)" in cells[1] and "shimin@city.example.lg.jp" in cells[1]
    assert cells[2:6] == ["期限超過", "見直し", "令和4年3月15日", "見直し(毎年)の期限"]
    assert cells[6].startswith("No.1 住民基本台帳に関する事務")
    browser.login_as("records")
    assert browser.get("/admin/reminders").status_code == 403
