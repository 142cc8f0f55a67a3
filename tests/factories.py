"""Small helpers that drive the app like a user (through the Browser test client) or set data up directly."""
from __future__ import annotations

import re

from sqlmodel import select

from app.models import Assessment, AssessmentVersion, Jimu, PageLock
from tests.html import parse


def jimu_id(read, name: str) -> int:
    return read(select(Jimu.id).where(Jimu.name == name))[0]


def create_assessment(browser, read, jimu_name: str, forms: list[str], login: str) -> list[int]:
    browser.login_as(login)
    jid = jimu_id(read, jimu_name)
    r = browser.post(f"/jimu/{jid}/assessments/new", [("forms", f) for f in forms])
    assert r.status_code == 303, parse(r.text).select_one(".error-summary")
    return [a.id for a in read(select(Assessment).where(Assessment.jimu_id == jid).order_by(Assessment.id))]


def version_of(read, assessment_id: int) -> AssessmentVersion:
    return read(select(AssessmentVersion).where(AssessmentVersion.assessment_id == assessment_id)
                .order_by(AssessmentVersion.seq.desc()))[0]


def lock_of(read, version_id: int, page_id: str, file_uid: str = "") -> int:
    return read(select(PageLock.lock).where(PageLock.version_id == version_id, PageLock.page_id == page_id,
                                            PageLock.file_uid == file_uid))[0]


def page_form(browser, url: str) -> tuple[list[tuple[str, str]], str]:
    """The fields a browser would post for the editor page at `url` (what is checked/typed now), and its action."""
    return form_fields(browser.page(url))


def form_fields(soup) -> tuple[list[tuple[str, str]], str]:
    """The fields of a parsed page's #page-form as a browser would post them now, and the form's action."""
    form = soup.select_one("#page-form")
    assert form is not None, str(soup)[:500]
    pairs: list[tuple[str, str]] = []
    for el in form.select("input[name], textarea[name], select[name]"):
        name = el["name"]
        if name == "csrftoken" or el.has_attr("disabled"):
            continue
        if el.name == "textarea":
            pairs.append((name, el.get_text()))
        elif el.name == "select":
            opt = el.select_one("option[selected]") or el.select_one("option")
            pairs.append((name, opt["value"] if opt else ""))
        elif el.get("type") in ("checkbox", "radio"):
            if el.has_attr("checked"):
                pairs.append((name, el.get("value", "on")))
        elif el.get("type") not in ("submit", "button"):
            pairs.append((name, el.get("value", "")))
    return pairs, form["action"]


def replace(pairs: list[tuple[str, str]], name: str, value: str | list[str]) -> list[tuple[str, str]]:
    values = value if isinstance(value, list) else [value]
    out = [(k, v) for k, v in pairs if k != name]
    return out + [(name, v) for v in values]


def saved_status(text: str) -> str:
    m = re.search(r'id="save-status"[^>]*>([^<]*)<', text)
    return m.group(1) if m else ""


def new_jimu(browser, read, *, login: str = "kodomo", dept: str = "こども家庭課", name: str = "児童扶養手当に関する事務",
             subjects: int = 8_000, handlers: int = 30, files: list[str] | None = None) -> int:
    """Register a 事務 (over the API) and record its しきい値判断; return the 事務 id."""
    from app.models import Department

    browser.login_as(login)
    dept_id = read(select(Department.id).where(Department.name == dept))[0]
    names = files or [f"{name.replace('に関する事務', '')}ファイル"]
    body = {"name": name, "department_id": dept_id, "handlers": handlers, "handlers_as_of": "2026-04-01",
            "files": [{"name": n, "subjects": subjects // len(names), "subjects_as_of": "2026-04-01"} for n in names]}
    r = browser.api("POST", "/api/v1/jimu", json=body)
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    assert browser.api("POST", f"/api/v1/jimu/{jid}/determinations", json={}).status_code == 201
    return jid


def new_assessment(browser, read, form: str = "basic", **kw) -> int:
    """A fresh 事務 with a new 評価書 of `form` (plus its 基礎 when the form is 重点/全項目); returns the form's id."""
    jid = new_jimu(browser, read, **kw)
    forms = [form] if form == "basic" else ["basic", form]
    r = browser.post(f"/jimu/{jid}/assessments/new", [("forms", f) for f in forms])
    assert r.status_code == 303, parse(r.text).select_one(".error-summary")
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form))[0]
