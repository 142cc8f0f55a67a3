"""Administrator screens and the append-only audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.models import AuditLog, Department, User, UserDepartment
from tests.html import parse


def test_only_admin_reaches_admin_pages(browser):
    for login in ("records", "shimin", "council"):
        browser.login_as(login)
        assert browser.get("/admin").status_code == 403
        assert browser.post("/admin/users/new", {"login_id": "x"}).status_code == 403
    browser.login_as("admin")
    page = browser.page("/admin")
    assert "しののめ市長" in page.select_one("#f-name")["value"]


def test_admin_creates_a_staff_user_with_departments(browser, read):
    browser.login_as("admin")
    dept = read(select(Department.id).where(Department.name == "市民課"))[0]
    bad = browser.post("/admin/users/new", {"login_id": "new user", "display_name": "", "role": "staff",
                                            "password": "short"})
    page = parse(bad.text)
    assert bad.status_code == 422
    assert {li.get_text(strip=True) for li in page.select(".error-summary li")} >= {
        "ログインIDは半角英数字と . _ - @ で入力してください。", "氏名を入力してください。",
        "パスワードは10文字以上にしてください。", "担当課職員には所属部署を1つ以上指定してください。"}
    ok = browser.post("/admin/users/new", [("login_id", "yamada"), ("display_name", "山田"), ("role", "staff"),
                                           ("password", "Sakura-pass-2026"), ("password_confirm", "Sakura-pass-2026"),
                                           ("department_ids", str(dept))])
    assert ok.status_code == 303
    user = read(select(User).where(User.login_id == "yamada"))[0]
    assert read(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)) == [dept]
    assert user.password_hash.startswith("$argon2")
    entry = read(select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == str(user.id)))[0]
    assert "password_hash" not in entry.after


def test_admin_cannot_remove_own_admin_role(browser, read):
    browser.login_as("admin")
    me = read(select(User).where(User.login_id == "admin"))[0]
    r = browser.post(f"/admin/users/{me.id}", {"display_name": "管理者", "role": "records", "active": "1"})
    assert r.status_code == 422 and "自分自身" in r.text


def test_admin_unlocks_and_resets_password(browser, read):
    browser.login_as("admin")
    user = read(select(User).where(User.login_id == "zeimu"))[0]
    dept = read(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id))[0]
    r = browser.post(f"/admin/users/{user.id}", [("display_name", "高橋"), ("role", "staff"), ("active", "1"),
                                                 ("unlock", "1"), ("new_password", "Reset-pass-2026"),
                                                 ("department_ids", str(dept)), ("lock_version", str(user.lock_version))])
    assert r.status_code == 303
    browser.logout()
    assert browser.post("/login", {"login_id": "zeimu", "password": "Reset-pass-2026"}).status_code == 303


def test_audit_log_is_append_only_in_the_database(demo_engine):
    with Session(demo_engine) as session:
        row = session.exec(select(AuditLog)).first()
        with pytest.raises(DBAPIError):  # noqa: PT012 - the statement and its commit are the attempt
            session.exec(text("UPDATE auditlog SET action = 'x' WHERE id = :i").bindparams(i=row.id))
            session.commit()
        session.rollback()
        with pytest.raises(DBAPIError):  # noqa: PT012
            session.exec(text("DELETE FROM auditlog"))
            session.commit()


def test_audit_page_filters(browser):
    browser.login_as("records")
    page = browser.page("/audit?entity=jimu")
    rows = page.select("#audit-table tbody tr")
    assert rows and all("事務 #" in r.get_text() for r in rows)  # the entity by its Japanese name
    assert browser.page("/audit?since=2026-02-30").select_one("#e-since")
    browser.login_as("shimin")
    assert browser.get("/audit").status_code == 403


def test_admin_sets_where_a_draft_says_it_is_one(browser, read):
    """Issue 13 item 7: 案の表示 (「(案)」 in the 評価書名, or 「(素案)」 above the title) is an organisation setting."""
    from app.models import Organisation

    browser.login_as("admin")
    page = browser.page("/admin")
    select_ = page.select_one("select#f-draft_marker")
    assert [(o["value"], o.get_text(strip=True)) for o in select_.select("option")] == [
        ("name", "評価書名の末尾に「(案)」"), ("above", "表紙の表題の上に「(素案)」")]
    assert select_.select_one("option[selected]")["value"] == "name"
    org = read(select(Organisation))[0]
    fields = {"name": org.name, "kind": org.kind, "municipality": org.municipality,
              "representative": org.representative, "lock_version": str(org.lock_version)}
    bad = browser.post("/admin/organisation", {**fields, "draft_marker": "everywhere"})
    assert bad.status_code == 422 and "案の表示を選択してください。" in bad.text
    assert read(select(Organisation))[0].draft_marker == "name"
    assert browser.post("/admin/organisation", {**fields, "draft_marker": "above"}).status_code == 303
    assert read(select(Organisation))[0].draft_marker == "above"


def test_admin_sets_how_measures_print(browser, read):
    """Issue 13 item 1: 対象別の見出しを印字する (default on) and 措置の番号付け are organisation settings."""
    from app.models import AuditLog, Organisation

    browser.login_as("admin")
    page = browser.page("/admin")
    headings = page.select_one("select#f-measure_headings")
    numbering = page.select_one("select#f-measure_numbering")
    assert [o["value"] for o in headings.select("option")] == ["on", "off"]
    assert headings.select_one("option[selected]")["value"] == "on"
    assert [o["value"] for o in numbering.select("option")] == ["dot", "number"]
    assert numbering.select_one("option[selected]")["value"] == "dot"
    org = read(select(Organisation))[0]
    fields = {"name": org.name, "kind": org.kind, "municipality": org.municipality,
              "representative": org.representative, "draft_marker": org.draft_marker,
              "lock_version": str(org.lock_version)}
    for bad, message in ((("measure_headings", "maybe"), "対象別の見出しを印字するかを選択してください。"),
                         (("measure_numbering", "roman"), "措置の番号付けを選択してください。")):
        r = browser.post("/admin/organisation", {**fields, bad[0]: bad[1]})
        assert r.status_code == 422 and message in r.text
    org = read(select(Organisation))[0]
    assert (org.measure_headings, org.measure_numbering) == (True, "dot")
    audits = len(read(select(AuditLog)))
    r = browser.post("/admin/organisation", {**fields, "measure_headings": "off", "measure_numbering": "number"})
    assert r.status_code == 303
    org = read(select(Organisation))[0]
    assert (org.measure_headings, org.measure_numbering) == (False, "number")
    assert len(read(select(AuditLog))) == audits + 1
