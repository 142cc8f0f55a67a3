"""The calendar (ICS) feed: names cannot break it, its token stays out of the logs, deactivation ends it
(issue 11, item 15)."""
from __future__ import annotations

import re

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.domain.policy import SYSTEM
from app.errors import ValidationFailed
from app.logredact import redact
from app.models import Jimu, User
from app.services import auth
from app.services import organisation as orgs
from tests.robustness.helpers import ServeProcess, scratch_database

BAD_NAMES = ["保険\n花子", "保険\r\n花子", "保険\t花子", "保険\r花子", "保険\u2028花子", "保険\x0b花子", "保険\x01花子"]


def _calendar_token(engine, login: str) -> str:
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.login_id == login)).one()
        return auth.create_api_token(s, actor=auth.actor_for(s, user), name="カレンダー", purpose="calendar")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_admin_form_refuses_names_with_line_breaks_or_control_characters(browser, demo_engine, name):
    with Session(demo_engine) as s:
        user = s.exec(select(User).where(User.login_id == "hoken")).one()
    browser.login_as("admin")
    from tests.security.helpers import form_fields, replace

    pairs = replace(form_fields(browser, f"/admin/users/{user.id}", f"/admin/users/{user.id}"), display_name=name)
    r = browser.post(f"/admin/users/{user.id}", pairs)
    assert r.status_code == 422, r.status_code
    assert "氏名に" in r.text and ("改行やタブ" in r.text or "制御文字" in r.text)
    with Session(demo_engine) as s:
        assert s.get(User, user.id).display_name == user.display_name


@pytest.mark.parametrize("name", BAD_NAMES[:3])
def test_new_users_and_the_cli_refuse_such_names_too(db, name):
    with pytest.raises(ValidationFailed) as exc:
        orgs.create_user(db, actor=SYSTEM, organisation_id=1, login_id="newcomer", display_name=name,
                         role="records", password="Newcomer-2026", department_ids=[])
    assert "1行で入力" in exc.value.errors["display_name"]


def test_cli_user_create_refuses_a_name_with_a_line_break(demo_engine, monkeypatch):
    from app.cli import app
    from app.config import get_settings

    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["user", "create", "--login", "chief2", "--role", "records", "--name",
                                     "文書\n担当", "--password", "Chief-Pass-2026"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code != 0 and "1行で入力" in r.output


def test_feed_escapes_every_text_property_even_for_names_stored_before_validation(browser, demo_engine):
    token = _calendar_token(demo_engine, "hoken")
    with Session(demo_engine) as s:  # rows written before names were validated (or by a direct SQL fix-up)
        user = s.exec(select(User).where(User.login_id == "hoken")).one()
        user.display_name = "保険\r\n花子;,\\\t\x01"
        s.add(user)
        for jimu in s.exec(select(Jimu)).all():
            jimu.name = jimu.name + "\nEND:VCALENDAR\r\nBEGIN:VEVENT"
            s.add(jimu)
        s.commit()
    r = browser.get(f"/calendar/{token}.ics")
    assert r.status_code == 200, r.status_code
    body = r.content.decode()
    lines = body.split("\r\n")
    assert lines.count("END:VCALENDAR") == 1 and body.count("BEGIN:VCALENDAR") == 1
    assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", body.replace("\r\n", "").replace("\t", " ")), \
        "no bare control characters or line breaks inside a content line"
    unfolded = body.replace("\r\n ", "").split("\r\n")
    assert "X-WR-CALNAME:特定個人情報保護評価の期限(保険\\n花子\\;\\,\\\\ )" in unfolded
    cal = Calendar.from_ical(r.content)
    events = list(cal.walk("VEVENT"))
    assert events and all(str(e["summary"]) for e in events)


def test_deactivation_ends_the_feed_for_good(browser, demo_engine):
    token = _calendar_token(demo_engine, "hoken")
    assert browser.get(f"/calendar/{token}.ics").status_code == 200
    with Session(demo_engine, expire_on_commit=False) as s:
        admin = auth.actor_for(s, s.exec(select(User).where(User.login_id == "admin")).one())
        user = s.exec(select(User).where(User.login_id == "hoken")).one()
        from app.models import UserDepartment

        depts = list(s.exec(select(UserDepartment.department_id).where(UserDepartment.user_id == user.id)).all())
        for active in (False, True):
            orgs.update_user(s, actor=admin, user_id=user.id, display_name=user.display_name, role=user.role,
                             department_ids=depts, active=active)
    assert browser.get(f"/calendar/{token}.ics").status_code == 404


def test_redact_hides_feed_tokens():
    line = '127.0.0.1:5000 - "GET /calendar/AbC-_123xyz.ics HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1:5000 - "GET /calendar/***.ics HTTP/1.1" 200'
    assert redact("/calendar/tok.ics?x=1") == "/calendar/***.ics?x=1"


def test_feed_token_never_reaches_the_server_log(tmp_path, demo_engine):
    """`spia serve` in a real process: its access log shows the feed request, never the token."""
    with scratch_database(tmp_path, "icslog") as url:
        from app.db import make_engine

        eng = make_engine(url)
        try:
            token = _calendar_token(eng, "hoken")
        finally:
            eng.dispose()
        log = tmp_path / "serve.log"
        server = ServeProcess(url, log=log).start()
        try:
            r = httpx.get(f"{server.url}/calendar/{token}.ics", timeout=60)
            missing = httpx.get(f"{server.url}/calendar/not-a-real-token.ics", timeout=60)
        finally:
            server.stop()
    assert r.status_code == 200 and missing.status_code == 404
    text = log.read_text(errors="replace")
    assert "/calendar/***.ics" in text, text[-2000:]
    assert token not in text and "not-a-real-token" not in text
