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
    soup = browser.page(url)
    form = soup.select_one("#page-form")
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
        else:
            pairs.append((name, el.get("value", "")))
    return pairs, form["action"]


def replace(pairs: list[tuple[str, str]], name: str, value: str | list[str]) -> list[tuple[str, str]]:
    values = value if isinstance(value, list) else [value]
    out = [(k, v) for k, v in pairs if k != name]
    return out + [(name, v) for v in values]


def saved_status(text: str) -> str:
    m = re.search(r'id="save-status"[^>]*>([^<]*)<', text)
    return m.group(1) if m else ""
