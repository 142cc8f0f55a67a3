"""CSRF on every state-changing route, generated from the app's route list.

For each POST/PUT/PATCH/DELETE route, signed in as a role the matrix allows, four forged requests are sent:
no token, a token of another client, the page's token without its cookie, and a `text/plain` body (what a
cross-site form or a CORS "simple" fetch can send). Each is refused with 403 and a Japanese message and
leaves every table as it was. Then the genuine request (CHANGES: valid input) is sent with the token and is
shown to change the database, so the refusals above are not vacuous.

Every GET route is also called once (as a role that may) and must not change the database: a GET is not
CSRF-protected, so it must never write.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from itsdangerous.url_safe import URLSafeSerializer

from tests.conftest import TEST_SECRET
from tests.factories import page_form
from tests.security.helpers import (
    JAPANESE,
    STATE_CHANGING,
    app_routes,
    fill_path,
    fingerprint,
    form_fields,
    login_of,
    path_params,
    replace,
)
from tests.security.test_authz_matrix import (
    EXPECTED,
    LOGIN_FORM,
    Ctx,
    _jimu_body,
    _jimu_update,
    _kokuho_json,
    cases,
    lock_of,
)

CSRF_COOKIE = "csrftoken"


@dataclass(frozen=True)
class Change:
    """The genuine request: as `role` (None = anonymous), with `data` (or a callable(ctx, browser, url))."""

    role: str | None
    data: Any = None
    params: dict = field(default_factory=dict)


def _page(page: str, action: str | None = None, **values: str) -> Callable:
    """The form on `page` (posting to the route itself unless `action`), with `values` changed."""
    def build(ctx, browser, url):
        pairs = form_fields(browser, fill_path(page, ctx.params), fill_path(action, ctx.params) if action else url)
        return replace(pairs, **values)
    return build


def _editor_page(ctx, browser, url):
    """What the editor posts for page I, with its first free-text answer rewritten."""
    from tests.html import parse

    pairs, action = page_form(browser, url)
    assert action == url
    area = parse(browser.get(url).text).select_one("#page-form textarea[name^='a|']")
    assert area is not None, "page I has no free-text answer"
    return replace(pairs, **{area["name"]: "CSRF の確認のために書き換えた回答"})


def _form_confirmation(browser) -> list[tuple[str, str]]:
    """The confirm form shown after a file in the official layout verified with 0 differences."""
    from app.services.catalogue import catalogue
    from tests.formfiles import build_docx
    from tests.html import parse

    d = catalogue().get("basic", "r06-10")
    r = browser.client.post("/admin/forms/verify", data={"csrftoken": browser.csrf(), "form_version": d.key},
                            files={"file": ("yoshiki2.docx", build_docx(d), "application/octet-stream")})
    token = parse(r.text).select_one("#confirm-form input[name=token]")["value"]
    return [("token", token), ("checked_on", "2026-11-20"), ("checked_by", "総務課 佐藤")]


def _review_answers(ctx, browser, url):
    pairs = form_fields(browser, url, url)
    statuses = {k: "in_place" for k, _ in pairs if k.startswith("status-")}
    assert statuses, "the yearly review has no questions"
    return replace(pairs, **statuses)


def _check_answer(ctx, browser, url):
    from app.models import AnnualReviewCheck

    cid = ctx.params["cid"]
    return {f"status-{cid}": "in_place", f"note-{cid}": "", f"lock-{cid}": lock_of(ctx.engine, AnnualReviewCheck, cid)}


def _close_action(ctx, browser, url):
    from app.models import ImprovementAction

    return {"closed_on": "2026-11-01", "close_note": "権限を見直した。",
            "lock_version": lock_of(ctx.engine, ImprovementAction, ctx.ids["kokuho_action"])}


def _bulk_confirmed(ctx, browser, url):
    """The count the group's confirmation page shows (what the user confirms)."""
    from tests.html import parse

    r = browser.get(url)
    assert r.status_code == 200, r.text[:300]
    return {"confirm_count": parse(r.text).select_one("input[name=confirm_count]")["value"]}


