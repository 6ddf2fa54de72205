"""The long-wait function: the same routes on Lambda function URL events (payload 2.0), the same key check,
waits bounded by its own remaining time, and the per-key rate that API Gateway gives the REST path."""

from __future__ import annotations

import pytest

from local.http_gateway import FUNCTION_URL
from sdapi.api.jobs import ANSWER_MARGIN_S
from sdapi.aws.rate_table import RateTable
from sdapi.throttle import KeyRate, KeyThrottle
from tests.integration.api_support import Worker, api_for, other_key, settings_for

LONG_WAIT_S = 840.0
PLENTY_S = 600.0
TOO_LITTLE_S = ANSWER_MARGIN_S - 1.0
A1111 = {"prompt": "a cat"}
RUNPOD = {"input": {"prompt": "a cat", "width": 512, "height": 512}}


@pytest.fixture
def long_wait(aws):
    return settings_for(aws, sync_wait_s=LONG_WAIT_S, v3_wait_s=2.0)


@pytest.fixture
def url(long_wait, api_key):
    return api_for(long_wait, Worker(long_wait), api_key.key, events=FUNCTION_URL)


def test_an_a1111_txt2img_with_minutes_left_answers_its_images(url):
    status, body, _ = url.call("POST", "/sdapi/v1/txt2img", A1111, time_left_s=PLENTY_S)

    assert status == 200
    assert len(body["images"]) == 1


def test_the_answer_carries_its_content_type(url):
    _, _, headers = url.call("POST", "/sdapi/v1/txt2img", A1111, time_left_s=PLENTY_S)

    assert headers["Content-Type"] == "application/json"


def test_a_runpod_runsync_with_minutes_left_answers_the_output(url):
    status, body, _ = url.call("POST", "/v2/sdxl/runsync", RUNPOD, time_left_s=PLENTY_S)

    assert status == 200
    assert body["status"] == "COMPLETED"


def test_a_runpod_runsync_out_of_time_answers_runpods_status_body(url):
    status, body, _ = url.call("POST", "/v2/sdxl/runsync", RUNPOD, time_left_s=TOO_LITTLE_S)

    assert status == 200
    assert body["status"] == "IN_QUEUE"


def test_a_request_without_a_key_is_refused_as_on_the_rest_path(url):
    status, _, _ = url.call("POST", "/sdapi/v1/txt2img", A1111, key=None, time_left_s=PLENTY_S)

    assert status == 401


def test_a_v3_fetch_url_names_the_function_urls_host(long_wait, api_key):
    idle = Worker(long_wait)
    idle.enabled = False
    url = api_for(long_wait, idle, api_key.key, events=FUNCTION_URL)
    request = {"prompt": "a cat", "width": 512, "height": 512}

    status, body, _ = url.call(
        "POST", "/api/v3/text2img", {**request, "key": url.key}, key=None, host="abc.lambda-url.aws"
    )

    assert status == 200
    assert body["fetch_result"].startswith("https://abc.lambda-url.aws/api/v3/fetch/")


@pytest.fixture
def throttled(aws, long_wait, api_key):
    throttle = KeyThrottle(RateTable(aws.rate_table), KeyRate(rate_per_s=0.01, burst=2))
    return api_for(long_wait, Worker(long_wait), api_key.key, events=FUNCTION_URL, throttle=throttle)


def test_a_key_past_its_burst_gets_a_429_in_its_dialect(throttled):
    for _ in range(2):
        throttled.call("GET", "/sdapi/v1/samplers")

    status, body, _ = throttled.call("GET", "/sdapi/v1/samplers")

    assert status == 429
    assert "retry in" in body["detail"]


def test_another_key_keeps_its_own_allowance(aws, throttled):
    for _ in range(3):
        throttled.call("GET", "/sdapi/v1/samplers")

    status, _, _ = throttled.call("GET", "/sdapi/v1/samplers", key=other_key(aws))

    assert status == 200
