"""Sign-in, lockout, sessions, CSRF and the audit trail of logins."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.deps import SESSION_COOKIE
from app.models import AuditLog, LoginSession, User
from app.models.base import utcnow
from tests.html import text_of


def login(browser, login_id, password):
    browser.client.cookies.delete(SESSION_COOKIE)
    return browser.post("/login", {"login_id": login_id, "password": password, "next": "/jimu"})


def test_login_success_sets_httponly_cookie_and_audits(browser, db):
    r = login(browser, "shimin", "Juki-Demo-2025")
    assert r.status_code == 303 and r.headers["location"] == "/jimu"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert browser.get("/").status_code == 200
    actions = db.exec(select(AuditLog.action).where(AuditLog.entity == "login", AuditLog.entity_id == "shimin")).all()
    assert "login_succeeded" in actions


def test_each_login_gets_a_new_session_id(browser, db):
    login(browser, "shimin", "Juki-Demo-2025")
    first = browser.client.cookies[SESSION_COOKIE]
    login(browser, "shimin", "Juki-Demo-2025")
    assert browser.client.cookies[SESSION_COOKIE] != first


def test_wrong_password_and_unknown_user_give_the_same_message(browser):
    a = login(browser, "shimin", "wrong-password-1")
    b = login(browser, "nobody-here", "wrong-password-1")
    assert a.status_code == b.status_code == 401
    from tests.html import parse
    assert text_of(parse(a.text), ".error-summary p") == text_of(parse(b.text), ".error-summary p") \
        == "ログインIDまたはパスワードが正しくありません。"


def test_five_failures_lock_the_account_for_15_minutes(browser, db):
    for _ in range(4):
        assert login(browser, "zeimu", "bad-password-9").status_code == 401
    locked = login(browser, "zeimu", "bad-password-9")
    assert locked.status_code == 423 and "15分間ロック" in locked.text
    # even the right password is refused while locked
    assert login(browser, "zeimu", "Kazei-Demo-2025").status_code == 423
    user = db.exec(select(User).where(User.login_id == "zeimu")).one()
    db.refresh(user)
    assert user.locked_until is not None
    actions = db.exec(select(AuditLog.action).where(AuditLog.entity_id == "zeimu")).all()
    assert actions.count("login_failed") == 4 and "login_locked" in actions and "login_refused_locked" in actions
    # after the lock expires the right password works again
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.add(user)
    db.commit()
    assert login(browser, "zeimu", "Kazei-Demo-2025").status_code == 303


def test_unknown_ids_also_lock_so_accounts_cannot_be_enumerated(browser):
    codes = [login(browser, "ghost", "bad-password-9").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 423]


def test_logout_invalidates_the_session_server_side(browser, db):
    login(browser, "shimin", "Juki-Demo-2025")
    stolen = browser.client.cookies[SESSION_COOKIE]
    assert browser.post("/logout").status_code == 303
    browser.client.cookies.set(SESSION_COOKIE, stolen)
    r = browser.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_pages_require_login_and_keep_the_target(browser):
    r = browser.get("/jimu/1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/jimu/1"
    assert browser.client.get("/api/v1/me").status_code == 401


def test_open_redirect_is_refused(browser):
    r = browser.post("/login", {"login_id": "shimin", "password": "Juki-Demo-2025", "next": "//evil.example.com/"})
    assert r.headers["location"] == "/"


def test_login_form_needs_csrf(browser):
    browser.csrf()
    r = browser.post("/login", {"login_id": "shimin", "password": "Juki-Demo-2025"}, csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text


def test_forged_post_without_token_changes_nothing(browser, db):
    browser.login_as("shimin")
    before = db.exec(select(User).where(User.login_id == "shimin")).one().password_hash
    r = browser.post("/account/password", {"current": "Juki-Demo-2025", "new": "Another-pass-123",
                                           "confirm": "Another-pass-123"}, csrf=False)
    assert r.status_code == 403
    db.expire_all()
    assert db.exec(select(User).where(User.login_id == "shimin")).one().password_hash == before


def test_password_change_policy_and_other_sessions_revoked(browser, db):
    browser.login_as("shimin")
    bad = browser.post("/account/password", {"current": "Juki-Demo-2025", "new": "short", "confirm": "short"})
    assert bad.status_code == 422 and "10文字以上" in bad.text
    contains_login = browser.post("/account/password", {"current": "Juki-Demo-2025", "new": "shimin-12345",
                                                        "confirm": "shimin-12345"})
    assert "ログインIDを含めないで" in contains_login.text
    ok = browser.post("/account/password", {"current": "Juki-Demo-2025", "new": "Neue-Pass-2026",
                                            "confirm": "Neue-Pass-2026"})
    assert ok.status_code == 303
    user = db.exec(select(User).where(User.login_id == "shimin")).one()
    live = db.exec(select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))).all()
    assert len(live) == 1, "the current session stays, every other one is revoked"
    assert login(browser, "shimin", "Neue-Pass-2026").status_code == 303


def test_security_headers(browser):
    r = browser.get("/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "HttpOnly" in r.headers["set-cookie"]
