"""Hires fix, A1111's extras and v3 `upscale` over HTTP against the local stack (tiny random-weight
ESRGAN / Real-ESRGAN / CodeFormer models in their real architectures)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from tests.e2e.conftest import v3_finished

pytestmark = pytest.mark.e2e

MODEL = "v1-5-pruned-emaonly"


def finished(stack, answer) -> dict:
    """The A1111 answer, polling `GET /sdapi/v1/jobs/{id}` when the synchronous wait ran out."""
    assert answer.status_code in (200, 202), answer.text
    if answer.status_code == 200:
        return answer.json()
    job_id = answer.json()["id"]
    done = stack.wait(lambda: stack.get(f"/sdapi/v1/jobs/{job_id}"), lambda r: r.status_code != 202)
    assert done.status_code == 200, done.text
    return done.json()


def size_of(b64: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


def test_txt2img_hires_fix_returns_the_upscaled_image_with_a1111s_infotext(stack):
    # given a txt2img with hires fix: 1.5x through the tiny ESRGAN, 2 second-pass steps
    payload = {
        "prompt": "a lighthouse",
        "steps": 3,
        "width": 64,
        "height": 96,
        "enable_hr": True,
        "hr_scale": 1.5,
        "hr_upscaler": "ESRGAN_4x",
        "hr_second_pass_steps": 2,
        "denoising_strength": 0.5,
        "override_settings": {"sd_model_checkpoint": MODEL},
    }

    # when it is sent to /sdapi/v1/txt2img
    body = finished(stack, stack.post("/sdapi/v1/txt2img", payload, timeout=300))

    # then the image is the hires size and the infotext says what ran
    assert size_of(body["images"][0]) == (96, 144)
    text = json.loads(body["info"])["infotexts"][0]
    assert "Denoising strength: 0.5, Hires upscale: 1.5, Hires steps: 2, Hires upscaler: ESRGAN_4x" in text


def test_extra_single_image_upscales_and_restores_faces(stack, png_b64):
    # given an image, a 2x Real-ESRGAN upscale and CodeFormer at half visibility
    payload = {
        "image": png_b64,
        "upscaler_1": "R-ESRGAN General 4xV3",
        "upscaling_resize": 2,
        "codeformer_visibility": 0.5,
        "codeformer_weight": 0.4,
    }

    # when it is sent to /sdapi/v1/extra-single-image
    body = finished(stack, stack.post("/sdapi/v1/extra-single-image", payload, timeout=300))

    # then the image is twice the size and html_info lists what ran, in A1111's order
    assert size_of(body["image"]) == (192, 256)
    assert body["html_info"] == (
        "<p>Postprocess upscale by: 2.0, Postprocess upscaler: R-ESRGAN General 4xV3, "
        "CodeFormer visibility: 0.5, CodeFormer weight: 0.4</p>"
    )


def test_an_unknown_upscaler_is_a_400_and_nothing_runs(stack, png_b64):
    answer = stack.post("/sdapi/v1/extra-single-image", {"image": png_b64, "upscaler_1": "4x-UltraSharp"})

    assert answer.status_code == 400, answer.text
    assert "upscaler_1" in [f["field"] for f in answer.json()["fields"]]


def test_the_listings_show_the_deployed_upscalers_and_restorers(stack):
    upscalers = [u["name"] for u in stack.get("/sdapi/v1/upscalers").json()]
    restorers = [r["name"] for r in stack.get("/sdapi/v1/face-restorers").json()]

    assert upscalers == ["None", "Lanczos", "Nearest", "ESRGAN_4x", "R-ESRGAN General 4xV3"]
    assert restorers == ["CodeFormer", "GFPGAN"]


def test_v3_upscale_returns_the_image_larger_by_the_factor(stack):
    # given a v3 text2img of 64x96 asking for a 2x upscale (the pool's first upscaler, the tiny ESRGAN)
    request = {
        "prompt": "a harbour",
        "width": "64",
        "height": "96",
        "samples": "1",
        "num_inference_steps": "3",
        "upscale": "2",
        "base64": "yes",
    }

    # when it runs to the end
    done = v3_finished(stack, request)

    # then the image is twice the requested size
    assert done["status"] == "success", done
    assert size_of(done["output"][0]) == (128, 192)
