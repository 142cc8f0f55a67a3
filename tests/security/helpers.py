"""Shared helpers of the security tests: the route list, path parameters, sign-in per role, "nothing changed"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from tests import dbutil

# Who plays each role. Staff are "own" or "other" relative to the record a route is called on (its subject).
ROLES = ("admin", "records", "own", "other", "council")
SUBJECT_STAFF = {
    "kokuho": ("hoken", "shimin"),  # 国民健康保険 (保険年金課): the draft 全項目 with a council review
    "juki": ("shimin", "hoken"),  # 住民基本台帳 (市民課): published, revised, in its yearly review
}
PASSWORDS = {"admin": "Kanri-Demo-2025", "records": "Bunsho-Demo-2025", "shimin": "Juki-Demo-2025",
             "zeimu": "Kazei-Demo-2025", "kodomo": "Teate-Demo-2025", "hoken": "Kokuho-Demo-2025",
             "council": "Shingi-Demo-2025"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def login_of(role: str, subject: str = "kokuho") -> str:
    if role in ("own", "other"):
        own, other = SUBJECT_STAFF[subject]
        return own if role == "own" else other
    return role


def app_routes(asgi) -> list[tuple[str, str]]:
    """(method, path template) of every route of the FastAPI app (HEAD is GET's twin and not listed)."""
    out = []
    for route in iter_route_contexts(asgi.fastapi.routes):
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append((method, route.path))
    return sorted(set(out), key=lambda r: (r[1], r[0]))


def app_mounts(asgi) -> list[str]:
    return sorted(r.path for r in iter_route_contexts(asgi.fastapi.routes) if not r.methods)


def path_params(ids, subject: str) -> dict[str, Any]:
    common = {"user_id": ids["hoken_user"], "token_id": ids["hoken_api_token"], "step_id": ids["workflow_step"],
              "token": ids["hoken_calendar"], "page_id": "I", "action_id": ids["kokuho_action"],
              "finding_id": ids["finding"], "condition_id": ids["condition"], "meeting_id": ids["meeting"],
              "department_id": ids["department"]}
    if subject == "kokuho":
        return {**common, "sha": ids["kokuho_figure"], "jimu_id": ids["kokuho_jimu"], "aid": ids["kokuho_full"],
                "vid": ids["kokuho_full_v"],
                "det_id": ids["kokuho_det"], "snapshot_id": ids["council_snapshot"],
                "version_id": ids["kokuho_full_v"], "assessment_id": ids["kokuho_full"]}
    return {**common, "sha": ids["juki_figure"], "jimu_id": ids["juki_jimu"], "aid": ids["juki_full"],
            "vid": ids["juki_full_revised_v"],
            "det_id": ids["juki_det"], "snapshot_id": ids["juki_submission_snapshot"],
            "version_id": ids["juki_full_published_v"], "assessment_id": ids["juki_full"],
            "rid": ids["annual_review"], "uid": ids["unmapped"], "cid": ids["annual_check"], "group": "checklist"}


def fill_path(template: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), template)


def fingerprint(engine) -> dict[str, int]:
    """Row count of every table (and the newest audit row): equal before and after means nothing was written."""
    from app.models import AuditLog

    out = {}
    with engine.connect() as conn:
        for t in dbutil.tables():
            out[t.name] = conn.execute(select(func.count()).select_from(t)).scalar_one()
        # Records of reading (exports, downloads) and of refused attempts are not changes.
        changes = AuditLog.action.not_in(("output", "denied"))
        out["auditlog"] = conn.execute(select(func.count()).select_from(AuditLog).where(changes)).scalar_one()
        out["auditlog.max_id"] = conn.execute(select(func.max(AuditLog.id)).where(changes)).scalar_one() or 0
    return out


def audit_count(engine) -> int:
    from app.models import AuditLog

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action.not_in(("output", "denied")))).scalar_one()


@dataclass
class Sent:
    status: int
    location: str
    text: str
    content_type: str


def send(browser, method: str, url: str, data: Any = None, *, csrf: bool = True, headers: dict | None = None) -> Sent:
    """A request as the signed-in user: forms for pages (CSRF field), JSON for the API (CSRF header)."""
    headers = dict(headers or {})
    if url.startswith("/api/"):
        if csrf:
            headers["X-CSRFToken"] = browser.csrf()
        kwargs = {"json": data} if method in STATE_CHANGING else {}
        r = browser.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
    elif method == "GET":
        r = browser.client.get(url, headers=headers, follow_redirects=False)
    else:
        r = browser.post(url, data or {}, csrf=csrf, headers=headers)
    return Sent(r.status_code, r.headers.get("location", ""), r.text if "text" in r.headers.get("content-type", "")
                or "json" in r.headers.get("content-type", "") else "", r.headers.get("content-type", ""))


def form_fields(browser, page_url: str, action: str) -> list[tuple[str, str]]:
    """What a browser would post from the form with `action` on `page_url` (current values, CSRF field left out)."""
    from tests.html import parse

    r = browser.get(page_url)
    assert r.status_code == 200, f"GET {page_url}: {r.status_code}"
    soup = parse(r.text)
    form = next((f for f in soup.find_all("form") if (f.get("action") or "").split("#")[0] == action), None)
    assert form is not None, f"no form posting to {action} on {page_url}"
    pairs: list[tuple[str, str]] = []
    for el in form.select("input[name], textarea[name], select[name]"):
        name = el["name"]
        if name == "csrftoken" or el.has_attr("disabled") or el.get("type") in ("submit", "button"):
            continue
        if el.name == "textarea":
            pairs.append((name, el.get_text()))
        elif el.name == "select":
            opt = el.select_one("option[selected]") or el.select_one("option")
            pairs.append((name, opt.get("value", "") if opt else ""))
        elif el.get("type") in ("checkbox", "radio"):
            if el.has_attr("checked"):
                pairs.append((name, el.get("value", "on")))
        else:
            pairs.append((name, el.get("value", "")))
    return pairs


def replace(pairs: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in pairs if k not in values]
    return out + list(values.items())
