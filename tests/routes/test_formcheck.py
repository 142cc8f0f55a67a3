"""「様式の照合」 in the browser: roles, CSRF, upload limits, the result table, and the confirmation record
(verify → confirm → recorded and audited → definition changed → 再照合が必要)."""
from __future__ import annotations

import shutil

import pytest
from sqlmodel import Session, select

from app.config import ROOT, get_settings
from app.models import AuditLog, FormConfirmation, Organisation
from app.services import catalogue as cat
from app.services import formcheck
from tests import formfiles as tf
from tests.html import check_page, parse

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def forms_dir(tmp_path, monkeypatch):
    base = tmp_path / "assessments"
    shutil.copytree(ROOT / "assessments", base)
    monkeypatch.setenv("SPIA_FORMS_DIR", str(base))
    get_settings.cache_clear()
    cat._load.cache_clear()
    yield base
    get_settings.cache_clear()
    cat._load.cache_clear()


def _upload(browser, key, name, data, *, csrf=True):
    fields = {"form_version": key, **({"csrftoken": browser.csrf()} if csrf else {})}
    return browser.client.post("/admin/forms/verify", data=fields, files={"file": (name, data, DOCX)},
                               follow_redirects=False)


def _page(r, status=200):
    assert r.status_code == status, r.text[:500]
    return check_page(parse(r.text))


def _row_of(page, key):
    return page.select_one(f"#form-version-table tr[data-form='{key}'] td.confirmation").get_text(" ", strip=True)


@pytest.mark.parametrize("login", ["admin", "records"])
def test_page_for_records_and_admin(browser, login):
    browser.login_as(login)
    page = browser.page("/admin/forms")
    assert page.h1.get_text() == "様式の照合"
    keys = [tr["data-form"] for tr in page.select("#form-version-table tbody tr")]
    assert set(keys) == {d.key for d in cat.catalogue().all()}
    assert _row_of(page, "full/r06-10") == "未照合"
    form = page.select_one("form[action='/admin/forms/verify']")
    assert form["enctype"] == "multipart/form-data" and form.select_one("input[type=file]#f-file")


@pytest.mark.parametrize("login", ["shimin", "council"])
def test_staff_and_council_get_403(browser, login):
    browser.login_as(login)
    assert browser.get("/admin/forms").status_code == 403
    d = cat.catalogue().get("basic", "r06-10")
    assert _upload(browser, "basic/r06-10", "a.docx", tf.build_docx(d)).status_code == 403


def test_upload_without_csrf_token_is_refused(browser):
    browser.login_as("records")
    browser.csrf()
    d = cat.catalogue().get("basic", "r06-10")
    r = _upload(browser, "basic/r06-10", "a.docx", tf.build_docx(d), csrf=False)
    assert r.status_code == 403


def test_oversize_upload_is_413(browser):
    browser.login_as("records")
    r = _upload(browser, "basic/r06-10", "big.txt", b"a" * (browser.settings.max_upload_bytes + 10))
    assert r.status_code == 413 and "大きすぎます" in r.text


@pytest.mark.parametrize(("key", "name", "data", "field", "message"), [
    ("basic/r06-10", "a.pdf", b"%PDF-1.4", "file", "照合できるのは"),
    ("basic/r06-10", "a.docx", b"broken", "file", "読み込めません"),
    ("", "a.docx", b"x", "form_version", "様式の版を選んでください"),
])
def test_bad_input_is_a_japanese_422(browser, key, name, data, field, message):
    browser.login_as("records")
    page = _page(_upload(browser, key, name, data), 422)
    assert message in page.select_one(f"#e-{field}").get_text()
    assert not page.select_one("#verify-result")


def test_differences_are_a_table_and_cannot_be_confirmed(browser, demo_engine):
    browser.login_as("records")
    d = cat.catalogue().get("full", "r06-10")
    e = tf.first_numbered_item(d, "②")
    v = tf.Variant(relabel={e.key: e.label + "等"}, drop={tf.first_numbered_item(d, "③").key})
    page = _page(_upload(browser, "full/r06-10", "yoshiki4.docx", tf.build_docx(d, v)))
    counts = [td.get_text() for td in page.select("#verify-counts tbody td")]
    n = len(tf.expected_entries(d))
    assert counts == [str(n - 2), "1", "1", "0"]
    rows = page.select("#verify-rows tbody tr")
    assert len(rows) == n
    differs = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in rows if tr["data-status"] == "differs"]
    assert differs == [["相違", e.key, e.text, f"{e.number} {e.label}等", differs[0][4]]]
    assert not page.select_one("#confirm-form")
    with Session(demo_engine) as s:
        assert not s.exec(select(FormConfirmation)).all()


