"""The API accepts exactly the query parameters it documents.

A misspelt parameter (`?editon=public`) silently falling back to a default would hand a caller the 内部用 Word
document when it asked for the 公表用 one; an unknown name is a 422 naming it, as unknown body fields already are
(`extra="forbid"` in schemas.py).
"""
from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request


def _query_names(dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route) -> set[str]:
    # a handful of parameters per route: walking the dependency tree costs microseconds, so nothing is cached
    return _query_names(route.dependant)


def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    unknown = sorted({k for k in request.query_params} - _declared(route))
    if unknown:
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "msg": "Extra inputs are not permitted",
             "input": request.query_params.get(name)} for name in unknown])
