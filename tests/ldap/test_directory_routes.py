"""The sign-in page and the administrator's ディレクトリ連携 screen with the real slapd behind them."""
from __future__ import annotations

from sqlmodel import select

from app.deps import SESSION_COOKIE
from app.models import AuditLog, DirectoryGroup, User
from tests.html import parse, text_of
from tests.ldap import slapd as sl


def login(browser, login_id, password):
    browser.client.cookies.delete(SESSION_COOKIE)
    return browser.post("/login", {"login_id": login_id, "password": password, "next": "/"})


def add_mapping(browser, group, role="", department_id=""):
    return browser.post("/admin/directory/groups", {"group_dn": sl.group_dn(group), "role": role,
                                                    "department_id": str(department_id)})


def test_admin_maps_groups_and_a_directory_user_signs_in(browser, read):
    browser.login_as("admin")
    page = browser.page("/admin/directory")
    settings_text = page.select_one("[data-testid=directory-settings]").get_text()
    assert sl.READER_DN in settings_text and "設定済み" in settings_text and sl.READER_PW not in browser.get(
        "/admin/directory").text
    r = add_mapping(browser, "spia-staff", role="staff")
    assert r.status_code == 303
    assert "spia-staff" in browser.page("/admin/directory").select_one("[data-testid=directory-groups]").get_text()
    r = login(browser, "yamada", sl.password("yamada"))
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = browser.page("/account")
    assert page.select_one("[data-testid=directory-account]") is not None  # no local password to change
    assert page.select_one("form[action='/account/password']") is None
    [u] = read(select(User).where(User.login_id == "yamada"))
    assert u.auth_source == "ldap" and u.role == "staff"
    assert read(select(AuditLog).where(AuditLog.entity == "directory_group", AuditLog.action == "created"))


def test_mapping_validation_and_delete(browser, read):
    browser.login_as("admin")
    r = browser.post("/admin/directory/groups", {"group_dn": "not a dn", "role": "", "department_id": ""})
    assert r.status_code == 422 and "グループの DN" in text_of(parse(r.text), ".error-summary")
    r = browser.post("/admin/directory/groups", {"group_dn": sl.group_dn("spia-staff"), "role": "", "department_id": ""})
    assert r.status_code == 422 and "少なくとも一方" in r.text
    assert add_mapping(browser, "spia-admins", role="admin").status_code == 303
    r = add_mapping(browser, "SPIA-Admins", role="records")
    assert r.status_code == 422 and "既に登録" in r.text
    [row] = read(select(DirectoryGroup))
    assert browser.post(f"/admin/directory/groups/{row.id}/delete").status_code == 303
    assert read(select(DirectoryGroup)) == []
    assert browser.post(f"/admin/directory/groups/{row.id}/delete").status_code == 404


def test_only_administrators_and_only_with_csrf(browser):
    browser.login_as("records")
    assert browser.get("/admin/directory").status_code == 403
    assert add_mapping(browser, "spia-admins", role="admin").status_code == 403
    browser.login_as("admin")
    r = browser.post("/admin/directory/groups", {"group_dn": sl.group_dn("spia-admins"), "role": "admin"}, csrf=False)
    assert r.status_code == 403


def test_connection_check(browser):
    browser.login_as("admin")
    r = browser.post("/admin/directory/check")
    assert r.status_code == 200 and "接続できました" in text_of(parse(r.text), "[data-testid=check-result]")


def test_unmapped_user_sees_why(browser):
    assert browser.page("/login").select_one("[data-testid=directory-hint]") is not None
    r = login(browser, "sato", sl.password("sato"))
    assert r.status_code == 401 and "グループに所属していない" in text_of(parse(r.text), ".error-summary p")
    browser.login_as("admin")
    assert "ログイン拒否(対応するグループなし)" in browser.page("/audit?entity=login").get_text()


def test_directory_down_shows_a_japanese_message_and_local_accounts_still_sign_in(browser, settings):
    browser.login_as("admin")
    add_mapping(browser, "spia-admins", role="admin")
    settings.ldap_url = f"ldap://127.0.0.1:{sl.free_port()}"
    settings.ldap_timeout_seconds = 2
    r = login(browser, "suzuki", sl.password("suzuki"))
    assert r.status_code == 503
    assert text_of(parse(r.text), ".error-summary p").startswith("ディレクトリサーバーに接続できません")
    assert login(browser, "admin", "Kanri-Demo-2025").status_code == 303
    r = browser.post("/admin/directory/check")
    assert "接続できませんでした" in r.text and "ディレクトリサーバーに接続できません" in r.text


def test_admin_sees_a_directory_account_without_a_password_reset(browser, read):
    browser.login_as("admin")
    add_mapping(browser, "spia-records", role="records")
    assert login(browser, "ito", sl.password("ito")).status_code == 303
    browser.logout()
    browser.login_as("admin")
    [u] = read(select(User).where(User.login_id == "ito"))
    assert "ディレクトリ" in browser.page("/admin").get_text()
    page = browser.page(f"/admin/users/{u.id}")
    assert page.select_one("[data-testid=directory-account]") and not page.select_one("input[name=new_password]")
    r = browser.post(f"/admin/users/{u.id}", {"display_name": u.display_name, "role": "records", "active": "1",
                                               "new_password": "Another-Pass-2025", "lock_version": str(u.lock_version)})
    assert r.status_code == 422 and "ディレクトリで管理します" in r.text