def test_verify_confirm_then_a_definition_change_reopens(browser, demo_engine, forms_dir):
    browser.login_as("records")
    d = cat.catalogue().get("basic", "r06-10")
    page = _page(_upload(browser, "basic/r06-10", "様式2.docx", tf.build_docx(d)))
    assert page.select_one("#verify-summary").get_text().endswith("(差異 0 件)")
    form = page.select_one("#confirm-form")
    token = form.select_one("input[name=token]")["value"]
    r = browser.post("/admin/forms/confirm", {"token": token, "checked_on": "2026-11-20", "checked_by": " 総務課  佐藤 "})
    assert r.status_code == 303, r.text[:500]
    assert _row_of(browser.page("/admin/forms"), "basic/r06-10") == "照合済み : 令和8年11月20日 に 総務課 佐藤 が 様式2.docx で照合"
    with Session(demo_engine) as s:
        org = s.exec(select(Organisation)).first()
        record = formcheck.confirmation(s, org.id, cat.catalogue().get("basic", "r06-10"))
        assert record is not None and record.checked_by == "総務課 佐藤" and len(record.file_sha256) == 64
        assert record.recorded_by is not None
        log = s.exec(select(AuditLog).where(AuditLog.entity == "form_confirmation")).one()
        assert log.action == "create" and "様式2.docx" in log.note

    # the definition changes: the record stays, but no longer counts
    section = forms_dir / "basic" / "r06-10" / "sections" / "10_I.yaml"
    text = section.read_text(encoding="utf-8")
    label = d.sections[1].items[0].label
    section.write_text(text.replace(f"label: {label}\n", f"label: {label}等\n", 1), encoding="utf-8")
    cat._load.cache_clear()
    assert cat.catalogue().get("basic", "r06-10").sections[1].items[0].label == label + "等"
    with Session(demo_engine) as s:
        org = s.exec(select(Organisation)).first()
        assert formcheck.confirmation(s, org.id, cat.catalogue().get("basic", "r06-10")) is None
    row = _row_of(browser.page("/admin/forms"), "basic/r06-10")
    assert row.startswith("定義が変更されたため再照合が必要です") and "前回: 令和8年11月20日" in row

    # the old token (made against the old definition) cannot record a new confirmation
    r = browser.post("/admin/forms/confirm", {"token": token, "checked_on": "2026-11-21", "checked_by": "佐藤"})
    assert r.status_code == 422 and "もう一度照合してください" in r.text


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"checked_on": "2026-11-20", "checked_by": "  "}, "checked_by", "氏名を入力してください"),
    ({"checked_on": "2099-01-01", "checked_by": "佐藤"}, "checked_on", "未来の日付"),
    ({"checked_on": "2026/11/20", "checked_by": "佐藤"}, "checked_on", "YYYY-MM-DD"),
    ({"checked_on": "2026-11-20", "checked_by": "佐" * 101}, "checked_by", "100文字以内"),
])
def test_confirm_bad_input_changes_nothing(browser, demo_engine, data, field, message):
    browser.login_as("records")
    d = cat.catalogue().get("basic", "r06-10")
    page = _page(_upload(browser, "basic/r06-10", "a.docx", tf.build_docx(d)))
    token = page.select_one("#confirm-form input[name=token]")["value"]
    page = _page(browser.post("/admin/forms/confirm", {"token": token, **data}), 422)
    assert message in page.select_one(f"#e-{field}").get_text()
    assert page.select_one("#confirm-form input[name=token]")["value"] == token
    with Session(demo_engine) as s:
        assert not s.exec(select(FormConfirmation)).all()


def test_forged_token_is_refused(browser, demo_engine):
    browser.login_as("records")
    r = browser.post("/admin/forms/confirm", {"token": "forged", "checked_on": "2026-11-20", "checked_by": "佐藤"})
    assert r.status_code == 422
    with Session(demo_engine) as s:
        assert not s.exec(select(FormConfirmation)).all()


def test_confirm_needs_csrf(browser):
    browser.login_as("records")
    r = browser.post("/admin/forms/confirm", {"token": "x", "checked_on": "2026-11-20", "checked_by": "佐藤"}, csrf=False)
    assert r.status_code == 403


def test_staff_cannot_confirm(browser):
    browser.login_as("shimin")
    r = browser.post("/admin/forms/confirm", {"token": "x", "checked_on": "2026-11-20", "checked_by": "佐藤"})
    assert r.status_code == 403


