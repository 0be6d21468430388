"""The OpenAPI document is the truth (issue 18, item 8): schemathesis against the API itself.

Every operation of ``/api/v1/openapi.json`` (whatever routers exist: none is listed here, so a
new endpoint is fuzzed the day it is added) is called with requests that schemathesis derives
from the document, in-process through the Django WSGI application (no server, no network),
with a coordinator's key of community A of the API world (``tests/api/conftest.py``), and
every check on: no 5xx; only declared status codes, content types and response schemas;
schema-valid requests accepted and invalid ones refused; authentication not ignored;
unsupported methods refused. Settings (seed, phases, examples) are in
``tests/api/schemathesis.toml``, shared with ``scripts/api_fuzz.sh`` (the same run against a
live demo server, which prints a replayable curl for each finding).

A schema-valid request may still be refused (422) for a rule no JSON schema can state (a row
of the right kind, a date range, a name already taken): ``openapi_rules.RULES`` names, per
operation, the fields such a refusal may name and the rule. A 422 on any other field is a
finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from apispec import PREFIX, Rows
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from openapi_rules import schema_valid_requests_are_accepted
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.hypothesis.builder import ApiOperationMark
from schemathesis.specs.openapi.checks import positive_data_acceptance

from buurtkit.conf.api import api as ninja_api

CONFIG = Path(__file__).with_name("schemathesis.toml")


def _schema() -> Any:
    """The document as the API serves it, called in-process through the WSGI application."""
    loaded = schemathesis.openapi.from_dict(
        ninja_api.get_openapi_schema(path_prefix=PREFIX),
        config=SchemathesisConfig.from_path(CONFIG),
    )
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test id per operation (``[GET /api/v1/people]``), so pytest-xdist tells them apart.

    schemathesis names each operation's item, but pytest 9 builds the node id from the
    function's name and its parameters only: without a parameter all 131 items share one id,
    and xdist would run one of them.
    """
    operation = ApiOperationMark.get(metafunc.function)
    if operation is not None and "operation" in metafunc.fixturenames:
        metafunc.parametrize("operation", [operation.label], ids=[operation.label])


@pytest.fixture
def coordinator_key(rows_a: Rows, api_key: Any) -> str:
    """One key per operation (hypothesis calls the test once per example)."""
    return str(api_key(rows_a.community, ["coordinator"]))


# Engine-independent: what is checked is the document against the Python code that answers;
# the same routes run on PostgreSQL in the isolation, permission and bounds matrices.
@pytest.mark.engine_independent
@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_document_says(
    case: Any, operation: str, coordinator_key: str
) -> None:
    assert operation == case.operation.label
    case.call_and_validate(
        headers={"Authorization": f"Bearer {coordinator_key}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_requests_are_accepted],
    )
