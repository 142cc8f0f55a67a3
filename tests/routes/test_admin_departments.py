"""Issue 14 item 14: the administrator renames and retires 部署; user creation asks for the password twice."""
from __future__ import annotations

from sqlmodel import select

from app.models import AuditLog, Department, Jimu, User
from tests.html import parse


def _dept(read, name):
    return read(select(Department).where(Department.name == name))[0]


def _row_form(browser, dept_id, cls):
    page = browser.page("/admin")
    form = page.select_one(f"tr[data-department='{dept_id}'] form.{cls}")
    return {i["name"]: i.get("value", "") for i in form.select("input[name]") if i["name"] != "csrftoken"}


def test_admin_renames_a_department_and_old_records_show_the_new_name(browser, read):
    browser.login_as("admin")
    dept = _dept(read, "市民課")
    data = _row_form(browser, dept.id, "dept-rename") | {"name": "市民窓口課"}
    r = browser.post(f"/admin/departments/{dept.id}", data)
    assert r.status_code == 303
    assert _dept(read, "市民窓口課").id == dept.id
    entry = read(select(AuditLog).where(AuditLog.entity == "department", AuditLog.entity_id == str(dept.id),
                                        AuditLog.action == "updated"))[0]
    assert entry.before["name"] == "市民課" and entry.after["name"] == "市民窓口課"
    # a second post with the old lock_version is refused and changes nothing
    stale = browser.post(f"/admin/departments/{dept.id}", data | {"name": "別の名前"})
    assert stale.status_code == 409
    assert "この部署は、あなたが別の画面で" in parse(stale.text).select_one(".error-summary").get_text()
    assert read(select(Department.name).where(Department.id == dept.id)) == ["市民窓口課"]


def test_rename_to_an_existing_name_is_refused_in_japanese(browser, read):
    browser.login_as("admin")
    dept = _dept(read, "市民課")
    data = _row_form(browser, dept.id, "dept-rename") | {"name": "市民税課"}
    r = browser.post(f"/admin/departments/{dept.id}", data)
    assert r.status_code == 422
    assert "部署「市民税課」は既に登録されています。" in parse(r.text).select_one(".error-summary").get_text()
    assert read(select(Department.name).where(Department.id == dept.id)) == ["市民課"]


def test_retired_department_leaves_the_pickers_but_stays_on_old_records(browser, read):
    browser.login_as("admin")
    dept = _dept(read, "市民課")
    r = browser.post(f"/admin/departments/{dept.id}", _row_form(browser, dept.id, "dept-retire"))
    assert r.status_code == 303
    assert read(select(Department.active).where(Department.id == dept.id)) == [False]
    assert read(select(AuditLog.action).where(AuditLog.entity == "department",
                                              AuditLog.entity_id == str(dept.id)))[-1] == "retired"
    admin = browser.page("/admin")
    row = admin.select_one(f"tr[data-department='{dept.id}']")
    assert "廃止" in row.get_text() and row.select_one("form.dept-retire button").get_text() == "再開する"
    assert str(dept.id) not in [o["value"] for o in admin.select("#f-parent_id option")]
    new_user = browser.page("/admin/users/new")
    assert not new_user.select(f"#f-dept-{dept.id}")
    browser.login_as("records")
    new_jimu = browser.page("/jimu/new")
    assert str(dept.id) not in [o["value"] for o in new_jimu.select("#f-department_id option")]
    # an existing 事務 of that 部署 still names it, and its edit form still offers it (selected)
    jimu = read(select(Jimu).where(Jimu.department_id == dept.id))[0]
    assert "市民課" in browser.page(f"/jimu/{jimu.id}").get_text()
    edit = browser.page(f"/jimu/{jimu.id}/edit")
    assert edit.select_one(f"#f-department_id option[value='{dept.id}']").has_attr("selected")


def test_user_creation_requires_the_same_password_twice(browser, read):
    browser.login_as("admin")
    dept = _dept(read, "市民課")
    form = [("login_id", "yamada"), ("display_name", "山田"), ("role", "staff"), ("password", "Sakura-pass-2026"),
            ("department_ids", str(dept.id))]
    assert parse(browser.get("/admin/users/new").text).select_one("#f-password_confirm[type=password]")
    r = browser.post("/admin/users/new", form + [("password_confirm", "Sakura-pass-2025")])
    assert r.status_code == 422
    assert [li.get_text(strip=True) for li in parse(r.text).select(".error-summary li")] == [
        "確認用のパスワードが一致しません。同じパスワードをもう一度入力してください。"]
    assert read(select(User).where(User.login_id == "yamada")) == []
    ok = browser.post("/admin/users/new", form + [("password_confirm", "Sakura-pass-2026")])
    assert ok.status_code == 303
    assert len(read(select(User).where(User.login_id == "yamada"))) == 1
