"""Issue 14 item 6: show each role only what it can do.

For every role of the demo (with its procedures in flight: a 意見公募, a 第三者点検 with a council member), start
from the main pages, follow every link and GET form a page offers that role (breadth first, over the whole
site the role can reach) and assert that none answers 403. POST forms (and hx-post) are not sent: their action
is matched to its route and checked against the authorization matrix (tests/security/test_authz_matrix.py),
which must not refuse that role — a page must not offer a button whose request would be 403.
"""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from tests.html import parse
from tests.security.test_authz_matrix import EXPECTED, cases

MAIN_PAGES = ("/", "/jimu", "/assessments", "/dashboard", "/queue", "/plan", "/actions", "/library", "/threshold",
              "/council", "/account", "/admin", "/audit", "/incidents", "/admin/councils", "/admin/forms",
              "/admin/checklist")
# role of the login in the matrix: staff only ever see their own department's records
MATRIX_ROLE = {"admin": "admin", "records": "records", "shimin": "own", "zeimu": "own", "hoken": "own", "kodomo": "own",
               "council": "council"}
SKIP = re.compile(r"format=pdf|/logout$")  # PDF needs LibreOffice (its access rule is the docx one)
POST_ROUTES = [(t, re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", t) + "$")) for m, t in EXPECTED if m == "POST"]


def _offers(html: str) -> tuple[list[str], list[str]]:
    """(URLs a GET would load: links, GET forms, hx-get; URLs a POST would be sent to: forms, hx-post)."""
    soup = parse(html)
    gets, posts = [], []
    for a in soup.select("a[href]"):
        gets.append(a["href"])
    for form in soup.select("form"):
        action = form.get("action", "")
        (posts if form.get("method", "get").lower() == "post" else gets).append(action)
    for el in soup.select("[hx-get]"):
        gets.append(el["hx-get"])
    for el in soup.select("[hx-post]"):
        posts.append(el["hx-post"])
    keep = lambda u: u.startswith("/") and not u.startswith("//") and not SKIP.search(u)
    return [u.split("#")[0] for u in gets if keep(u)], [u.split("#")[0] for u in posts if keep(u)]


def _post_refused(role: str, url: str) -> str | None:
    path = urlsplit(url).path
    template = next((t for t, rx in POST_ROUTES if rx.match(path)), None)
    if template is None:
        return f"POST {url}: no such route"
    expected = cases(("POST", template))[0].expected(MATRIX_ROLE[role])
    return f"POST {url} ({template}) is offered, but {role} is refused ({expected})" if expected == 403 else None


@pytest.mark.parametrize("login", ["admin", "records", "shimin", "zeimu", "kodomo", "hoken", "council"])
def test_no_page_offers_a_role_what_it_may_not_do(life_browser, login):
    b = life_browser
    b.login_as(login)
    queue: deque[tuple[str, str]] = deque((p, "(main page)") for p in MAIN_PAGES)
    seen: set[str] = set()
    problems: list[str] = []
    checked_posts: set[str] = set()
    pages = 0
    while queue:
        url, found_on = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        r = b.get(url)
        if r.status_code == 403:
            if found_on != "(main page)":
                problems.append(f"GET {url} (linked from {found_on}) answers 403")
            continue
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        pages += 1
        gets, posts = _offers(r.text)
        for u in gets:
            if u not in seen:
                queue.append((u, url))
        for u in posts:
            key = urlsplit(u).path
            if key in checked_posts:
                continue
            checked_posts.add(key)
            problem = _post_refused(login, u)
            if problem:
                problems.append(f"{problem} — on {url}")
    assert pages >= (3 if login == "council" else 20), f"only {pages} pages reached as {login}"
    assert not problems, "\n".join(sorted(set(problems)))
