"""Code-shape rules that keep issue 19's clean-ups done (each fails when the old habit comes back)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def _sources(folder: Path = APP):
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.py"))]


def test_the_time_zone_is_named_in_one_place():
    """Japan time comes from app.domain.wareki.TOKYO; no module builds its own ZoneInfo."""
    offenders = [str(p.relative_to(ROOT)) for p, text in _sources()
                 if "Asia/Tokyo" in text and p != APP / "domain" / "wareki.py"]
    assert offenders == []


def test_a_private_helper_name_means_one_thing():
    """`_t` once meant a Word text run in one module and a workflow transition in another."""
    offenders = [str(p.relative_to(ROOT)) for p, text in _sources() if re.search(r"^def _t\(", text, re.M)]
    assert offenders == []


def test_admin_screens_live_in_their_own_route_modules():
    """/admin/councils and the municipality's own steps belong to routes/councils.py, not the records queue."""
    queue = (APP / "routes" / "queue.py").read_text(encoding="utf-8")
    assert "/admin/" not in queue
    assert '"/admin/councils"' in (APP / "routes" / "councils.py").read_text(encoding="utf-8")


def test_templates_print_no_iso_dates():
    """Dates shown to people are 和暦 (the wareki filters); `.isoformat()` is allowed only as the value of a
    form field (date inputs, hidden fields), never as displayed text (issue 14 item 3)."""
    offenders = []
    for p in sorted((ROOT / "templates").rglob("*.html")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            # drop value="{{ … }}" attributes, then look for what is left
            shown = re.sub(r'value="(?:[^"{]|\{\{.*?\}\})*"', "", line)
            if ".isoformat()" in shown:
                offenders.append(f"{p.relative_to(ROOT)}:{n}")
    assert offenders == []