def _plan_import_token(ctx, browser, url):
    """Upload a one-row 計画管理書 to the preview (which writes nothing) and confirm what it shows."""
    from tests.html import parse

    csv = ("評価書番号,評価書名,評価の種類,公表日,提出日,担当部署\r\n"
           "601,CSRF確認の事務 基礎項目評価書,基礎,令和3年4月1日,令和3年3月15日,CSRF確認課\r\n").encode("cp932")
    r = browser.client.post("/admin/plan-import/preview", data={"csrftoken": browser.csrf()},
                            files={"file": ("計画管理書.csv", csv)}, follow_redirects=False)
    assert r.status_code == 200, r.text[:300]
    token = parse(r.text).select_one('input[name="token"]')["value"]
    return [("token", token), ("create_departments", "1")]


def _campaign_spec(ctx, browser, url):
    from app.services import campaigns

    return {"spec": campaigns.example_text()}


def _block_accept(ctx, browser, url):
    """The first 評価書 offered on the block's proposals (what the records officer ticks)."""
    from tests.html import parse

    r = browser.get(url.removesuffix("/accept"))
    assert r.status_code == 200, r.text[:300]
    return {"assessment": parse(r.text).select_one("input[name=assessment][form=accept-form]")["value"],
            "cls": "formal"}


