"""Synchronous routes wait within the invocation's remaining time (Lambda's context), never for a constant
that could outlast it: with less time left than the answer needs, they answer the still-running form at
once. The stand-in GPU worker finishes queued jobs only while a route waits, so whether a route waited
shows in its answer."""

from __future__ import annotations

import pytest

from sdapi.api.jobs import ANSWER_MARGIN_S
from tests.integration.api_support import api_env

PLENTY_S = 30.0
TOO_LITTLE_S = ANSWER_MARGIN_S - 1.0


@pytest.fixture
def api(aws, api_key):
    served, _, _ = api_env(aws, api_key, sync_wait_s=25.0, v3_wait_s=2.0)
    return served


def test_an_a1111_txt2img_with_time_left_waits_for_its_images(api):
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"}, time_left_s=PLENTY_S)

    assert status == 200
    assert len(body["images"]) == 1


def test_an_a1111_txt2img_without_time_to_wait_answers_still_running(api):
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"}, time_left_s=TOO_LITTLE_S)

    assert status == 202
    assert body["status"] == "queued"


def test_a_runpod_runsync_without_time_to_wait_answers_the_status_body(api):
    request = {"input": {"prompt": "a cat", "width": 512, "height": 512}}

    status, body, _ = api.call("POST", "/v2/sdxl/runsync", request, time_left_s=TOO_LITTLE_S)

    assert status == 200
    assert body["status"] == "IN_QUEUE"


def test_a_runpod_runsync_with_time_left_answers_the_output(api):
    request = {"input": {"prompt": "a cat", "width": 512, "height": 512}}

    status, body, _ = api.call("POST", "/v2/sdxl/runsync", request, time_left_s=PLENTY_S)

    assert status == 200
    assert body["status"] == "COMPLETED"
