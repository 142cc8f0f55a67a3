"""Authorization matrix: every route of the app × every role (admin, records, staff of the owning department,
staff of another department, council) and anonymous → the expected status.

EXPECTED below is the one table of expectations. A route of the app without an entry fails
`test_every_route_has_an_entry`, and so does an entry whose route no longer exists.

How each entry is checked (`test_route`), in a fresh copy of the demo city plus the records of world.py:
- the roles are tried in the order anonymous, council, other staff, own staff, records, admin (so the
  refused ones come first and see the data untouched); own/other staff depend on the entry's subject:
  国保 (hoken owns it, shimin does not) or 住基 (shimin owns it, hoken does not);
- POST/PUT are sent CSRF-valid, with the entry's `data` (empty unless stated), so a 403 proves the refusal
  comes before any validation; for refused state-changing requests no table gains or loses a row and no
  audit row is written;
- anonymous: pages answer 303 to /login?next=<the page>, the API answers 401 (JSON, Japanese);
- every 403 carries a Japanese message; no response is a 500.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from tests.security.helpers import (
    JAPANESE,
    PASSWORDS,
    STATE_CHANGING,
    app_mounts,
    app_routes,
    fill_path,
    fingerprint,
    login_of,
    path_params,
    send,
)

ORDER = (None, "council", "other", "own", "records", "admin")  # None = anonymous


@dataclass(frozen=True)
class Case:
    admin: int
    records: int
    own: int
    other: int
    council: int
    anon: int | None = None  # None: the default for a route that needs a sign-in (303 to /login, API 401)
    subject: str = "kokuho"
    data: Any = None  # form fields / JSON body, or a callable(ctx) returning them
    query: str = ""  # appended to the path (with {param} filled in)
    params: dict = field(default_factory=dict)  # path parameters that differ from the subject's defaults
    lifecycle: str = ""  # set for routes of the unfinished lifecycle module that misbehave (see LIFECYCLE)

    def expected(self, role: str | None) -> int | None:
        return self.anon if role is None else getattr(self, role)


def S(admin, records, own, other, council, **kw) -> Case:
    return Case(admin, records, own, other, council, **kw)


def ALL(status: int, **kw) -> Case:
    return Case(status, status, status, status, status, **kw)


def dept(status: int = 200, **kw) -> Case:
    """Staff of the owning department, records and admins; not other departments' staff nor the council."""
    return Case(status, status, status, 403, 403, **kw)


def records_only(status: int = 200, **kw) -> Case:
    """Organisation-wide registers and the procedure: the records section and admins."""
    return Case(status, status, 403, 403, 403, **kw)


def admin_only(status: int = 200, **kw) -> Case:
    return Case(status, 403, 403, 403, 403, **kw)


@dataclass
class Ctx:
    ids: Any
    role: str | None
    engine: Any
    params: dict = field(default_factory=dict)


def _jimu_body(ctx: Ctx) -> dict:
    """A valid new 事務 for 保険年金課 (department 6), named after the role so that names do not clash."""
    return {"name": f"高額療養費に関する事務({ctx.role})", "department_id": 6, "handlers": 20,
            "handlers_as_of": "2025-04-01",
            "files": [{"name": "高額療養費ファイル", "subjects": 5000, "subjects_as_of": "2025-04-01"}]}


def _jimu_update(ctx: Ctx) -> dict:
    return {"name": "国民健康保険に関する事務", "department_id": 6, "handlers": 520, "handlers_as_of": "2025-10-01",
            "legal_basis": "国民健康保険法", "lock_version": 1,
            "files": [{"name": "国民健康保険資格ファイル", "subjects": 152000, "subjects_as_of": "2025-10-01"},
                      {"name": "国民健康保険給付ファイル", "subjects": 98000, "subjects_as_of": "2025-10-01"}],
            "dedup_subjects": 152000, "dedup_note": "資格ファイルの人数とした。"}


def lock_of(engine, model, row_id) -> str:
    """The row's lock_version as the page's form carries it (a form post always names the version it shows)."""
    from sqlmodel import Session

    with Session(engine) as session:
        return str(session.get(model, row_id).lock_version)


def _action_close(ctx: Ctx) -> dict:
    from app.models import ImprovementAction

    return {"lock_version": lock_of(ctx.engine, ImprovementAction, ctx.ids["kokuho_action"])}


