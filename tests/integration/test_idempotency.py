"""Idempotent submit end to end: a retried request with the same `Idempotency-Key` returns the first job."""

from __future__ import annotations

import boto3
import pytest

from sdapi.auth import create_key
from sdapi.aws.keys_table import KeysTable
from tests.integration.api_support import api_for, settings_for
from tests.integration.support_dialects import BY_NAME

REQUEST = {"prompt": "a red bicycle", "width": 64, "height": 64, "seed": 7}


@pytest.fixture
def api(aws, api_key):
    return api_for(settings_for(aws), key=api_key.key)


def job_items(aws) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=aws.jobs_table)["Items"]
    return sorted(i["id"]["S"] for i in items if "state" in i)


def test_a_retried_native_submit_returns_the_first_job(api, aws):
    first = api.call("POST", "/v1/jobs", REQUEST, headers={"Idempotency-Key": "order-1"})
    again = api.call("POST", "/v1/jobs", REQUEST, headers={"Idempotency-Key": "order-1"})

    assert first[0] == 202
    assert again[0] in (200, 202)
    assert again[1]["id"] == first[1]["id"]
    assert job_items(aws) == [first[1]["id"]], "one job item, one enqueue"


def test_a_retried_v3_submit_returns_the_first_job(api, aws):
    body = {"key": api.key, "prompt": "a red bicycle", "width": "512", "height": "512", "samples": "1"}
    first = api.call("POST", "/api/v3/text2img", body, key=None, headers={"Idempotency-Key": "v3-1"})
    again = api.call("POST", "/api/v3/text2img", body, key=None, headers={"Idempotency-Key": "v3-1"})

    assert first[1]["id"] == again[1]["id"]
    assert len(job_items(aws)) == 1


def test_different_keys_or_owners_make_different_jobs(api, aws):
    a = api.call("POST", "/v1/jobs", REQUEST, headers={"Idempotency-Key": "k1"})[1]["id"]
    b = api.call("POST", "/v1/jobs", REQUEST, headers={"Idempotency-Key": "k2"})[1]["id"]
    other = create_key(KeysTable(aws.keys_table), owner="bob").key
    c = api.call("POST", "/v1/jobs", REQUEST, key=other, headers={"Idempotency-Key": "k1"})[1]["id"]
    d = api.call("POST", "/v1/jobs", REQUEST)[1]["id"]

    assert len({a, b, c, d}) == 4
    assert len(job_items(aws)) == 4


REUSED = [
    ("native", "/v1/jobs", {"prompt": "a"}, {"prompt": "b"}),
    ("runpod", "/v2/sdxl/run", {"input": {"prompt": "a"}}, {"input": {"prompt": "b"}}),
    ("a1111", "/sdapi/v1/txt2img", {"prompt": "a"}, {"prompt": "b"}),
    ("v3", "/api/v3/text2img", {"prompt": "a"}, {"prompt": "b"}),
]


def _sent(api, dialect: str, body: dict) -> tuple[dict, str | None]:
    if dialect == "v3":
        return {**body, "key": api.key}, None
    return body, "default"


@pytest.mark.parametrize(("dialect", "path", "first", "second"), REUSED, ids=[r[0] for r in REUSED])
def test_a_reused_key_with_another_body_is_a_422_in_its_dialect(api, aws, dialect, path, first, second):
    body, key = _sent(api, dialect, first)
    api.call("POST", path, body, key=key, headers={"Idempotency-Key": "reused"})
    body, key = _sent(api, dialect, second)

    status, answer, _ = api.call("POST", path, body, key=key, headers={"Idempotency-Key": "reused"})

    assert status == 422
    assert BY_NAME[dialect].is_error_shape(answer), answer
    assert "Idempotency-Key was already used for a different request" in str(answer)
    assert len(job_items(aws)) == 1, "nothing new queued"


def test_the_same_body_with_other_key_order_and_spacing_still_replays(api, aws):
    first = api.call("POST", "/v1/jobs", raw=b'{"prompt": "x", "steps": 2}', headers={"Idempotency-Key": "k"})
    again = api.call("POST", "/v1/jobs", raw=b'{"steps":2,"prompt":"x"}', headers={"Idempotency-Key": "k"})

    assert again[1]["id"] == first[1]["id"]
