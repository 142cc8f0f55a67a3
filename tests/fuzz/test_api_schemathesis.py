"""schemathesis against /api/v1, in-process (ASGI), authenticated with a Bearer API token.

Every operation of the OpenAPI document gets schemathesis' examples, coverage and fuzzing cases (valid and
invalid), plus every undocumented method. Each response goes through all default checks: not a server error,
documented status code, content type, headers and body schema, valid data accepted / invalid data rejected,
405 with an exact `Allow`. Bounded (MAX_EXAMPLES per operation) and deterministic (fixed seed, derandomized).
The figures (cases per operation, responses per status) are printed at the end of the run.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.services import auth
from tests import dbutil
from tests.fuzz.conftest import count

MAX_EXAMPLES = 15
# Schema-valid input may still break a business rule the schema cannot express (the 担当部署 must exist, the
# 事務 name must be new, dates not in the future, an import must match its 様式): those operations may answer
# a documented 422 to valid-looking data. Reading operations and the pure threshold calculation may not.
BUSINESS_RULES = ["2xx", "401", "403", "404", "409", "422"]
STRICT = ["2xx", "401", "403", "404", "409"]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261123,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
    "checks": {"positive_data_acceptance": {"expected-statuses": BUSINESS_RULES}},
    "operations": [{"include-method": "GET", "checks": {"positive_data_acceptance": {"expected-statuses": STRICT}}},
                   {"include-path": "/api/v1/threshold",
                    "checks": {"positive_data_acceptance": {"expected-statuses": STRICT}}}],
})
# The document only depends on the code, so it is read once from an app that never touches its database.
_DOC = create_app(Settings(database_url="sqlite://", secret_key="x" * 40, environment="test")).openapi()
schema = schemathesis.openapi.from_dict(_DOC, config=CONFIG).include(path_regex=r"^/api/v1/")

# Demo ids (事務 1-4, 評価書 1-7, versions 1-7) so that cases reach real rows, not only 404.
DEMO_IDS = st.integers(min_value=1, max_value=9)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({k: DEMO_IDS for k in path_parameters})
    return st.one_of(st.just(path_parameters), real)


@schema.hook
def map_query(context, query):
    # PDF goes through LibreOffice (seconds per document; covered by tests/export): fuzz the docx path here.
    if query and query.get("format") == "pdf":
        query = {**query, "format": "docx"}
    return query


@pytest.fixture
def bearer(demo_engine) -> dict[str, str]:
    """An API token of the 総務・文書担当 demo user (sees and edits every department)."""
    _, tokens = dbutil.demo_snapshot()
    with Session(demo_engine, expire_on_commit=False) as session:
        actor = auth.actor_for_token(session, token=tokens["records"], bearer=False)
        token = auth.create_api_token(session, actor=actor, name="schemathesis")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, app, bearer):
    count("schemathesis cases")
    documented = case.method.lower() in _DOC["paths"][case.path]
    count(f"schemathesis cases {case.method.upper()} {case.path}" if documented else
          "schemathesis cases with an undocumented method (expect 405 + Allow)")
    response = case.call_and_validate(app=app, headers=bearer)
    count(f"schemathesis responses {response.status_code}")


def test_every_operation_documents_its_errors():
    """A new /api/v1 route without `responses=` would answer undocumented 4xx: the Japanese error bodies
    (Error, ValidationErrorBody) are declared on every operation, and 400/413 on those that take a body."""
    assert _DOC["paths"] and all(path.startswith("/api/v1/") for path in _DOC["paths"])
    for path, ops in _DOC["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "403", "422"} <= codes, (method, path, codes)
            body = op["responses"]["422"]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ValidationErrorBody"}, (method, path)
            if "requestBody" in op:
                assert {"400", "413"} <= codes, (method, path, codes)
    count("schemathesis operations", sum(len(ops) for ops in _DOC["paths"].values()))


@pytest.mark.parametrize("url", ["/jimu/{n}", "/assessments/{n}", "/versions/{n}/edit", "/api/v1/jimu/{n}",
                                 "/api/v1/versions/{n}/json", "/api/v1/assessments/{n}/export"])
def test_ids_beyond_the_integer_range_are_not_found(browser, url):
    """Found by schemathesis: an id SQLite cannot bind (> 2**63-1) raised OverflowError (500) in every page
    and API route that loads a 事務, 評価書 or 版. The API now documents the id range (422 outside it) and the
    services treat any id outside 1..MAX_ID as no row (404)."""
    browser.login_as("records")
    for n in (2**31, 2**63, 10**23):
        r = browser.get(url.format(n=n))
        assert r.status_code in (404, 422), (url, n, r.status_code)
        if url.startswith("/api/") and r.status_code == 422:
            assert "以下で入力してください" in r.json()["errors"][0]["message"]
