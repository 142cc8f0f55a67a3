"""Issue 14 item 7: 「意見公募を開始」 and 「第三者点検」 are not offered before their method/period or 諮問 exist —
the button is disabled naming the missing step, and the form that records it sits under the button; saving
it comes back to the 評価書 page, where the button is then usable."""
from __future__ import annotations

from datetime import date

from sqlmodel import select

from app.models import Council
from tests.html import text_of
from tests.routes.test_procedure import clock, fire, version
from tests.routes.test_procedure_guards import complete_version, pair  # noqa: F401 - fixture


def _fields(form) -> list[tuple[str, str]]:
    out = [(i["name"], i.get("value", "")) for i in form.select("input[name]") if i["name"] != "csrftoken"]
    out += [(t["name"], t.get_text()) for t in form.select("textarea[name]")]
    out += [(s["name"], (s.select_one("option[selected]") or s.select_one("option"))["value"])
            for s in form.select("select[name]")]
    return out


def _button(page, action):
    return page.select_one(f"form.transition button[data-action='{action}']")


def test_comment_period_form_sits_under_the_disabled_button(browser, read, pair, demo_engine):  # noqa: F811
    full, _ = pair
    v = complete_version(demo_engine, read, full)
    browser.login_as("records")
    assert fire(browser, read, full, "submit_for_check").status_code == 303
    page = browser.page(f"/assessments/{full}")
    assert _button(page, "start_comment").has_attr("disabled")
    assert "方法・期間を登録" in text_of(page, "[data-testid=missing-start_comment]")
    setup = page.select_one("[data-testid=setup-comment]")
    assert setup is not None and setup.has_attr("open"), "a mandatory step's form is open"
    form = setup.select_one("form")
    assert form["action"] == f"/versions/{v.id}/comment"
    fields = dict(_fields(form))
    assert fields["back"] == "procedure" and fields["start_on"] == "2026-11-23" and fields["method"]
    fields["end_on"] = "2026-12-22"
    r = browser.post(form["action"], list(fields.items()))
    assert r.status_code == 303 and r.headers["location"] == f"/assessments/{full}#procedure"
    page = browser.page(f"/assessments/{full}")
    assert "意見公募の方法と期間を登録しました" in text_of(page, ".flash")
    assert not _button(page, "start_comment").has_attr("disabled")
    assert page.select_one("[data-testid=setup-comment]") is None
    assert page.select_one("[data-testid=missing-start_comment]") is None


def test_staff_are_not_offered_the_records_form(browser, read, pair, demo_engine):  # noqa: F811
    full, _ = pair
    complete_version(demo_engine, read, full)
    browser.login_as("hoken")
    assert fire(browser, read, full, "submit_for_check").status_code == 303
    page = browser.page(f"/assessments/{full}")
    assert page.select_one("[data-testid=setup-comment]") is None


def test_review_form_sits_under_the_disabled_button(app, browser, read, pair, demo_engine):  # noqa: F811
    full, _ = pair
    v = complete_version(demo_engine, read, full)
    browser.login_as("records")
    assert fire(browser, read, full, "submit_for_check").status_code == 303
    assert browser.post(f"/versions/{v.id}/comment", {"what": "setup", "method": "市HP", "start_on": "2026-11-23",
                                                      "end_on": "2026-12-22"}).status_code == 303
    assert fire(browser, read, full, "start_comment").status_code == 303
    clock(app, date(2026, 12, 23))
    assert fire(browser, read, full, "close_comment").status_code == 303
    page = browser.page(f"/assessments/{full}")
    assert _button(page, "start_review").has_attr("disabled")
    assert "諮問日を登録" in text_of(page, "[data-testid=missing-start_review]")
    form = page.select_one("[data-testid=setup-review] form")
    fields = dict(_fields(form))
    assert fields["council_id"] == str(read(select(Council.id))[0]) and fields["consulted_on"] == "2026-12-23"
    r = browser.post(form["action"], list(fields.items()))
    assert r.status_code == 303 and r.headers["location"] == f"/assessments/{full}#procedure"
    page = browser.page(f"/assessments/{full}")
    assert not _button(page, "start_review").has_attr("disabled")
    assert page.select_one("[data-testid=setup-review]") is None
    assert fire(browser, read, full, "start_review").status_code == 303
    assert version(read, full).stage == "third_party_review"

