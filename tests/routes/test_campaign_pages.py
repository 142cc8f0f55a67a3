"""一括変更 pages: define (YAML) → plan → apply → progress page, report downloads; staff 403; CSRF."""
from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "assessments" / "demo" / "campaigns" / "gov_cloud.yaml"


def test_define_plan_apply_progress_report(browser):
    b = browser.login_as("records")
    page = b.page("/campaigns")
    assert "標準準拠システムへの移行" in page.get_text()  # the example is offered in the textarea
    r = b.post("/campaigns", {"spec": EXAMPLE.read_text("utf-8")})
    assert r.status_code == 303, r.text[:500]
    url = r.headers["location"]
    page = b.page(url)
    plan = page.select("#campaign-plan tbody tr")
    assert sorted(tr.get("data-status") for tr in plan) == ["ready"] * 5 + ["skipped"] * 2
    assert "IV.2.how" in " ".join(p.get_text() for p in page.select("[data-testid=not-applied]"))
    r = b.post(url + "/apply")
    assert r.status_code == 303
    page = b.page(url)
    rows = page.select("#campaign-progress tbody tr")
    assert len(rows) == 5 and not page.select("[data-testid=campaign-apply]")
    first = rows[0]
    assert "overdue" in (first.get("class") or "") and "住民基本台帳" in first.get_text()  # overdue first
    assert all(tr.select_one("[data-testid=stage]").get_text() == "作成中" for tr in rows)
    docx = b.get(url + "/report?format=docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    csv = b.get(url + "/report?format=csv")
    assert csv.status_code == 200 and "期限超過" in csv.content.decode("utf-8-sig")
    assert b.post(url + "/apply").status_code == 303  # re-applying changes nothing
    assert len(b.page(url).select("#campaign-progress tbody tr")) == 5


def test_a_bad_definition_is_shown_with_its_mistakes(browser):
    b = browser.login_as("records")
    r = b.post("/campaigns", {"spec": "name: x\n"})
    assert r.status_code == 422 and "reason" in r.text


def test_staff_get_403_and_csrf_is_required(browser):
    b = browser.login_as("shimin")
    assert b.get("/campaigns").status_code == 403
    assert b.post("/campaigns", {"spec": "name: x"}).status_code == 403
    b = browser.login_as("records")
    assert b.post("/campaigns", {"spec": "name: x"}, csrf=False).status_code == 403


def test_editing_a_definition_changed_meanwhile_is_refused_with_what_is_stored(browser, read):
    """The definition form carries the campaign's version: a second officer's save from the page shown before the
    first one saved is refused (409) naming both versions and the stored definition, and changes nothing."""
    from sqlmodel import select

    from app.models import Campaign

    b = browser.login_as("records")
    url = b.post("/campaigns", {"spec": EXAMPLE.read_text("utf-8")}).headers["location"]
    shown = b.page(url).select_one(f'form[action="{url}"] input[name=lock_version]')["value"]
    spec = EXAMPLE.read_text("utf-8")
    first = b.post(url, {"spec": spec.replace("name:", "name: 第1", 1), "lock_version": shown})
    assert first.status_code == 303, first.text[:500]
    stale = b.post(url, {"spec": spec.replace("name:", "name: 第2", 1), "lock_version": shown})
    assert stale.status_code == 409, stale.text[:500]
    assert f"編集を始めた時点の版: {shown}" in stale.text and "現在の登録内容" in stale.text
    missing = b.post(url, {"spec": spec.replace("name:", "name: 第3", 1)})  # a form without its version
    assert missing.status_code == 409
    names = [c.name for c in read(select(Campaign))]
    assert any(n.startswith("第1") for n in names) and not any(n.startswith(("第2", "第3")) for n in names), names