CHANGES: dict[tuple[str, str], Change] = {
    ("POST", "/login"): Change(None, LOGIN_FORM),
    ("POST", "/logout"): Change("records"),
    ("POST", "/jimu/new"): Change("own", {
        "name": "高額療養費に関する事務", "department_id": "6", "status": "active", "handlers": "20",
        "handlers_as_of": "2025-04-01", "files-0-name": "高額療養費ファイル", "files-0-kind": "system",
        "files-0-subjects": "5000", "files-0-subjects_as_of": "2025-04-01"}),
    ("POST", "/jimu/{jimu_id}/edit"): Change("own", _page("/jimu/{jimu_id}/edit", legal_basis="国民健康保険法(改正後)")),
    ("POST", "/jimu/{jimu_id}/end"): Change("own", {"end_date": "2026-11-01", "lock_version": "1"}),
    ("POST", "/jimu/{jimu_id}/threshold"): Change("own", _page("/jimu/{jimu_id}/threshold", note="年次の再判断")),
    ("POST", "/incidents"): Change("records", {"occurred_on": "2026-10-01", "summary": "通知書の誤送付",
                                               "involves_specific": "1"}),
    ("POST", "/admin/organisation"): Change("admin", _page("/admin", representative="しののめ市長 東雲 次郎")),
    ("POST", "/admin/departments"): Change("admin", {"dept_name": "国保年金課分室", "parent_id": "4"}),
    ("POST", "/admin/departments/{department_id}"): Change("admin", _page("/admin", name="市民窓口課")),
    ("POST", "/admin/users/new"): Change("admin", {"login_id": "newcomer", "display_name": "新任 委員",
                                                   "role": "council", "password": "Shinnin-2026-pass",
                                                   "password_confirm": "Shinnin-2026-pass"}),
    ("POST", "/admin/users/{user_id}"): Change("admin", _page("/admin/users/{user_id}", display_name="保険年金課 伊藤")),
    ("POST", "/admin/directory/groups"): Change("admin", {"group_dn": "cn=spia-staff,ou=groups,dc=example,dc=lg,dc=jp",
                                                         "role": "staff"}),
    ("POST", "/admin/plan-import/apply"): Change("records", _plan_import_token),
    ("POST", "/campaigns"): Change("records", lambda ctx, b, url: {  # a second campaign (the world has the example)
        "spec": _campaign_spec(ctx, b, url)["spec"].replace("name:", "name: 第2次", 1)}),
    ("POST", "/campaigns/{cid}"): Change("records", lambda ctx, b, url: {
        "spec": _campaign_spec(ctx, b, url)["spec"].replace("name:", "name: (改)", 1),
        "lock_version": dict(form_fields(b, url, url))["lock_version"]}, params={"cid": "campaign"}),
    ("POST", "/campaigns/{cid}/apply"): Change("records", params={"cid": "campaign"}),
    ("POST", "/admin/councils"): Change("records", {"name": "しののめ市情報公開・個人情報保護審査会"}),
    ("POST", "/system/organisations"): Change("sysadmin", {  # a new body and its first administrator
        "name": "しののめ市選挙管理委員会", "kind": "local", "admin_login": "senkan_admin",
        "admin_password": "Senkan-Kanri-2026", "admin_password_confirm": "Senkan-Kanri-2026"}),
    ("POST", "/admin/forms/confirm"): Change("records", lambda ctx, b, url: _form_confirmation(b)),
    ("POST", "/admin/workflow-steps"): Change("admin", {"key": "mayor_report", "label": "市長への報告",
                                                        "before": "submitted", "forms": "full"}),
    ("POST", "/admin/workflow-steps/{step_id}/toggle"): Change("admin"),
    ("POST", "/admin/checklist"): Change("records", {"text": "委託先の監査結果を確認したか。"}),
    ("POST", "/account/password"): Change("own", {"current": "Kokuho-Demo-2025", "new": "Kokuho-Neue-2026",
                                                  "confirm": "Kokuho-Neue-2026"}),
    ("POST", "/account/tokens"): Change("own", {"name": "連携用2"}),
    ("POST", "/account/mail"): Change("own", _page("/account", "/account/mail", email="hoken@city.example.lg.jp")),
    ("POST", "/account/tokens/{token_id}/revoke"): Change("own"),
    ("POST", "/jimu/{jimu_id}/assessments/new"): Change("admin", {"forms": "focused"},
                                                        params={"jimu_id": "kodomo_jimu"}),
    ("POST", "/versions/{vid}/files"): Change("own", lambda ctx, b, url: {
        "op": "rename", "uid": ctx.ids["kokuho_file_uid"], "file_name": "国民健康保険資格ファイル(統合後)"}),
    ("POST", "/versions/{vid}/edit/{page_id}"): Change("own", _editor_page),
    ("POST", "/library"): Change("records", {"title": "端末の画面ロック", "text": "離席時は画面をロックする。",
                                             "audience": "staff", "risks": "general", "active": "1"}),
    ("POST", "/blocks"): Change("records", {"title": "委託先の監督(共通)", "kind": "text", "text": "委託先を年1回監査する。",
                                            "active": "1"}),
    ("POST", "/blocks/{bid}"): Change("records", _page("/blocks/{bid}", reason="表現を改めた。"), params={"bid": "block"}),
    ("POST", "/blocks/{bid}/accept"): Change("records", _block_accept, params={"bid": "proposal_block"}),
    ("POST", "/blocks/{bid}/keep"): Change("records", _page("/blocks/{bid}", "/blocks/{bid}/keep"),
                                           params={"bid": "proposal_block"}),
    ("POST", "/actions/{action_id}/close"): Change("own", _close_action),
    ("POST", "/assessments/{aid}/changes"): Change("own", {"item_label": "Ⅱ 5 委託", "before_text": "委託しない",
                                                           "after_text": "委託する"}),
    ("POST", "/versions/{vid}/transition"): Change("own", {"action": "submit_for_check", "lock": "1"}),
    ("POST", "/versions/{vid}/comment"): Change("records", {"what": "setup", "method": "市ホームページ",
                                                            "start_on": "2026-11-23", "end_on": "2026-12-22"}),
    ("POST", "/versions/{vid}/review"): Change("records", {"what": "finding", "text": "委託先の監督方法を明記すること。"}),
    ("POST", "/findings/{finding_id}/answer"): Change("own", {"status": "open", "response": "Ⅲ4に追記します。"}),
    ("POST", "/conditions/{condition_id}/meet"): Change("records", {"met_on": "2026-11-15", "note": "報告した。"}),
    ("POST", "/versions/{vid}/approval"): Change("records", {"applied_on": "2026-11-01", "review_notes": "審査中"}),
    # lifecycle (住基)
    ("POST", "/assessments/{aid}/revise"): Change("own", {"reason": "change"}, params={"aid": "juki_basic"}),
    ("POST", "/versions/{vid}/changes/generate"): Change("own"),
    ("POST", "/versions/{vid}/changes/row"): Change("own", {"item_label": "Ⅰ 1 事務の名称", "after_text": "変更後"}),
    ("POST", "/versions/{vid}/planned"): Change("own", {"planned_change_on": "2027-01-01"}),
    ("POST", "/unmapped/{uid}/resolve"): Change("own", {"resolution": "Ⅲ 9 に記載した。"}),
    ("POST", "/unmapped/{uid}/place"): Change("own", {"item": "I.1.2"}),
    ("POST", "/unmapped/{uid}/discard"): Change("own", {"why": "新しい様式では記載不要。"}),
    ("POST", "/assessments/{aid}/annual-reviews"): Change("own"),
    ("POST", "/annual-reviews/{rid}"): Change("own", _review_answers),
    ("POST", "/annual-reviews/{rid}/checks/{cid}"): Change("own", _check_answer),
    ("POST", "/annual-reviews/{rid}/groups/{group}/bulk"): Change("own", _bulk_confirmed),
    # API
    ("POST", "/api/v1/jimu"): Change("own", lambda ctx, b, url: _jimu_body(ctx)),
    ("PUT", "/api/v1/jimu/{jimu_id}"): Change("own", lambda ctx, b, url: _jimu_update(ctx)),
    ("POST", "/api/v1/jimu/{jimu_id}/determinations"): Change("own", {}),
    ("POST", "/api/v1/assessments/import"): Change("own", lambda ctx, b, url: _kokuho_json(ctx)),
}
# POSTs that only compute and show a result (nothing to change), and those whose genuine request needs
# records the demo does not have (two 変更箇所 rows to merge, a ※ item to classify): forgeries are still refused.
READ_ONLY = {("POST", "/jimu/{jimu_id}/threshold/preview"), ("POST", "/api/v1/threshold"),
             ("POST", "/admin/forms/verify"), ("POST", "/admin/directory/check"),
             ("POST", "/admin/plan-import/preview")}  # the preview carries the file in a signed token, writes nothing
