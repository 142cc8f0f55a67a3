"""Every page each role can open parses, keeps the page invariants and stays offline."""
from __future__ import annotations

import pytest

PAGES = {
    "admin": ["/", "/jimu", "/jimu/1", "/jimu/1/edit", "/jimu/1/threshold", "/jimu/new", "/determinations/1",
              "/threshold", "/threshold?subjects=120000&handlers=600", "/incidents", "/audit", "/admin",
              "/admin/users/new", "/admin/users/1", "/account"],
    "records": ["/", "/jimu", "/jimu/2", "/incidents", "/audit", "/account"],
    "shimin": ["/", "/jimu", "/jimu/1", "/jimu/1/edit", "/jimu/1/threshold", "/jimu/new", "/account", "/threshold"],
    "council": ["/", "/account"],
}


@pytest.mark.parametrize(("login", "url"), [(login, url) for login, urls in PAGES.items() for url in urls])
def test_page_invariants(browser, login, url):
    browser.login_as(login)
    browser.page(url)


def test_login_page_invariants(browser):
    browser.page("/login")


def test_unknown_page_is_a_japanese_404(browser):
    browser.login_as("shimin")
    page = browser.page("/no/such/page", status=404)
    assert page.h1.get_text() == "見つかりません"


def test_docs_page_is_vendored(browser):
    r = browser.get("/docs")
    assert r.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "cdn" not in r.text.lower()
    spec = browser.get("/api/v1/openapi.json").json()
    assert "/api/v1/threshold" in spec["paths"]
