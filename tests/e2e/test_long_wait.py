"""Synchronous routes that outlive the gateway: on a stack whose REST gateway cuts at REST_LIMIT_S and whose
endpoint takes START_DELAY_S to start each job (the emulator's stand-in for a start from zero), a slow job
is answered in the dialect's real form on the long-wait URL and cut with API Gateway's 504 on the REST path.
The deployed limits are 29 s and 10 MB; these are shrunk through the local settings to keep this fast."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.conftest import KEY, Stack, b64_png, local_stack

pytestmark = pytest.mark.e2e

REST_LIMIT_S = 2.0
START_DELAY_S = 4.0
REST_BODY_LIMIT = 64 * 1024
HEADERS = {"x-api-key": KEY}
A1111 = {"prompt": "a lighthouse", "width": 64, "height": 64, "steps": 2}
RUNPOD = {"input": A1111}


@pytest.fixture(scope="module")
def slow() -> Iterator[Stack]:
    with local_stack(
        local_rest_timeout_s=REST_LIMIT_S,
        local_invocation_delay_s=START_DELAY_S,
        local_rest_max_body_bytes=REST_BODY_LIMIT,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def long_wait_answer(slow) -> requests.Response:
    """A slow A1111 txt2img on the long-wait URL."""
    return requests.post(f"{slow.sync_url}/sdapi/v1/txt2img", json=A1111, headers=HEADERS, timeout=60)


@pytest.fixture(scope="module")
def rest_answer(slow) -> tuple[requests.Response, float]:
    """The same request on the REST path, and how long it took."""
    started = time.monotonic()
    answer = requests.post(f"{slow.url}/sdapi/v1/txt2img", json=A1111, headers=HEADERS, timeout=60)
    return answer, time.monotonic() - started


def test_a_slow_a1111_txt2img_gets_its_images_on_the_long_wait_url(long_wait_answer):
    assert long_wait_answer.status_code == 200, long_wait_answer.text
    assert b64_png(long_wait_answer.json()["images"][0])


def test_the_long_wait_answer_is_a1111s_own(long_wait_answer):
    assert json.loads(long_wait_answer.json()["info"])["prompt"] == "a lighthouse"


def test_a_slow_runpod_runsync_completes_on_the_long_wait_url(slow):
    answer = requests.post(f"{slow.sync_url}/v2/sdxl/runsync", json=RUNPOD, headers=HEADERS, timeout=60)

    assert answer.json()["status"] == "COMPLETED", answer.text


def test_the_same_a1111_request_on_the_rest_path_is_cut_with_api_gateways_504(rest_answer):
    answer, _ = rest_answer

    assert answer.status_code == 504


def test_the_cut_answers_api_gateways_body(rest_answer):
    answer, _ = rest_answer

    assert answer.json() == {"message": "Endpoint request timed out"}


def test_the_rest_path_cuts_before_the_job_could_finish(rest_answer):
    _, elapsed_s = rest_answer

    assert elapsed_s < START_DELAY_S


def test_a_body_over_the_rest_limit_is_api_gateways_413(slow):
    body = {**A1111, "negative_prompt": "x" * REST_BODY_LIMIT}

    answer = requests.post(f"{slow.url}/sdapi/v1/txt2img", json=body, headers=HEADERS, timeout=30)

    assert answer.status_code == 413
    assert answer.json() == {"message": "Request Too Long"}


def test_the_long_wait_url_checks_the_key_like_the_rest_path(slow):
    answer = requests.post(f"{slow.sync_url}/sdapi/v1/txt2img", json=A1111, timeout=30)

    assert answer.status_code == 401
