"""Sessions and sign-in, beyond tests/routes/test_auth.py: session fixation, server-side logout, forged and
expired cookies, cookie attributes (also with SPIA_COOKIE_SECURE=true), lockout, no account enumeration,
the password policy everywhere a password is set, and login CSRF."""
from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.deps import SESSION_COOKIE, session_signer, today
from app.main import build_asgi
from app.models import AuditLog, LoginSession, User
from app.models.base import utcnow
from app.security import token_hash
from tests import dbutil
from tests.conftest import TEST_SECRET
from tests.html import parse, text_of
from tests.security.helpers import PASSWORDS, fingerprint

LOCK_MESSAGE = "ログインに続けて失敗したため、アカウントを15分間ロックしています。しばらくしてから再度お試しください。"
GENERIC = "ログインIDまたはパスワードが正しくありません。"


def sign_in(browser, login_id: str, password: str, **extra):
    return browser.post("/login", {"login_id": login_id, "password": password, "next": "/", **extra})


def token_of(browser) -> str:
    return session_signer(browser.settings).unsign(browser.client.cookies[SESSION_COOKIE])


def me(client) -> str | None:
    r = client.get("/api/v1/me")
    return r.json()["login_id"] if r.status_code == 200 else None


def set_cookies(response) -> dict[str, SimpleCookie]:
    out = {}
    for header in response.headers.get_list("set-cookie"):
        c = SimpleCookie()
        c.load(header)
        for name, morsel in c.items():
            out[name] = (morsel, header)
    return out


# --- session fixation ------------------------------------------------------------------------------------

def test_a_planted_session_cookie_is_replaced_and_never_signed_in(browser, demo_engine):
    """An attacker who sets the victim's cookie to a value of their choosing gains nothing by the victim's login."""
    planted = session_signer(browser.settings).sign("attacker-chosen-session-id")
    browser.client.cookies.set(SESSION_COOKIE, planted)
    assert me(browser.client) is None
    r = sign_in(browser, "shimin", PASSWORDS["shimin"])
    assert r.status_code == 303
    issued = set_cookies(r)[SESSION_COOKIE][0].value
    assert issued != planted, "login must issue a new session id"
    with Session(demo_engine) as s:
        assert s.get(LoginSession, token_hash("attacker-chosen-session-id")) is None
    attacker = TestClient(browser.client.app, base_url="http://testserver")
    attacker.cookies.set(SESSION_COOKIE, planted)
    assert me(attacker) is None, "the planted id is not a session"
    assert me(browser.client) == "shimin"


def test_login_does_not_upgrade_the_session_it_arrived_with(browser, demo_engine):
    """Signing in as shimin while carrying zeimu's session: shimin gets a new id, zeimu's stays zeimu's."""
    browser.login_as("zeimu")
    old = browser.client.cookies[SESSION_COOKIE]
    r = sign_in(browser, "shimin", PASSWORDS["shimin"])
    issued = set_cookies(r)[SESSION_COOKIE][0].value
    assert r.status_code == 303 and issued != old
    for cookie, login in ((issued, "shimin"), (old, "zeimu")):
        client = TestClient(browser.client.app, base_url="http://testserver")
        client.cookies.set(SESSION_COOKIE, cookie)
        assert me(client) == login


def test_only_a_hash_of_the_session_token_is_stored(browser, demo_engine):
    sign_in(browser, "kodomo", PASSWORDS["kodomo"])
    token = token_of(browser)
    with Session(demo_engine) as s:
        ids = s.exec(select(LoginSession.id)).all()
    assert token_hash(token) in ids and token not in ids
    assert len(token) >= 40, "at least 32 random bytes"


# --- logout and invalid cookies ----------------------------------------------------------------------------

