"""The import rules of docs/architecture.md §1: domain, export, services and models do not reach up into the web.

Every `import` is checked, including those inside functions (the code imports lazily in many places)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
WEB = ("fastapi", "starlette", "jinja2")
ORM = ("sqlmodel", "sqlalchemy")
WEB_APP = ("app.routes", "app.web", "app.deps", "app.main", "app.middleware", "app.downloads")

# layer -> module prefixes it must not import
FORBIDDEN = {
    "domain": WEB + ORM + ("docx",),
    "export": WEB + ORM + WEB_APP + ("app.services", "app.models", "app.db"),
    "services": WEB + WEB_APP,
    "models": WEB,
}
# of the app, the domain imports only itself and the models only themselves
APP_ONLY = {"domain": "app.domain", "models": "app.models"}


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def _hits(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    bad = []
    for path in sorted((APP / layer).rglob("*.py")):
        for module in _imports(path):
            own = APP_ONLY.get(layer)
            if _hits(module, FORBIDDEN[layer]) or (own and _hits(module, ("app",)) and not _hits(module, (own,))):
                bad.append(f"{path.relative_to(APP.parent)}: {module}")
    assert bad == [], "see docs/architecture.md §1 'What may import what'"


def test_the_check_sees_a_forbidden_import(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from fastapi import Request\n    import app.services.audit\n", "utf-8")
    assert _imports(f) == ["fastapi", "app.services.audit"]
    assert _hits("fastapi", FORBIDDEN["domain"]) and _hits("app.routes.editor", FORBIDDEN["services"])
    assert not _hits("app.domainx", ("app.domain",))


def _runtime_imports(path: Path) -> list[str]:
    """Like _imports, but without the `if TYPE_CHECKING:` blocks (a type annotation is not table access)."""
    tree = ast.parse(path.read_text("utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
            for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_routes_hold_no_table_access():
    """Issue 19 item 5: lookups, permission checks and page assembly live in services (view models such as
    services/overview_view.py); a route that reaches for a table skips the scope rules (one once did)."""
    bad = [f"{p.relative_to(APP.parent)}: {m}" for p in sorted((APP / "routes").rglob("*.py"))
           for m in _runtime_imports(p) if _hits(m, ("app.models",)) and m != "app.models.base"]
    assert bad == []
    # and no route imports another route module's helpers inside a function (page assembly is a service)
    inner = [f"{p.relative_to(APP.parent)}" for p in sorted((APP / "routes").rglob("*.py"))
             if any(isinstance(n, ast.FunctionDef) and any(isinstance(x, ast.ImportFrom) and (x.module or "").startswith(
                 "app.routes") for x in ast.walk(n)) for n in ast.walk(ast.parse(p.read_text("utf-8"))))]
    assert inner == []