NO_GENUINE = {("POST", "/versions/{vid}/changes/merge"), ("POST", "/versions/{vid}/classify"),
              ("POST", "/admin/directory/groups/{group_id}/delete"),  # the demo has no mapping to delete
              ("POST", "/versions/{vid}/migrate"),  # needs an imported draft: tests/routes/test_plan_import.py
              # a file upload (multipart): genuine requests in tests/routes/test_file_import_pages.py
              ("POST", "/assessments/{aid}/import-file"), ("POST", "/jimu/{jimu_id}/import-file")}


def _state_changing(asgi) -> list[tuple[str, str]]:
    return [r for r in app_routes(asgi) if r[0] in STATE_CHANGING]


def test_every_state_changing_route_is_covered(app):
    routes = set(_state_changing(app))
    assert routes, "no state-changing routes found"
    uncovered = sorted(routes - set(CHANGES) - READ_ONLY - NO_GENUINE)
    assert not uncovered, f"state-changing route without a genuine request in CHANGES: {uncovered}"
    assert not (set(CHANGES) | READ_ONLY | NO_GENUINE) - routes, "entries for routes that no longer exist"


STATE_ROUTES = sorted(
    [k for k in EXPECTED if k[0] in STATE_CHANGING], key=lambda k: (k[1], k[0]))


def _other_token() -> str:
    """A correctly signed token that belongs to some other client."""
    return URLSafeSerializer(TEST_SECRET).dumps("someone-else", "csrftoken")


