"""The console watch covers every page of every context a browser test opens (issue 14, "no console error in
any browser test"): a second context's page and a second tab both report into the test's error list."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_pages_of_other_contexts_and_tabs_are_watched(playwright_browser, live_server, every_page_watched):
    ctx = playwright_browser.new_context(base_url=live_server.url, locale="ja-JP")
    try:
        first = ctx.new_page()
        first.goto("/login")
        first.evaluate("console.error('from another context')")
        second = ctx.new_page()
        second.goto("/login")
        second.evaluate("() => { setTimeout(() => { throw new Error('from a second tab'); }, 0); }")
        second.wait_for_timeout(200)
    finally:
        ctx.close()
    seen = [m for _, m in every_page_watched]
    assert "from another context" in seen
    assert any("from a second tab" in m for m in seen)
    every_page_watched.clear()  # both were provoked on purpose
