"""Browser tests: the app served by uvicorn in a thread, driven by Playwright on Debian's chromium."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from app.deps import today
from app.main import build_asgi
from tests import dbutil

CHROMIUM = os.environ.get("SPIA_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _skip_or_fail(reason: str):
    if dbutil.REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_browser():
    if not os.path.exists(CHROMIUM):
        _skip_or_fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(settings, demo_engine):
    app = build_asgi(settings, engine=demo_engine)
    app.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    with LiveServer(app) as server:
        yield server


@pytest.fixture(autouse=True)
def every_page_watched(request, monkeypatch):
    """Watch every page of every browser context a test opens (its own contexts, a second tab, a council
    member's window), not only the `page` fixture: each new page gets a console/pageerror listener and the
    test fails at teardown if any of them logged an error. The `page` fixture's own page is checked by
    `no_console_errors` (which honours `page.expected_console_errors`), so it is skipped here."""
    from playwright.sync_api import Browser

    errors: list[tuple[object, str]] = []
    where: dict[str, str] = {}  # message → where it was logged (for the failure message only)

    def attach(pg) -> None:
        def on_console(m) -> None:
            if m.type == "error":
                errors.append((pg, m.text))
                where.setdefault(m.text, f"{(m.location or {}).get('url', '')} (page {pg.url})")

        pg.on("console", on_console)
        pg.on("pageerror", lambda e: errors.append((pg, f"pageerror: {e}")))

    original = Browser.new_context

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        context.on("page", attach)  # fires for new_page() and for tabs the site opens
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield errors
    if request.node.get_closest_marker("allow_console_errors"):
        return
    own = request.node.funcargs.get("page") if "page" in request.fixturenames else None
    unexpected = [m for pg, m in errors if pg is not own]
    if unexpected:
        pytest.fail("console errors in another browser page:\n" + "\n".join(f"{m} — {where.get(m, '')}"
                                                                          for m in unexpected[:20]), pytrace=False)


@pytest.fixture
def page(playwright_browser, live_server, every_page_watched):
    context = playwright_browser.new_context(base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                             viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.csp_errors = errors  # type: ignore[attr-defined]
    page.console_errors = errors  # type: ignore[attr-defined]
    # exact console messages a test expects (and explains where it adds them); anything else fails the test
    page.expected_console_errors = []  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture(autouse=True)
def no_console_errors(request):
    """Fail any browser test whose page logged a console error or an uncaught exception (a CSP violation,
    a failed request, a script error). A test that provokes one on purpose marks itself
    `allow_console_errors` or lists the exact expected message in `page.expected_console_errors`."""
    if "page" not in request.fixturenames or request.node.get_closest_marker("allow_console_errors"):
        yield
        return
    page = request.getfixturevalue("page")  # set up before (so torn down after) this fixture
    yield
    expected = set(page.expected_console_errors)
    unexpected = [m for m in page.console_errors if m not in expected]
    if unexpected:
        pytest.fail("console errors in the browser:\n" + "\n".join(unexpected[:20]), pytrace=False)


def sign_in(page, login_id: str, password: str) -> None:
    page.goto("/login")
    page.fill("#f-login_id", login_id)
    page.fill("#f-password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/")


def fire(page, action: str, *, on_date: str = "", reason: str = "", with_basic: bool = False) -> None:
    """Press a procedure button on the 評価書 page (with its date or reason when the step has one); an
    irreversible step opens the confirmation page, which states what will happen and is confirmed there.
    `with_basic` presses 「基礎と一緒に提出・公表」 instead."""
    kind = "transition-with-basic" if with_basic else "transition"
    form = page.locator(f"form.{kind}:has(button[data-action='{action}'])")
    if on_date:
        form.locator("input[name=on_date]").fill(on_date)
    if reason:
        form.locator("input[name=reason]").fill(reason)
    form.locator("button").click()
    page.wait_for_load_state()
    confirm = page.locator("[data-testid=confirm-transition]")
    if action in ("start_comment", "submit", "publish"):
        from playwright.sync_api import expect

        expect(page.locator("[data-testid=confirm-statements]")).to_be_visible()
        confirm.click()
        page.wait_for_url("**/assessments/*")


def register_and_determine(page, *, name: str, department: str, file_name: str, subjects: int, handlers: int,
                           result: str) -> None:
    """Register a 事務 with one file in the browser, run the しきい値判断 wizard and record it."""
    import re

    from playwright.sync_api import expect

    page.goto("/jimu/new")
    page.fill("#f-name", name)
    page.select_option("#f-department_id", label=department)
    page.fill("#f-files-0-name", file_name)
    page.fill("#f-files-0-subjects", str(subjects))
    page.fill("#f-files-0-subjects_as_of", "2026-04-01")
    page.fill("#f-handlers", str(handlers))
    page.fill("#f-handlers_as_of", "2026-04-01")
    page.click("#jimu-form button[type=submit]:not([name])")
    page.wait_for_url(re.compile(r".*/jimu/\d+$"))
    page.click("text=しきい値判断を行う")
    expect(page.locator("[data-testid=threshold-result]")).to_have_text(result)
    page.click("text=この内容で判断を記録する")
    page.wait_for_url("**/determinations/*")
