"""Issue 11 item 3: every optimistic-locked form of the product refuses a save from a stale version (409).

For each path: the form carries lock_version; a save from the displayed version succeeds (303); a second save
from the same (now stale) version is refused with 409, names both versions and the stored values, and changes
nothing.
"""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import ChecklistItem, Council, ImprovementAction, LibraryMeasure, Organisation, User, UserDepartment


def _org(read):
    org = read(select(Organisation))[0]
    return org, "/admin", "/admin/organisation", "admin", lambda n: {
        "name": f"しののめ市長{n}", "kind": org.kind, "municipality": org.municipality,
        "representative": org.representative}, Organisation, org.id, "name"


def _user(read):
    u = read(select(User).where(User.login_id == "hoken"))[0]
    depts = [str(d) for d in read(select(UserDepartment.department_id).where(UserDepartment.user_id == u.id))]
    return u, f"/admin/users/{u.id}", f"/admin/users/{u.id}", "admin", lambda n: [
        ("display_name", f"保険 年金{n}"), ("role", u.role), ("active", "1")] + [("department_ids", d) for d in depts], \
        User, u.id, "display_name"


def _measure(read):
    m = read(select(LibraryMeasure).order_by(LibraryMeasure.id))[0]
    return m, f"/library?edit={m.id}", "/library", "records", lambda n: [
        ("id", str(m.id)), ("title", f"{m.title}{n}"), ("text", m.text), ("audience", m.audience),
        ("source", m.source), ("active", "1")] + [("risks", r) for r in m.risks], LibraryMeasure, m.id, "title"


def _checklist(read):
    c = read(select(ChecklistItem).order_by(ChecklistItem.id))[0]
    return c, "/admin/checklist", "/admin/checklist", "records", lambda n: {
        "id": str(c.id), "text": f"{c.text}{n}", "active": "1"}, ChecklistItem, c.id, "text"


def _council(read):
    c = read(select(Council))[0]
    member = read(select(User.id).where(User.role == "council"))[0]
    return c, "/admin/councils", "/admin/councils", "records", lambda n: [
        ("id", str(c.id)), ("name", f"{c.name}{n}"), ("member_ids", str(member))], Council, c.id, "name"


def _action(read):
    a = read(select(ImprovementAction).where(ImprovementAction.status == "open"))[0]
    return a, "/actions", f"/actions/{a.id}/close", "records", lambda n: {
        "closed_on": "2026-11-20", "close_note": f"対応を完了した{n}"}, ImprovementAction, a.id, "close_note"


PATHS = {"organisation": _org, "user": _user, "library": _measure, "checklist": _checklist, "council": _council,
         "action": _action}


def _pairs(data) -> list[tuple[str, str]]:
    return list(data.items()) if isinstance(data, dict) else list(data)


@pytest.mark.parametrize("path", PATHS)
def test_stale_save_is_refused_with_both_versions(browser, read, path):
    row, page, url, login, data, model, row_id, column = PATHS[path](read)
    browser.login_as(login)
    html = browser.get(page).text
    seen = row.lock_version
    assert f'name="lock_version" value="{seen}"' in html, "the form does not carry the row's version"
    first = browser.post(url, _pairs(data(1)) + [("lock_version", str(seen))])
    assert first.status_code == 303, first.text[:500]
    stored = getattr(read(select(model).where(model.id == row_id))[0], column)
    stale = browser.post(url, _pairs(data(2)) + [("lock_version", str(seen))])
    assert stale.status_code == 409, stale.text[:500]
    assert f"編集を始めた時点の版: {seen}" in stale.text and f"現在の版: {seen + 1}" in stale.text
    assert "現在の登録内容" in stale.text
    # issue 14 item 11: the same user saved from another window first, and is told so (with the time)
    assert re.search(r"は、あなたが別の画面で 令和\d+年\d+月\d+日 \d\d:\d\d に保存しています", stale.text), stale.text[:600]
    assert "他の利用者により" not in stale.text and "他の管理者により" not in stale.text
    after = read(select(model).where(model.id == row_id))[0]
    assert getattr(after, column) == stored and after.lock_version == seen + 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("sent", ["missing", "empty", "garbage"])
def test_a_form_without_its_version_is_refused_like_a_stale_one(browser, read, path, sent):
    """A browser post is always an edit of a displayed row: leaving lock_version out (a hand-made or truncated
    form) must not overwrite silently — 409, nothing changed (only the CLI writes without a version)."""
    _row, _page, url, login, data, model, row_id, column = PATHS[path](read)
    browser.login_as(login)
    before = read(select(model).where(model.id == row_id))[0]
    extra = {"missing": [], "empty": [("lock_version", "")], "garbage": [("lock_version", "abc")]}[sent]
    r = browser.post(url, _pairs(data(3)) + extra)
    assert r.status_code == 409, r.text[:500]
    assert "編集を始めた時点の版: 不明" in r.text
    after = read(select(model).where(model.id == row_id))[0]
    assert getattr(after, column) == getattr(before, column) and after.lock_version == before.lock_version