def _kokuho_json(ctx: Ctx) -> dict:
    """The lossless JSON of the 国保 全項目 working version (to import back into it)."""
    from sqlmodel import Session

    from app.domain.policy import Actor
    from app.services import jsonio

    with Session(ctx.engine) as s:
        return jsonio.export_version(s, actor=Actor(None, "tests", "system", 1), version_id=ctx.ids["kokuho_full_v"])


LOGIN_FORM = {"login_id": "records", "password": PASSWORDS["records"]}

# LIFECYCLE: routes of app/routes/lifecycle.py (being finished elsewhere). Entries are written to the same
# conventions as the rest; an entry with `lifecycle="…"` names a known misbehaviour and is reported as xfail.
EXPECTED: dict[tuple[str, str], Case | tuple[Case, ...]] = {
    # --- public: no sign-in needed
    ("GET", "/api/v1/openapi.json"): ALL(200, anon=200),
    ("GET", "/docs"): ALL(200, anon=200),  # Swagger UI page (vendored); the API itself needs a sign-in
    ("GET", "/healthz"): ALL(200, anon=200),
    ("GET", "/login"): ALL(200, anon=200),
    ("POST", "/login"): ALL(303, anon=303, data=LOGIN_FORM),  # signing in (again) works for anyone
    ("GET", "/calendar/{token}.ics"): ALL(200, anon=200),  # the secret token in the URL is the credential
    # --- signed in: everyone (lists are scoped to what the user may see; see test_list_scoping)
    ("POST", "/logout"): ALL(303),
    ("GET", "/"): ALL(200),
    ("GET", "/jimu"): ALL(200),
    ("GET", "/threshold"): ALL(200),
    ("GET", "/account"): ALL(200),
    ("POST", "/account/password"): ALL(422),
    ("POST", "/account/tokens"): ALL(422),
    ("POST", "/account/mail"): ALL(422, data={"email": "not-an-address"}),  # one's own reminder mail settings
    ("POST", "/account/tokens/{token_id}/revoke"): S(404, 404, 303, 404, 404),  # hoken's token: only hoken
    ("GET", "/assessments"): ALL(200),
    ("GET", "/library"): ALL(200),
    ("GET", "/actions"): ALL(200),
    ("GET", "/plan"): ALL(200),
    ("GET", "/plan/export"): ALL(200),
    ("GET", "/queue"): ALL(200),
    ("GET", "/council"): ALL(200),
    ("GET", "/dashboard"): ALL(200),
    # --- 事務 and しきい値判断
    ("GET", "/jimu/new"): S(200, 200, 200, 200, 403),
    ("POST", "/jimu/new"): S(422, 422, 422, 422, 403),
    ("GET", "/jimu/{jimu_id}"): dept(),
    ("GET", "/jimu/{jimu_id}/edit"): dept(),
    ("POST", "/jimu/{jimu_id}/edit"): dept(409),  # no lock_version: a stale form
    ("POST", "/jimu/{jimu_id}/end"): dept(303),  # refused with the reason in the flash message
    ("GET", "/jimu/{jimu_id}/threshold"): dept(),
    ("POST", "/jimu/{jimu_id}/threshold/preview"): dept(),
    ("POST", "/jimu/{jimu_id}/threshold"): dept(422),
    ("GET", "/determinations/{det_id}"): dept(),
    ("GET", "/incidents"): records_only(),
    ("POST", "/incidents"): records_only(422),
    # --- administration
    ("GET", "/admin"): admin_only(),
    ("POST", "/admin/organisation"): admin_only(422),
    ("POST", "/admin/departments"): admin_only(422),
    ("POST", "/admin/departments/{department_id}"): admin_only(422),  # no name: refused
    ("GET", "/admin/users/new"): admin_only(),
    ("POST", "/admin/users/new"): admin_only(422),
    ("GET", "/admin/users/{user_id}"): admin_only(),
    ("POST", "/admin/users/{user_id}"): admin_only(422),
    # the bodies of the server: the system administrator only (tests/security/test_org_boundary.py)
    ("GET", "/system/organisations"): ALL(403),
    ("POST", "/system/organisations"): ALL(403),
    ("GET", "/admin/reminders"): admin_only(),  # what `spia remind` sent
    ("GET", "/admin/directory"): admin_only(),  # directory sign-in (tests/ldap)
    ("POST", "/admin/directory/check"): admin_only(),  # not configured here: the page says so
    ("POST", "/admin/directory/groups"): admin_only(422),
    ("POST", "/admin/directory/groups/{group_id}/delete"): admin_only(404, params={"group_id": 999999}),
    ("GET", "/audit"): records_only(),
    ("GET", "/admin/councils"): records_only(),
    ("POST", "/admin/councils"): records_only(422),
    ("GET", "/admin/forms"): records_only(),
    ("POST", "/admin/forms/verify"): records_only(422),
    ("POST", "/admin/forms/confirm"): records_only(422),
    ("GET", "/campaigns"): records_only(),  # 一括変更
    ("POST", "/campaigns"): records_only(422),  # no definition: a Japanese message, nothing written
    ("GET", "/campaigns/{cid}"): records_only(params={"cid": "campaign"}),
    ("POST", "/campaigns/{cid}"): records_only(422, params={"cid": "campaign"}),
    ("POST", "/campaigns/{cid}/apply"): records_only(303, params={"cid": "campaign"}),
    ("GET", "/campaigns/{cid}/report"): records_only(params={"cid": "campaign"}),
    ("GET", "/blocks"): S(200, 200, 200, 200, 403),  # 共通記載: staff read (and insert from the editor)
    ("POST", "/blocks"): records_only(422),  # no name: a Japanese message, nothing written
    ("GET", "/blocks/{bid}"): S(200, 200, 200, 200, 403, params={"bid": "block"}),
    ("POST", "/blocks/{bid}"): records_only(422, params={"bid": "block"}),  # no name
    ("POST", "/blocks/{bid}/accept"): records_only(422, params={"bid": "block"}),  # nothing chosen
    ("POST", "/blocks/{bid}/keep"): records_only(422, params={"bid": "block"}),  # no 評価書 given
    ("GET", "/admin/plan-import"): records_only(),
    ("POST", "/admin/plan-import/preview"): records_only(422),  # no file: a Japanese message, nothing written
    ("POST", "/admin/plan-import/apply"): records_only(422),
    ("GET", "/forms/{form}/{version}/unverified"): records_only(params={"form": "full", "version": "r06-10"}),
    ("POST", "/admin/workflow-steps"): admin_only(422),
    ("POST", "/admin/workflow-steps/{step_id}/toggle"): admin_only(303),
    ("GET", "/admin/checklist"): records_only(),  # lifecycle
    ("POST", "/admin/checklist"): records_only(422),  # lifecycle
    # --- 評価書 and the editor (国保 全項目: a draft, editable)
    ("GET", "/jimu/{jimu_id}/assessments/new"): dept(),
    ("POST", "/jimu/{jimu_id}/assessments/new"): dept(422),
    ("GET", "/assessments/{aid}"): dept(),
    ("GET", "/versions/{vid}/check"): dept(),
    # 「ファイルから取り込む」 (no file sent: a Japanese message, nothing written) and the report of an import
    ("GET", "/assessments/{aid}/import-file"): dept(),
    ("POST", "/assessments/{aid}/import-file"): dept(422),
    ("GET", "/jimu/{jimu_id}/import-file"): dept(),
    ("POST", "/jimu/{jimu_id}/import-file"): dept(422),
    ("GET", "/versions/{vid}/import-report"): dept(),
    ("GET", "/versions/{vid}/files"): dept(),
    ("POST", "/versions/{vid}/files"): dept(422),  # no operation chosen
    ("GET", "/versions/{vid}/edit"): dept(303),  # to the first page
    ("GET", "/versions/{vid}/edit/{page_id}"): dept(),
    ("POST", "/versions/{vid}/edit/{page_id}"): dept(303),  # nothing posted: nothing to save
    ("GET", "/versions/{vid}/progress"): dept(),
    ("GET", "/versions/{vid}/figures/{sha}.png"): dept(),  # a picture of the version's (別添1), to its readers
    ("POST", "/library"): records_only(422),
    ("POST", "/actions/{action_id}/close"): dept(303, data=_action_close),  # no date: refused, reason in the flash
    ("GET", "/versions/{vid}/export"): dept(),
    ("POST", "/assessments/{aid}/changes"): dept(303),  # refused with the reason in the flash message
    ("GET", "/assessments/{aid}/changes.docx"): dept(),
    # --- the procedure
    ("POST", "/versions/{vid}/transition"): dept(303),  # no action: refused, back to the 評価書 page with the reason
    ("GET", "/versions/{vid}/transition/confirm"): dept(303),  # no action to confirm: back with the reason
    ("GET", "/versions/{vid}/comment"): dept(),
    ("POST", "/versions/{vid}/comment"): records_only(409),  # an opinion before the comment period started
    ("GET", "/versions/{vid}/comment/results.docx"): (
        dept(404),  # no public comment yet
        dept(200, subject="juki", params={"vid": "juki_full_published_v"}),
    ),
    ("GET", "/versions/{vid}/review"): dept(),
    ("POST", "/versions/{vid}/review"): records_only(422),
    ("POST", "/findings/{finding_id}/answer"): dept(303),  # the department answers the council's finding
    ("POST", "/conditions/{condition_id}/meet"): records_only(303),
    ("GET", "/meetings/{meeting_id}/minutes.docx"): S(200, 200, 200, 403, 200),  # sent to the council
    ("GET", "/versions/{vid}/approval"): dept(),
    ("POST", "/versions/{vid}/approval"): records_only(422),
    ("GET", "/snapshots/{snapshot_id}"): (
        S(200, 200, 200, 403, 200),  # the copy sent to the council
        dept(200, subject="juki"),  # a submission copy: not for the council
    ),
    ("GET", "/snapshots/{snapshot_id}/download"): (
        S(200, 200, 200, 403, 200),
        dept(200, subject="juki"),
    ),
    # --- LIFECYCLE: after publication (住基: 全項目 revised into a working 第2版, 基礎 in its yearly review)
    ("POST", "/assessments/{aid}/revise"): dept(303, subject="juki"),  # a working version exists: flash
    ("GET", "/versions/{vid}/changes"): dept(subject="juki"),
    ("GET", "/versions/{vid}/history"): dept(subject="juki"),
    # 移行登録: records and admins only, and only for an imported draft (the demo's versions are not: 409)
    ("GET", "/versions/{vid}/migrate"): records_only(subject="juki"),
    ("POST", "/versions/{vid}/migrate"): records_only(409, subject="juki"),
    ("POST", "/versions/{vid}/classify"): dept(303, subject="juki"),
    ("POST", "/versions/{vid}/changes/generate"): dept(303, subject="juki"),
    ("POST", "/versions/{vid}/changes/merge"): dept(303, subject="juki"),
    ("POST", "/versions/{vid}/changes/row"): dept(303, subject="juki"),
    ("POST", "/versions/{vid}/planned"): dept(303, subject="juki"),
    ("POST", "/unmapped/{uid}/resolve"): dept(303, subject="juki"),
    # 取り込めなかった記載 (the world's row on 住基's working 第2版): no item / no reason → 422, nothing written
    ("GET", "/versions/{vid}/unmapped"): dept(subject="juki"),
    ("GET", "/unmapped/{uid}/place"): dept(subject="juki"),
    ("POST", "/unmapped/{uid}/place"): dept(422, subject="juki"),
    ("POST", "/unmapped/{uid}/discard"): dept(422, subject="juki"),
    ("POST", "/assessments/{aid}/annual-reviews"): dept(303, subject="juki"),
    ("GET", "/annual-reviews/{rid}"): dept(subject="juki"),
    ("POST", "/annual-reviews/{rid}"): dept(303, subject="juki"),
    # the autosave of one answer (no lock sent: saved unconditionally; not htmx: back to the page)
    ("POST", "/annual-reviews/{rid}/checks/{cid}"): dept(303, subject="juki"),
    ("GET", "/annual-reviews/{rid}/groups/{group}/bulk"): dept(subject="juki"),  # the confirmation
    ("POST", "/annual-reviews/{rid}/groups/{group}/bulk"): dept(422, subject="juki"),  # not confirmed: nothing done
    ("GET", "/annual-reviews/{rid}/report.docx"): dept(subject="juki"),
    # --- JSON API (valid bodies: a 403 must not depend on the body being wrong)
    ("POST", "/api/v1/threshold"): ALL(200, data={"subjects": 120000, "handlers": 600}),
    ("GET", "/api/v1/me"): ALL(200),
    ("GET", "/api/v1/jimu"): ALL(200),
    # other staff may register 事務, but only for their own departments: the department field is refused (422)
    ("POST", "/api/v1/jimu"): S(201, 201, 201, 422, 403, data=_jimu_body),
    ("GET", "/api/v1/jimu/{jimu_id}"): dept(),
    ("PUT", "/api/v1/jimu/{jimu_id}"): S(409, 409, 200, 403, 403, data=_jimu_update),  # then lock_version is stale
    ("GET", "/api/v1/jimu/{jimu_id}/determinations"): dept(),
    ("POST", "/api/v1/jimu/{jimu_id}/determinations"): dept(201, data={}),
    ("GET", "/api/v1/assessments"): ALL(200),
    ("GET", "/api/v1/due"): ALL(200),  # lifecycle: scoped like /dashboard
    ("GET", "/api/v1/versions/{version_id}/json"): dept(),
    ("POST", "/api/v1/assessments/import"): dept(201, data=_kokuho_json, query="?into={aid}"),
    ("GET", "/api/v1/assessments/{assessment_id}/export"): dept(),
}
MOUNTS = {"/static"}  # public files (CSS, JS, vendored htmx and Swagger UI)


