"""A1111 API through the real api handler (moto): synchronous generation, the 202 still-running form,
listings, progress, auth (header and Basic), errors."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.api_support import (
    PNG_B64,
    api_env,
    other_key,
)
from tests.seeds import seed_blocks


@pytest.fixture
def env(aws, api_key):
    api, worker, _ = api_env(aws, api_key)
    return api, worker, aws


def test_txt2img_waits_and_answers_images_parameters_info(env):
    api, _, _ = env
    payload = seed_blocks("002")[0]["input"]["payload"]

    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", payload)

    assert status == 200
    assert set(body) == {"images", "parameters", "info"}
    assert body["images"] == [PNG_B64]
    assert isinstance(json.loads(body["info"]), dict)
    assert set(seed_blocks("002")[2]["output"]["parameters"]) <= set(body["parameters"])


def test_img2img_with_basic_auth(env):
    api, _, _ = env
    payload = dict(seed_blocks("000")[0]["input"]["payload"], init_images=[PNG_B64])
    basic = base64.b64encode(f"user:{api.key}".encode()).decode()

    status, body, _ = api.call(
        "POST", "/sdapi/v1/img2img", payload, key=None, headers={"Authorization": f"Basic {basic}"}
    )

    assert status == 200
    assert body["parameters"]["init_images"] is None


def test_still_running_after_the_wait_is_202_then_the_result_route_answers(env):
    api, worker, aws = env
    worker.enabled = False

    status, pending, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"})

    assert status == 202
    assert pending["status"] == "queued"
    assert pending["id"] in pending["detail"]
    assert api.call("GET", f"/sdapi/v1/jobs/{pending['id']}")[0] == 202
    progress = api.call("GET", f"/sdapi/v1/progress?id_task={pending['id']}")[1]
    assert progress["progress"] == 0
    assert progress["state"]["job"] == pending["id"]
    worker.finish_all()
    status, body, _ = api.call("GET", f"/sdapi/v1/jobs/{pending['id']}")
    assert status == 200
    assert body["images"] == [PNG_B64]
    assert api.call("GET", f"/sdapi/v1/jobs/{pending['id']}", key=other_key(aws))[0] == 404


def test_progress_without_a_job_counts_the_callers_unfinished_jobs(env):
    api, worker, _ = env
    worker.enabled = False
    for _ in range(2):
        assert api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"})[0] == 202

    status, body, _ = api.call("GET", "/sdapi/v1/progress")

    assert status == 200
    assert body["state"]["job_count"] == 2
    worker.finish_all()
    assert api.call("GET", "/sdapi/v1/progress")[1]["state"]["job_count"] == 0


def test_failed_job_is_500_in_the_a1111_error_shape(env):
    api, worker, _ = env
    worker.fail_with = "CUDA out of memory"
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"})
    assert status == 500
    assert body["error"] == "JobFailed"
    assert body["detail"] == "CUDA out of memory"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"sampler_name": "Euler Turbo"}, 400, "sampler_name"),
        ({"scheduler": "align_your_steps"}, 400, "scheduler"),
        ({"width": 1001}, 400, "width"),
        ({"enable_hr": True, "hr_upscaler": "SwinIR_4x"}, 400, "hr_upscaler"),
        ({"enable_hr": True, "hr_scale": 4, "width": 1024, "height": 1024}, 400, "hr_scale"),
        ({"enable_hr": True, "hr_sampler_name": "DPM fast"}, 400, "hr_sampler_name"),
        (
            {
                "restore_faces": True,
                "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"},
                "alwayson_scripts": {
                    "controlnet": {"args": [{"model": "control_v11p_sd15_canny", "module": "sobel"}]}
                },
            },
            400,
            "alwayson_scripts.controlnet.args[0].module",
        ),
    ],
)
def test_refused_requests_use_the_a1111_error_shape(env, payload, status, field):
    api, _, _ = env
    got, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "x", **payload})
    assert got == status, body
    assert set(body) >= {"error", "detail", "body", "errors"}
    assert field in [f["field"] for f in body["fields"]]


def test_schema_errors_are_422_with_fastapi_details(env):
    api, _, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"steps": "many"})
    assert status == 422
    assert body["error"] == "RequestValidationError"
    assert body["detail"][0]["loc"] == ["body", "steps"]
    assert api.call("POST", "/sdapi/v1/txt2img", {"steps": "many"}, key=None)[0] == 401


def test_listings(env):
    api, _, _ = env
    for route in (
        "samplers",
        "schedulers",
        "sd-models",
        "sd-vae",
        "options",
        "upscalers",
        "latent-upscale-modes",
        "face-restorers",
        "embeddings",
        "scripts",
        "extensions",
        "progress",
    ):
        status, body, _ = api.call("GET", f"/sdapi/v1/{route}")
        assert status == 200, route
    assert "DPM++ SDE" in [s["name"] for s in api.call("GET", "/sdapi/v1/samplers")[1]]
    assert api.call("GET", "/sdapi/v1/options")[1]["sd_model_checkpoint"] == "sd_xl_base_1.0"
    status, body, _ = api.call("GET", "/sdapi/v1/samplers", key=None)
    assert status == 401
    assert body["error"] == "Unauthorized"


def test_images_too_large_for_a_lambda_response_come_back_as_urls_with_a_warning(env, monkeypatch):
    from sdapi.api import jobs

    api, _, _ = env
    monkeypatch.setattr(jobs, "RESPONSE_BUDGET_BYTES", 10)

    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"})

    assert status == 200
    assert body["images"][0].startswith("http")
    assert "6 MB" in body["warning"]


def test_extra_single_image_runs_as_a_job_and_answers_html_info_and_the_image(env):
    api, _, _ = env

    status, body, _ = api.call(
        "POST", "/sdapi/v1/extra-single-image", {"image": PNG_B64, "upscaler_1": "Lanczos"}
    )

    assert status == 200, body
    assert set(body) == {"html_info", "image"}
    assert body["image"] == PNG_B64


def test_extra_batch_images_answers_the_images(env):
    api, _, _ = env
    images = [{"data": PNG_B64, "name": "a.png"}, {"data": PNG_B64, "name": "b.png"}]

    status, body, _ = api.call("POST", "/sdapi/v1/extra-batch-images", {"imageList": images})

    assert status == 200, body
    assert set(body) == {"html_info", "images"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"upscaler_1": "4x-UltraSharp"}, "upscaler_1"),
        ({"image": "not an image"}, "image"),
        ({"show_extras_results": False}, "show_extras_results"),
    ],
)
def test_refused_extras_name_the_field(env, payload, field):
    api, worker, _ = env

    status, body, _ = api.call("POST", "/sdapi/v1/extra-single-image", {"image": PNG_B64, **payload})

    assert status == 400, body
    assert field in [f["field"] for f in body["fields"]]
    assert worker.finish_all() == []



def test_filter_nsfw_runs_where_a_checker_is_deployed_and_the_answer_keeps_a1111s_shape(env):
    api, _, _ = env
    settings = {"sd_model_checkpoint": "v1-5-pruned-emaonly", "filter_nsfw": True}

    payload = {"prompt": "a cat", "override_settings": settings}

    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", payload)

    assert status == 200, body
    assert set(body) == {"images", "parameters", "info"}


def test_filter_nsfw_on_a_pool_without_a_checker_is_a_400_naming_it(env):
    api, worker, _ = env

    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"override_settings": {"filter_nsfw": True}})

    assert status == 400, body
    assert "override_settings.filter_nsfw" in [f["field"] for f in body["fields"]]
    assert worker.finish_all() == []