def _forgeries(browser, method: str, url: str, data) -> Iterator[tuple[str, Any]]:
    """(name, response) of each forged request, sent one at a time; the browser holds its CSRF cookie."""
    c = browser.client
    token = browser.csrf()
    api = url.startswith("/api/")

    def request(headers=None, body=None, form=None):
        kw: dict[str, Any] = {"headers": headers or {}, "follow_redirects": False}
        if body is not None:
            kw["content"] = body
        elif api:
            kw["json"] = data
        else:
            pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
            kw["data"] = {k: [v for kk, v in pairs if kk == k] for k, _ in pairs} | (form or {})
        return c.request(method, url, **kw)

    if api:
        yield "no token header", request()
        yield "another client's token", request({"X-CSRFToken": _other_token()})
        saved = c.cookies.pop(CSRF_COOKIE)
        yield "token without its cookie", request({"X-CSRFToken": token})
        c.cookies.set(CSRF_COOKIE, saved)
        yield "text/plain body", request({"content-type": "text/plain"}, json.dumps(data).encode())
    else:
        yield "no token field", request()
        yield "another client's token", request(form={"csrftoken": _other_token()})
        saved = c.cookies.pop(CSRF_COOKIE)
        yield "token without its cookie", request(form={"csrftoken": token})
        c.cookies.set(CSRF_COOKIE, saved)
        yield "text/plain body", request({"content-type": "text/plain"}, f"csrftoken={token}".encode())


def _allowed_role(case) -> str | None:
    if case.anon is not None and case.anon < 400:
        return None
    return next((r for r in ("own", "records", "admin") if case.expected(r) not in (401, 403, 404)), "admin")


@pytest.mark.parametrize("key", STATE_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_forged_request_changes_nothing(key, browser, ids, demo_engine):
    method, template = key
    case = cases(key)[0]
    change = CHANGES.get(key)
    role = change.role if change else _allowed_role(case)
    params = path_params(ids, case.subject)
    overrides = {**case.params, **(change.params if change else {})}
    params.update({k: ids[v] if isinstance(v, str) and v in ids.values else v for k, v in overrides.items()})
    url = fill_path(template, params) + fill_path(case.query, params)
    ctx = Ctx(ids, role, demo_engine, params)
    browser.client.cookies.clear()
    if role:
        browser.login_as(login_of(role, case.subject))
    raw = change.data if change else case.data
    data = raw(ctx, browser, url) if callable(raw) and change else (raw(ctx) if callable(raw) else raw)

    before = fingerprint(demo_engine)
    for name, r in _forgeries(browser, method, url, data):
        assert r.status_code == 403, f"{method} {url} ({name}): {r.status_code} {r.text[:200]}"
        assert "CSRF" in r.text and JAPANESE.search(r.text), f"{name}: no Japanese CSRF message: {r.text[:200]}"
        assert fingerprint(demo_engine) == before, f"{method} {url} ({name}): the forged request changed data"

    if change is None:
        return
    from tests.security.helpers import send

    r = send(browser, method, url, data)
    assert r.status in (200, 201, 303), f"genuine {method} {url} as {role}: {r.status} {r.text[:300]}"
    assert fingerprint(demo_engine) != before, f"genuine {method} {url} as {role} changed nothing: not a real change"


GET_ROUTES = sorted([k for k in EXPECTED if k[0] == "GET"], key=lambda k: k[1])


def test_get_requests_never_write(browser, ids, demo_engine):
    """Every GET route, as a role that may call it: the database is exactly as before (GET skips CSRF)."""
    from tests.security.helpers import send

    called = 0
    for key in GET_ROUTES:
        for case in cases(key):
            role = _allowed_role(case)
            params = path_params(ids, case.subject)
            params.update({k: ids[v] if isinstance(v, str) and v in ids.values else v for k, v in case.params.items()})
            url = fill_path(key[1], params) + fill_path(case.query, params)
            browser.client.cookies.clear()
            if role:
                browser.login_as(login_of(role, case.subject))
            before = fingerprint(demo_engine)
            r = send(browser, "GET", url)
            assert r.status < 500, f"GET {url}: {r.status}"
            assert fingerprint(demo_engine) == before, f"GET {url} as {role} wrote to the database"
            called += 1
    assert called >= len(GET_ROUTES)
