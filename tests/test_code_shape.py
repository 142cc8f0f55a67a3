"""Code-shape rules that keep issue 19's clean-ups done (each fails when the old habit comes back)."""
from __future__ import annotations

import ast
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


def _writers(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return sorted({f"{p.relative_to(ROOT)}" for p, text in _sources() if rx.search(text)})


def test_derived_state_has_one_writer_each():
    """Issue 19 item 4: page locks, the read-only prefill merge, the list summary and "may I edit" each have one
    home; a second copy is how a page once 404'd (a version created without its page locks)."""
    assert _writers(r"(?<!class )\bPageLock\(") == ["app/services/assessments.py"]  # add_page_locks
    assert _writers(r"\.readonly:\s*\n\s*scope_values\[") == []  # the editor merged its own copy
    assert _writers(r"d\.item\(item_id\)\.readonly:\s*\n\s*values\.setdefault") == ["app/services/prefill.py"]
    assert _writers(r'"reassessment_due":') == ["app/services/due.py"]  # due.summary: CLI and API
    assert _writers(r"except Exception:.*read-only") == []  # editability, not "any error means read-only"


def test_code_finds_items_by_what_they_hold_not_by_id_or_label():
    """Issue 19 item 2: the 評価書名 is the item filled from jimu.title (Definition.prefilled_by), 事務の名称 the one filled
    from jimu.name; a hard-coded item id or label match breaks when a 様式 version renames or renumbers it."""
    assert _writers(r'"cover\.[a-z_]+"') == []
    assert _writers(r'\.label == "事務の名称"') == []


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


ITEM_ID_LITERAL = re.compile(r"""["'](?:I|II|III|IV|V|VI|VII)\.[0-9]""")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _demo_problems(path: Path) -> list[str]:
    """Form item id literals and long Japanese string literals (docstrings aside) in one module."""
    text = path.read_text(encoding="utf-8")
    found = [f"{path.name}: item id {m.group(0)}…" for m in ITEM_ID_LITERAL.finditer(text)]
    tree = ast.parse(text)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and len(node.value) > 40 and JAPANESE.search(node.value)):
            found.append(f"{path.name}:{node.lineno}: text {node.value[:20]}…")
    return found


def test_demo_data_lives_in_yaml_not_in_the_demo_modules():
    """Issue 19 item 2: the demo's item ids (companion 基礎 mapping, edits, opinions, findings) and its texts (事務,
    共通記載, opinions, minutes) are data in assessments/demo/*.yaml; app/demo*.py only load them and drive the
    services. A short loader message is fine; a demo text or an item id written in Python is not."""
    modules = sorted(APP.glob("demo*.py"))
    assert len(modules) >= 4
    assert [p for path in modules for p in _demo_problems(path)] == []
