"""In a real browser (Playwright, Debian's chromium): the Content-Security-Policy the server sends blocks an
inline script and an inline event handler, and stored payloads stay text. (Part of the security tests in
tests/security; it lives here to share the one Playwright instance of this directory's fixtures.)

The first test serves the real /login response with a script and an `onerror` handler spliced into its body,
keeping the server's headers; a control run without the CSP header shows the same splice does execute, so
the test can tell a blocking policy from a page where the script simply never ran.
"""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import Jimu
from tests.browser.conftest import sign_in
from tests.security.helpers import PASSWORDS

pytestmark = pytest.mark.browser

INJECTED = ('<script>window.__xss = "inline script ran"; console.log("XSS-RAN")</script>'
            '<img src="/static/does-not-exist.png" onerror="window.__xss_handler = \'handler ran\'">')
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));
"""


def _serve_with_injection(page, *, keep_csp: bool) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(WATCH)

    def splice(route):
        response = route.fetch()
        headers = dict(response.headers)
        assert "content-security-policy" in headers, "the server sends no CSP"
        if not keep_csp:
            headers.pop("content-security-policy")
        body = response.text().replace("</body>", INJECTED + "</body>")
        route.fulfill(response=response, body=body, headers=headers)

    page.route("**/login", splice)
    page.goto("/login")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    return console


# the injected script is blocked by the CSP on purpose, and its <img> points at a missing file: both log errors
@pytest.mark.allow_console_errors
def test_csp_blocks_inline_script_and_event_handlers(page):
    console = _serve_with_injection(page, keep_csp=True)
    assert page.evaluate("window.__xss") is None, "the inline script ran despite the CSP"
    assert page.evaluate("window.__xss_handler") is None, "the inline onerror handler ran despite the CSP"
    assert "XSS-RAN" not in console
    violations = page.evaluate("window.__violations")
    assert any(v.startswith("script-src") for v in violations), violations
    assert any("Content Security Policy" in m for m in console), console
    # the page's own scripts (from /static) still work: htmx is loaded
    assert page.evaluate("typeof window.htmx") == "object"


# the injected <img> points at a missing file on purpose (404 logged as a console error)
@pytest.mark.allow_console_errors
def test_the_same_injection_runs_without_the_csp_header(page):
    """Control: proves the splice above is executable, so its not running is the policy's doing."""
    console = _serve_with_injection(page, keep_csp=False)
    assert page.evaluate("window.__xss") == "inline script ran"
    assert page.evaluate("window.__xss_handler") == "handler ran"
    assert "XSS-RAN" in console


def test_stored_payload_is_text_in_the_browser(page, demo_engine):
    marker = "XSS-STORED"
    value = (f'{marker} <script>window.__stored = 1</script> " onmouseover="window.__stored = 2" '
             f'</textarea><img src=x onerror="window.__stored = 3"> javascript:window.__stored=4')
    with Session(demo_engine) as s:
        jimu = s.exec(select(Jimu).where(Jimu.name == "国民健康保険に関する事務")).one()
        jimu.legal_basis = value
        s.add(jimu)
        s.commit()
        jid = jimu.id
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, "hoken", PASSWORDS["hoken"])
    for url in (f"/jimu/{jid}", f"/jimu/{jid}/edit"):
        page.goto(url)
        page.wait_for_load_state("load")
        if url.endswith("/edit"):
            assert page.input_value("#f-legal_basis") == value, "the form shows exactly what was stored"
        else:
            text = page.inner_text("main")
            assert "<script>window.__stored = 1</script>" in text and '<img src=x onerror="window.__stored = 3">' in text
            page.get_by_text(marker).first.hover()  # an injected onmouseover would fire now
        assert page.evaluate("window.__stored") is None, f"{url}: the stored payload executed"
        assert page.locator("main img[src='x']").count() == 0
    assert not dialogs
