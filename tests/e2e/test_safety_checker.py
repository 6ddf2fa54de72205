"""The safety checker over HTTP against the local stack: an image it flags comes back black at its size, and
the answer flags it (native `nsfw`, v3 `nsfw_content_detected`). The local stack's checker
(`safety_checker_flags_all`, pool sd15; `local/catalog.py`) flags every image it checks, so the verdict is
deterministic."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import requests
from PIL import Image

from tests.e2e.conftest import v3_finished

pytestmark = pytest.mark.e2e

SD15 = "v1-5-pruned-emaonly"


def finished(stack, job_id: str) -> dict:
    """The native job once it has ended."""
    return stack.wait(
        lambda: stack.get(f"/v1/jobs/{job_id}").json(), lambda b: b["state"] not in ("QUEUED", "IN_PROGRESS")
    )


def image_at(url: str) -> Image.Image:
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    return Image.open(io.BytesIO(answer.content))


def test_a_native_job_with_the_checker_gets_a_black_image_of_its_size_and_the_flag(stack):
    # given a native job on the sd15 pool that asks for the safety checker
    request = {"model": SD15, "prompt": "a beach", "width": 64, "height": 96, "steps": 3}
    request["safety_checker"] = True

    # when it runs
    answer = stack.post("/v1/jobs", request)
    assert answer.status_code in (200, 201, 202), answer.text
    job_id = answer.json()["id"]
    done = finished(stack, job_id)

    # then the image is flagged, black and of the requested size
    assert done["state"] == "COMPLETED", done
    assert done["nsfw"] == [True]
    image = image_at(done["images"][0])
    assert image.size == (64, 96)
    assert np.asarray(image).max() == 0


def test_a_native_job_without_the_checker_is_not_flagged(stack):
    request = {"model": SD15, "prompt": "a beach", "width": 64, "height": 64, "steps": 3}

    answer = stack.post("/v1/jobs", request)
    assert answer.status_code in (200, 201, 202), answer.text
    job_id = answer.json()["id"]
    done = finished(stack, job_id)

    assert done["nsfw"] == [False]
    assert np.asarray(image_at(done["images"][0])).max() > 0


def test_v3_safety_checker_yes_answers_a_black_image_and_nsfw_content_detected(stack):
    # given a v3 text2img on the sd15 model with the checker on
    request = {
        "model_id": SD15,
        "prompt": "a beach",
        "width": "64",
        "height": "96",
        "samples": "1",
        "num_inference_steps": "3",
        "safety_checker": "yes",
    }

    # when it runs to the end
    done = v3_finished(stack, request)

    # then v3 flags it and the image is black at its size
    assert done["status"] == "success", done
    assert done["nsfw_content_detected"] is True
    image = image_at(done["output"][0])
    assert image.size == (64, 96)
    assert np.asarray(image).max() == 0


def test_a1111_filter_nsfw_answers_a_black_image_and_no_flag_as_a1111_does(stack):
    # given an A1111 txt2img on the sd15 checkpoint with the nsfw-censor extension's option on
    settings = {"sd_model_checkpoint": SD15, "filter_nsfw": True}
    request = {"prompt": "a beach", "width": 64, "height": 96, "steps": 3, "override_settings": settings}

    # when it runs
    answer = stack.post("/sdapi/v1/txt2img", request, timeout=300)

    # then the image is black at its size and the answer keeps A1111's fields only
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"images", "parameters", "info"}
    image = Image.open(io.BytesIO(base64.b64decode(body["images"][0])))
    assert image.size == (64, 96)
    assert np.asarray(image).max() == 0
