"""Property-based fuzzing of every operation of the served `/openapi.json` (schemathesis), in process
against the real api handler over moto: no 5xx, and every response documented (status, content type and
body schema).

Bounded so that it runs in the suite: `EXAMPLES` generated requests per operation (explicit examples and
generation only: no shrinking or stateful phases), a fresh moto per operation (moto's in-memory DynamoDB
stream keeps every record, so one long-lived moto grows with every submit), no stand-in GPU worker (jobs
stay QUEUED: the synchronous routes answer their documented "still running" body at once) and a zero
synchronous wait."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.catalog import local_catalog
from sdapi.config import Settings
from tests.integration.api_support import api_env, api_for
from tests.integration.wsgi_support import wsgi_app

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def served_document() -> dict:
    """`GET /openapi.json` from the real handler (the document needs no AWS call), at collection time."""
    names = {"jobs_table": "sdapi-jobs", "keys_table": "sdapi-keys", "bucket": "sdapi-data"}
    status, document, _ = api_for(Settings(**names, catalog=local_catalog())).call(
        "GET", "/openapi.json", key=None
    )
    assert status == 200
    return document


@pytest.fixture
def served(aws, api_key):
    api, _, _ = api_env(aws, api_key, worker=False, sync_wait_s=0.0, v3_wait_s=0.0)
    return api


schema = schemathesis.openapi.from_dict(served_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, served):
    if case.path.startswith("/api/v3/") and isinstance(case.body, dict):
        case.body["key"] = served.key
    case.call_and_validate(headers={"x-api-key": served.key}, checks=CHECKS, app=wsgi_app(served.handler))