def test_logout_revokes_only_this_session_on_the_server(browser, demo_engine):
    sign_in(browser, "hoken", PASSWORDS["hoken"])
    first = browser.client.cookies[SESSION_COOKIE]
    second_client = TestClient(browser.client.app, base_url="http://testserver")
    second_client.cookies.set(SESSION_COOKIE, session_signer(browser.settings).sign(browser.tokens["hoken"]))
    assert browser.post("/logout").status_code == 303
    with Session(demo_engine) as s:
        row = s.get(LoginSession, token_hash(session_signer(browser.settings).unsign(first)))
        assert row.revoked_at is not None
        assert "logout" in s.exec(select(AuditLog.action).where(AuditLog.entity_id == "hoken")).all()
    replay = TestClient(browser.client.app, base_url="http://testserver")
    replay.cookies.set(SESSION_COOKIE, first)
    assert replay.get("/", follow_redirects=False).status_code == 303
    assert replay.get("/api/v1/me").status_code == 401
    assert me(second_client) == "hoken", "the user's other sign-ins stay"


def test_logged_out_cookie_cannot_change_anything(browser, demo_engine):
    sign_in(browser, "records", PASSWORDS["records"])
    stolen = browser.client.cookies[SESSION_COOKIE]
    browser.post("/logout")
    browser.client.cookies.set(SESSION_COOKIE, stolen)
    before = fingerprint(demo_engine)
    r = browser.post("/library", {"title": "盗んだ Cookie", "text": "x", "audience": "staff", "active": "1"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert fingerprint(demo_engine) == before


@pytest.mark.parametrize("tamper", ["flip-signature", "unsigned-token", "other-secret"])
def test_forged_cookies_are_rejected(browser, tamper):
    token = browser.tokens["admin"]
    good = session_signer(browser.settings).sign(token)
    if tamper == "flip-signature":
        cookie = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    elif tamper == "unsigned-token":
        cookie = token
    else:
        cookie = session_signer(Settings(secret_key="another-secret-key-of-another-install-0123456789")).sign(token)
    browser.client.cookies.set(SESSION_COOKIE, cookie)
    assert browser.get("/admin").status_code == 303
    assert browser.client.get("/api/v1/me").status_code == 401


def test_expired_sessions_and_disabled_users_are_signed_out(browser, demo_engine):
    browser.login_as("zeimu")
    assert me(browser.client) == "zeimu"
    with Session(demo_engine) as s:
        row = s.get(LoginSession, token_hash(browser.tokens["zeimu"]))
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert me(browser.client) is None
    browser.login_as("kodomo")
    assert me(browser.client) == "kodomo"
    with Session(demo_engine) as s:
        user = s.exec(select(User).where(User.login_id == "kodomo")).one()
        user.active = False
        s.add(user)
        s.commit()
    assert me(browser.client) is None
    assert browser.get("/").status_code == 303


def test_an_admin_password_reset_ends_the_users_sessions(browser, demo_engine):
    """Like the user's own password change: a reset by the administrator signs the account out everywhere."""
    victim = TestClient(browser.client.app, base_url="http://testserver")
    victim.cookies.set(SESSION_COOKIE, session_signer(browser.settings).sign(browser.tokens["zeimu"]))
    assert me(victim) == "zeimu"
    browser.login_as("admin")
    with Session(demo_engine) as s:
        uid = s.exec(select(User.id).where(User.login_id == "zeimu")).one()
    from tests.security.helpers import form_fields, replace

    form = replace(form_fields(browser, f"/admin/users/{uid}", f"/admin/users/{uid}"), new_password="Kazei-Reset-2026",
                   new_password_confirm="Kazei-Reset-2026")
    assert browser.post(f"/admin/users/{uid}", form).status_code == 303
    assert me(victim) is None, "the session opened with the old password still works"
    assert me(browser.client) == "admin"


# --- cookie attributes -----------------------------------------------------------------------------------

def _cookie_headers_of_a_session(client) -> dict[str, str]:
    """Set-Cookie headers seen while signing in, using a page with a flash message, and signing out."""
    seen: dict[str, list[str]] = {}

    def keep(r):
        for name, (_, header) in set_cookies(r).items():
            seen.setdefault(name, []).append(header)
        return r

    keep(client.get("/login"))
    token = client.cookies["csrftoken"]
    keep(client.post("/login", data={"csrftoken": token, "login_id": "shimin", "password": PASSWORDS["shimin"]},
                     follow_redirects=False))
    keep(client.get("/"))  # shows and deletes the flash cookie
    keep(client.post("/logout", data={"csrftoken": token}, follow_redirects=False))
    return seen


def test_cookie_attributes(browser):
    seen = _cookie_headers_of_a_session(browser.client)
    assert set(seen) >= {SESSION_COOKIE, "csrftoken", "spia_flash"}
    issued = seen[SESSION_COOKIE][0]
    assert re.search(r"(?i)\bhttponly\b", issued) and re.search(r"(?i)samesite=lax", issued)
    assert re.search(r"(?i)path=/", issued) and re.search(r"(?i)max-age=36000", issued), "SPIA_SESSION_HOURS=10"
    assert "secure" not in issued.lower(), "no Secure flag unless SPIA_COOKIE_SECURE=true"
    csrf = seen["csrftoken"][0]
    assert re.search(r"(?i)\bhttponly\b", csrf) and re.search(r"(?i)samesite=strict", csrf)
    for header in seen["spia_flash"]:
        assert re.search(r"(?i)\bhttponly\b", header) and re.search(r"(?i)samesite=lax", header)


def test_every_cookie_is_secure_when_configured(monkeypatch, demo_engine):
    monkeypatch.setenv("SPIA_COOKIE_SECURE", "true")
    settings = Settings(database_url=dbutil.TEST_DATABASE_URL or "sqlite://", secret_key=TEST_SECRET,
                        environment="test")
    assert settings.cookie_secure is True
    asgi = build_asgi(settings, engine=demo_engine)
    asgi.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    with TestClient(asgi, base_url="https://testserver") as client:
        seen = _cookie_headers_of_a_session(client)
    assert set(seen) >= {SESSION_COOKIE, "csrftoken", "spia_flash"}
    for name, headers in seen.items():
        for header in headers:
            assert re.search(r"(?i);\s*secure\b", header), f"{name} without Secure: {header}"
            assert re.search(r"(?i)\bhttponly\b", header), f"{name} without HttpOnly: {header}"


# --- lockout and enumeration -----------------------------------------------------------------------------

def _normalised(r) -> tuple[int, str, set[str]]:
    """Status, the page with the per-request token and the echoed login ID blanked, and the cookies set."""
    body = re.sub(r'name="csrftoken" value="[^"]*"', 'name="csrftoken" value=""', r.text)
    body = re.sub(r'data-csrf="[^"]*"', 'data-csrf=""', body)
    body = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', body)
    body = re.sub(r'(id="f-login_id" name="login_id" type="text" value=")[^"]*"', r'\1"', body)
    return r.status_code, body, set(set_cookies(r)) - {"csrftoken"}


def test_unknown_id_wrong_password_and_disabled_account_look_the_same(browser, demo_engine):
    with Session(demo_engine) as s:
        user = s.exec(select(User).where(User.login_id == "kodomo")).one()
        user.active = False
        s.add(user)
        s.commit()
    responses = {
        "unknown id": sign_in(browser, "nobody-here", "Some-password-1"),
        "wrong password": sign_in(browser, "shimin", "Some-password-1"),
        "disabled account, right password": sign_in(browser, "kodomo", PASSWORDS["kodomo"]),
    }
    shapes = {k: _normalised(r) for k, r in responses.items()}
    first = next(iter(shapes.values()))
    for name, shape in shapes.items():
        assert shape == first, f"{name} answers differently from an unknown id"
    assert first[0] == 401 and GENERIC in first[1] and SESSION_COOKIE not in first[2]


def test_lock_looks_the_same_for_real_and_unknown_accounts(browser):
    real = [sign_in(browser, "zeimu", "bad-password-9") for _ in range(5)]
    ghost = [sign_in(browser, "ghost-user", "bad-password-9") for _ in range(5)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [401, 401, 401, 401, 423]
    assert _normalised(real[-1]) == _normalised(ghost[-1])
    assert text_of(parse(real[-1].text), ".error-summary p") == LOCK_MESSAGE
    # while locked, the right password gets the very same answer as a wrong one
    assert _normalised(sign_in(browser, "zeimu", PASSWORDS["zeimu"])) == _normalised(real[-1])


def test_lock_is_per_account_and_success_resets_the_count(browser):
    for _ in range(4):
        assert sign_in(browser, "hoken", "bad-password-9").status_code == 401
    assert sign_in(browser, "hoken", PASSWORDS["hoken"]).status_code == 303, "4 failures do not lock"
    for _ in range(4):
        assert sign_in(browser, "hoken", "bad-password-9").status_code == 401, "the count started again"
    for _ in range(5):
        sign_in(browser, "zeimu", "bad-password-9")
    assert sign_in(browser, "zeimu", PASSWORDS["zeimu"]).status_code == 423
    assert sign_in(browser, "shimin", PASSWORDS["shimin"]).status_code == 303, "other accounts are not locked"


def test_admin_can_unlock(browser, demo_engine):
    for _ in range(5):
        sign_in(browser, "kodomo", "bad-password-9")
    assert sign_in(browser, "kodomo", PASSWORDS["kodomo"]).status_code == 423
    browser.login_as("admin")
    with Session(demo_engine) as s:
        uid = s.exec(select(User.id).where(User.login_id == "kodomo")).one()
    from tests.security.helpers import form_fields, replace

    form = replace(form_fields(browser, f"/admin/users/{uid}", f"/admin/users/{uid}"), unlock="1")
    assert browser.post(f"/admin/users/{uid}", form).status_code == 303
    assert sign_in(browser, "kodomo", PASSWORDS["kodomo"]).status_code == 303


def test_login_needs_csrf_even_without_any_cookie(browser, demo_engine):
    """Login CSRF: a cross-site form arrives without cookies; it must not sign the victim in to any account."""
    browser.client.cookies.clear()
    before = fingerprint(demo_engine)
    r = browser.client.post("/login", data={"login_id": "records", "password": PASSWORDS["records"]},
                            follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert SESSION_COOKIE not in set_cookies(r)
    assert fingerprint(demo_engine) == before


# --- password policy ---------------------------------------------------------------------------------------

WEAK = [
    ("Short-1", "10文字以上"),
    ("a" * 190 + "1234567890Z", "200文字以内"),
    ("OnlyLettersHere", "英字と数字を両方"),
    ("12345678901234", "英字と数字を両方"),
    ("HOKEN-2026-pass", "ログインIDを含めないで"),  # case-insensitive
    ("ひらがなだけのパスワードです", "英字と数字を両方"),
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_own_password_change_enforces_the_policy(browser, demo_engine, password, message):
    browser.login_as("hoken")
    before = fingerprint(demo_engine)
    r = browser.post("/account/password", {"current": PASSWORDS["hoken"], "new": password, "confirm": password})
    assert r.status_code == 422 and message in text_of(parse(r.text), "#e-new")
    assert fingerprint(demo_engine) == before


def test_password_change_needs_the_current_password_and_a_matching_confirmation(browser):
    browser.login_as("hoken")
    r = browser.post("/account/password", {"current": "not-my-password-1", "new": "Kokuho-Neue-2026",
                                           "confirm": "Kokuho-Neue-2026"})
    assert r.status_code == 422 and "現在のパスワードが正しくありません" in r.text
    r = browser.post("/account/password", {"current": PASSWORDS["hoken"], "new": "Kokuho-Neue-2026",
                                           "confirm": "Kokuho-Neue-2027"})
    assert r.status_code == 422 and "確認用のパスワードが一致しません" in r.text
    assert sign_in(browser, "hoken", PASSWORDS["hoken"]).status_code == 303, "the old password still works"


@pytest.mark.parametrize(("password", "message"), WEAK[:4])
def test_admin_cannot_set_a_weak_password(browser, demo_engine, password, message):
    browser.login_as("admin")
    before = fingerprint(demo_engine)
    r = browser.post("/admin/users/new", {"login_id": "newcomer", "display_name": "新任 委員", "role": "council",
                                          "password": password})
    assert r.status_code == 422 and message in r.text
    with Session(demo_engine) as s:
        uid = s.exec(select(User.id).where(User.login_id == "zeimu")).one()
    from tests.security.helpers import form_fields, replace

    form = replace(form_fields(browser, f"/admin/users/{uid}", f"/admin/users/{uid}"), new_password=password)
    r = browser.post(f"/admin/users/{uid}", form)
    assert r.status_code == 422 and message in r.text
    assert fingerprint(demo_engine) == before
    assert sign_in(browser, "zeimu", PASSWORDS["zeimu"]).status_code == 303
