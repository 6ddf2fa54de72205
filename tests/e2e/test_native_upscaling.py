"""The native API's hires fix and extras after generation over HTTP against the local stack (tiny
random-weight SD 1.5, ESRGAN, Real-ESRGAN and CodeFormer in their real architectures)."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")


def finished(stack, job_id: str) -> dict:
    """The native job view once the job is terminal, images inline."""
    return stack.wait(
        lambda: stack.get(f"/v1/jobs/{job_id}?base64=true").json(), lambda view: view["state"] in TERMINAL
    )


def size_of(b64: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


def test_a_native_hires_job_with_an_upscale_after_generation_returns_the_final_size(stack):
    # given a 64x96 txt2img with hires fix 1.5x through the tiny ESRGAN, then a 2x Real-ESRGAN upscale with
    # CodeFormer, its noise drawn by A1111's NV source
    request = {
        "prompt": "a lighthouse",
        "model": "v1-5-pruned-emaonly",
        "steps": 3,
        "width": 64,
        "height": 96,
        "noise_source": "NV",
        "hires": {"scale": 1.5, "upscaler": "ESRGAN_4x", "steps": 2, "denoising_strength": 0.5},
        "extras": {
            "upscale": {"upscaler": "R-ESRGAN General 4xV3", "scale": 2},
            "face_restoration": {"codeformer_visibility": 0.5, "codeformer_weight": 0.4},
        },
    }

    # when it is submitted to POST /v1/jobs and polled until it is done
    answer = stack.post("/v1/jobs", request)
    assert answer.status_code == 202, answer.text
    view = finished(stack, answer.json()["id"])

    # then the image is the hires size (96x144) upscaled 2x, and the infotext says what ran
    assert view["state"] == "COMPLETED", view
    assert size_of(view["images"][0]) == (192, 288)
    text = view["info"]["infotexts"][0]
    assert "Hires upscale: 1.5, Hires steps: 2, Hires upscaler: ESRGAN_4x" in text
    assert "RNG: NV" in text
    assert "Postprocess upscale by: 2" in text


def test_a_native_hires_job_with_an_unknown_upscaler_is_a_400_naming_it(stack):
    answer = stack.post(
        "/v1/jobs", {"prompt": "x", "model": "v1-5-pruned-emaonly", "hires": {"upscaler": "4x-UltraSharp"}}
    )

    assert answer.status_code == 400, answer.text
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["hires.upscaler"]


def test_a_native_extras_job_upscales_and_restores_the_input_image(stack, png_b64):
    # given a 96x128 image, a 2x tiny-ESRGAN upscale and GFPGAN at half visibility, nothing generated
    request = {
        "task": "extras",
        "init_images": [png_b64],
        "extras": {
            "upscale": {"upscaler": "ESRGAN_4x", "scale": 2},
            "face_restoration": {"gfpgan_visibility": 0.5},
        },
    }

    # when it is submitted and polled until done
    answer = stack.post("/v1/jobs", request)
    assert answer.status_code == 202, answer.text
    view = finished(stack, answer.json()["id"])

    # then the image is twice the size
    assert view["state"] == "COMPLETED", view
    assert size_of(view["images"][0]) == (192, 256)