def cases(key) -> tuple[Case, ...]:
    entry = EXPECTED[key]
    return entry if isinstance(entry, tuple) else (entry,)


def n_checks() -> int:
    return sum(len(ORDER) for key in EXPECTED for _ in cases(key))


def test_every_route_has_an_entry(app):
    routes = set(app_routes(app))
    missing = sorted(routes - set(EXPECTED))
    assert not missing, f"new route without an entry in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - routes)
    assert not stale, f"entries for routes that no longer exist: {stale}"
    assert set(app_mounts(app)) == MOUNTS, "a new mounted application needs a decision here"


def _default_anon(path: str) -> int:
    return 401 if path.startswith("/api/") else 303


def _resolve(value, ctx: Ctx):
    return value(ctx) if callable(value) else value


@pytest.mark.parametrize("key", sorted(EXPECTED, key=lambda k: (k[1], k[0])), ids=lambda k: f"{k[0]} {k[1]}")
def test_route(key, browser, ids, demo_engine):
    method, template = key
    problems: list[str] = []
    lifecycle = ""
    for case in cases(key):
        params = path_params(ids, case.subject)
        params.update({k: ids[v] if isinstance(v, str) and v in ids.values else v for k, v in case.params.items()})
        url = fill_path(template, params) + fill_path(case.query, params)
        lifecycle = lifecycle or case.lifecycle
        for role in ORDER:
            expected = case.expected(role)
            if expected is None:
                expected = _default_anon(template)
            browser.client.cookies.clear()
            if role:
                browser.login_as(login_of(role, case.subject))
            data = _resolve(case.data, Ctx(ids, role, demo_engine))
            before = fingerprint(demo_engine) if method in STATE_CHANGING else None
            r = send(browser, method, url, data)
            who = f"{role or 'anonymous'}({login_of(role, case.subject) if role else '-'})"
            if r.status != expected:
                problems.append(f"{method} {url} as {who}: expected {expected}, got {r.status} {r.text[:160]!r}")
                continue
            if role is None and expected == 303 and case.anon is None and r.location != f"/login?next={quote(url)}":
                problems.append(f"{method} {url} anonymous: redirected to {r.location!r}, not the sign-in page")
            if role is None and expected == 401 and "ログインが必要です" not in r.text:
                problems.append(f"{method} {url} anonymous: 401 without the Japanese message: {r.text[:100]!r}")
            if expected == 403 and not JAPANESE.search(r.text):
                problems.append(f"{method} {url} as {who}: 403 without a Japanese message: {r.text[:100]!r}")
            refused = expected in (401, 403) or (role is None and case.anon is None)
            if before is not None and refused and fingerprint(demo_engine) != before:
                problems.append(f"{method} {url} as {who}: refused ({r.status}) but the database changed")
    if problems and lifecycle:
        pytest.xfail(f"LIFECYCLE: {lifecycle}: " + "; ".join(problems))
    assert not problems, "\n".join(problems)
