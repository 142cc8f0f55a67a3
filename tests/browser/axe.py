"""axe-core (vendored in tests/browser/vendor, MPL-2.0, no network) run on the page Playwright shows.

The script is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not govern,
so nothing in the app's policy is loosened for the tests."""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("serious", "critical")


def violations(page, *, impacts=BLOCKING) -> list[dict]:
    """The axe violations of the current page at the given impacts, each with its nodes' selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for url, vs in found.items():
        for v in vs:
            lines.append(f"{url}: [{v['impact']}] {v['id']} — {v['help']} — {', '.join(v['nodes'])}")
    return "\n".join(lines)
