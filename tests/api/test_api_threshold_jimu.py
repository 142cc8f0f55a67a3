"""JSON API: the threshold calculation, 事務 and determinations, with Japanese 422 errors."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Department, Jimu


def test_threshold_api_matches_the_domain(browser):
    browser.login_as("shimin")
    r = browser.api("POST", "/api/v1/threshold", json={"subjects": 120000, "handlers": 600})
    assert r.status_code == 200
    body = r.json()
    assert body["required"] == ["basic", "full"] and body["result"] == "basic+full"
    assert body["procedures"][1]["steps"][0]["code"] == "public_comment"
    assert body["reasons"][0] == "対象人数 120,000人は「10万人以上30万人未満」の区分に該当します。"
    national = browser.api("POST", "/api/v1/threshold", json={"subjects": 400000, "handlers": 1, "org_kind": "national"})
    assert [s["code"] for s in national.json()["procedures"][1]["steps"]][1] == "ppc_approval"
    excluded = browser.api("POST", "/api/v1/threshold", json={"subjects": 400000, "handlers": 1, "exclusion": "staff-only"})
    assert excluded.json()["result"] == "not_required"


@pytest.mark.parametrize(("body", "field", "fragment"), [
    ({"subjects": -1, "handlers": 0}, "subjects", "対象人数は0以上"),
    ({"subjects": 200_000_000, "handlers": 0}, "subjects", "対象人数は130000000以下"),
    ({"subjects": "abc", "handlers": 0}, "subjects", "整数"),
    ({"subjects": 1.5, "handlers": 0}, "subjects", "整数"),
    ({"handlers": 0}, "subjects", "入力してください"),
    ({"subjects": 1, "handlers": 0, "exclusion": "retired"}, "exclusion", "除外の種類の値が不正"),
    ({"subjects": 1, "handlers": 0, "bogus": 1}, "bogus", "指定できない項目"),
])
def test_threshold_api_errors_are_japanese_and_name_the_field(browser, body, field, fragment):
    browser.login_as("shimin")
    r = browser.api("POST", "/api/v1/threshold", json=body)
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert fragment in errors[field], errors


def test_api_needs_authentication_and_accepts_bearer_tokens(browser):
    assert browser.client.post("/api/v1/threshold", json={"subjects": 1, "handlers": 1}).status_code == 401
    browser.login_as("shimin")
    page = browser.post("/account/tokens", {"name": "夜間ジョブ", "purpose": "api"})
    token = page.text.split('<code id="new-token">')[1].split("</code>")[0]
    browser.logout()
    browser.client.cookies.clear()
    r = browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["login_id"] == "shimin"
    # a JSON POST with a bearer token needs no CSRF token (no cookies involved)
    r = browser.client.post("/api/v1/threshold", json={"subjects": 5, "handlers": 1},
                            headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert browser.client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_cookie_authenticated_json_post_needs_the_csrf_header(browser):
    browser.login_as("shimin")
    browser.csrf()
    r = browser.client.post("/api/v1/threshold", json={"subjects": 5, "handlers": 1})
    assert r.status_code == 403


def test_create_jimu_and_record_determination_over_api(browser, read):
    browser.login_as("shimin")
    dept = read(select(Department.id).where(Department.name == "市民課"))[0]
    body = {"name": "印鑑登録に関する事務", "department_id": dept, "handlers": 600, "handlers_as_of": "2026-04-01",
            "files": [{"name": "印鑑登録ファイル", "subjects": 70000, "subjects_as_of": "2026-04-01"},
                      {"name": "印鑑登録証ファイル", "subjects": 50000, "subjects_as_of": "2026-04-01"}]}
    r = browser.api("POST", "/api/v1/jimu", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["subjects"] == 120000 and created["current_result"] == "basic+full"
    dup = browser.api("POST", "/api/v1/jimu", json=body)
    assert dup.status_code == 422
    assert dup.json()["errors"][0]["field"] == "name" and "既に登録" in dup.json()["errors"][0]["message"]
    det = browser.api("POST", f"/api/v1/jimu/{created['id']}/determinations", json={})
    assert det.status_code == 201 and det.json()["result"] == "basic+full"
    hist = browser.api("GET", f"/api/v1/jimu/{created['id']}/determinations").json()
    assert [d["id"] for d in hist] == [det.json()["id"]]


def test_api_update_is_optimistically_locked(browser, read):
    browser.login_as("kodomo")
    j = read(select(Jimu).where(Jimu.name == "児童手当の支給に関する事務"))[0]
    current = browser.api("GET", f"/api/v1/jimu/{j.id}").json()
    body = {"name": current["name"], "department_id": current["department_id"], "handlers": 50,
            "handlers_as_of": "2026-04-01", "lock_version": current["lock_version"],
            "files": [{"name": f["name"], "subjects": f["subjects"], "subjects_as_of": f["subjects_as_of"]}
                      for f in current["files"]]}
    assert browser.api("PUT", f"/api/v1/jimu/{j.id}", json=body).status_code == 200
    stale = browser.api("PUT", f"/api/v1/jimu/{j.id}", json={**body, "handlers": 70})
    assert stale.status_code == 409
    assert browser.api("GET", f"/api/v1/jimu/{j.id}").json()["handlers"] == 50


@pytest.mark.parametrize("path", [
    "/api/v1/me", "/api/v1/jimu", "/api/v1/jimu/1", "/api/v1/assessments", "/api/v1/due",
    "/api/v1/versions/1/json", "/api/v1/assessments/1/export?edition=public&format=docx",
])
def test_an_unknown_query_parameter_is_refused_by_name(browser, path):
    # a misspelt ?editon=public must not fall back to the 内部用 document: every API operation names the stranger
    browser.login_as("records")
    sep = "&" if "?" in path else "?"
    r = browser.api("GET", f"{path}{sep}editon=public")
    assert r.status_code == 422, r.text
    assert {e["field"]: e["message"] for e in r.json()["errors"]} == {"editon": "editonは指定できない項目です。"}
    assert browser.api("GET", path).status_code == 200
