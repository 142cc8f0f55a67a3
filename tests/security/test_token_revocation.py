"""API and calendar tokens end with the password, role or account they were issued under, and a Bearer token
only opens the JSON API: it cannot reach the pages or mint new tokens (issue 11, item 6)."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import ApiToken, LoginSession, User, UserDepartment
from app.services import auth
from app.services import organisation as orgs


def _tokens(engine, login: str) -> tuple[str, str]:
    """(API token, calendar token) newly issued to `login`."""
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.login_id == login)).one()
        actor = auth.actor_for(s, user)
        return (auth.create_api_token(s, actor=actor, name="テスト用"),
                auth.create_api_token(s, actor=actor, name="カレンダー", purpose="calendar"))


def _api_status(browser, token: str) -> int:
    return browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _feed_status(browser, token: str) -> int:
    return browser.client.get(f"/calendar/{token}.ics").status_code


def _live(engine, login: str) -> dict[str, int]:
    with Session(engine) as s:
        uid = s.exec(select(User.id).where(User.login_id == login)).one()
        return {"tokens": len(s.exec(select(ApiToken).where(ApiToken.user_id == uid,
                                                              ApiToken.revoked_at.is_(None))).all()),
                "sessions": len(s.exec(select(LoginSession).where(LoginSession.user_id == uid,
                                                                  LoginSession.revoked_at.is_(None))).all())}


def test_own_password_change_revokes_api_and_calendar_tokens(browser, demo_engine):
    api, cal = _tokens(demo_engine, "shimin")
    assert _api_status(browser, api) == 200 and _feed_status(browser, cal) == 200
    browser.login_as("shimin")
    r = browser.post("/account/password", {"current": "Juki-Demo-2025", "new": "Neue-Pass-2026",
                                           "confirm": "Neue-Pass-2026"})
    assert r.status_code == 303
    browser.logout()
    assert _api_status(browser, api) == 401
    assert _feed_status(browser, cal) == 404
    assert _live(demo_engine, "shimin") == {"tokens": 0, "sessions": 1}  # this browser stays signed in


def _update(engine, login: str, **change) -> None:
    with Session(engine, expire_on_commit=False) as s:
        admin = auth.actor_for(s, s.exec(select(User).where(User.login_id == "admin")).one())
        user = s.exec(select(User).where(User.login_id == login)).one()
        depts = list(s.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).all())
        args = {"display_name": user.display_name, "role": user.role, "department_ids": depts, "active": user.active}
        args.update(change)
        orgs.update_user(s, actor=admin, user_id=user.id, **args)


@pytest.mark.parametrize("change", [
    {"new_password": "Reset-Pass-2026"},
    {"role": "records"},
    {"active": False},
], ids=["admin-reset", "role-change", "deactivation"])
def test_admin_changes_revoke_every_session_and_token(browser, demo_engine, change):
    api, cal = _tokens(demo_engine, "hoken")
    assert _live(demo_engine, "hoken")["sessions"] >= 1
    _update(demo_engine, "hoken", **change)
    assert _api_status(browser, api) == 401
    assert _feed_status(browser, cal) == 404
    assert _live(demo_engine, "hoken") == {"tokens": 0, "sessions": 0}


def test_reactivation_does_not_bring_the_feed_back(browser, demo_engine):
    api, cal = _tokens(demo_engine, "hoken")
    _update(demo_engine, "hoken", active=False)
    _update(demo_engine, "hoken", active=True)
    assert _feed_status(browser, cal) == 404 and _api_status(browser, api) == 401


def test_name_or_department_edits_keep_tokens(browser, demo_engine):
    api, cal = _tokens(demo_engine, "hoken")
    _update(demo_engine, "hoken", display_name="保険 花子")
    assert _api_status(browser, api) == 200 and _feed_status(browser, cal) == 200


def test_bearer_token_opens_the_api_only(browser, demo_engine):
    api, _ = _tokens(demo_engine, "shimin")
    browser.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {api}"}
    assert browser.client.get("/api/v1/me", headers=bearer).status_code == 200
    for url in ("/", "/jimu", "/account", "/admin"):
        r = browser.client.get(url, headers=bearer, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), (url, r.status_code)


def test_bearer_token_cannot_mint_tokens(browser, demo_engine):
    api, _ = _tokens(demo_engine, "shimin")
    before = _live(demo_engine, "shimin")["tokens"]
    browser.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {api}"}
    r = browser.client.post("/account/tokens", data={"name": "盗んだトークンから", "purpose": "api"},
                            headers=bearer, follow_redirects=False)
    assert r.status_code in (303, 401, 403), r.status_code
    assert _live(demo_engine, "shimin")["tokens"] == before
    # a session cookie plus a Bearer header does not skip the CSRF check either
    browser.login_as("shimin")
    browser.csrf()
    r = browser.post("/account/tokens", {"name": "CSRFなし", "purpose": "api"}, csrf=False, headers=bearer)
    assert r.status_code == 403
    assert _live(demo_engine, "shimin")["tokens"] == before


def test_signed_in_browser_still_mints_tokens(browser, demo_engine):
    browser.login_as("shimin")
    r = browser.post("/account/tokens", {"name": "連携用", "purpose": "api"})
    assert r.status_code == 200 and "連携用" in r.text
    assert _live(demo_engine, "shimin")["tokens"] == 1


def test_revoke_credentials_is_the_one_place(demo_engine):
    """Every path that changes what a credential stands for calls auth.revoke_credentials."""
    import inspect

    assert "revoke_credentials" in inspect.getsource(auth.change_password)
    assert "revoke_credentials" in inspect.getsource(orgs.update_user)
