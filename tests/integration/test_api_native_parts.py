"""Native API's hires fix, extras, sampler knobs, noise source, LoRAs and styles through the real api handler
(moto): what is queued, and the 400s naming the native field with nothing queued."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.integration.api_support import PNG_B64, api_env

SD15 = "v1-5-pruned-emaonly"


@pytest.fixture
def env(aws, api_key):
    api, _, _ = api_env(aws, api_key, worker=False)
    return api, aws


def queued_job(aws, job_id: str) -> dict:
    """The canonical job the api Lambda wrote for the GPU."""
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{job_id}.json")["Body"].read()
    return json.loads(body)


def nothing_queued(aws) -> bool:
    listed = boto3.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="inputs/")
    return listed.get("KeyCount", 0) == 0


def test_a_hires_job_with_extras_loras_styles_and_noise_is_queued_as_asked(env):
    # given a native txt2img asking for everything the canonical job can carry
    api, aws = env
    request = {
        "prompt": "a lighthouse",
        "model": SD15,
        "width": 64,
        "height": 64,
        "sampler": "Euler",
        "s_churn": 0.5,
        "noise_source": "CPU",
        "eta_noise_seed_delta": 31337,
        "loras": [{"name": "add_detail", "weight": 0.7}],
        "styles": ["sharp"],
        "hires": {"scale": 1.5, "upscaler": "ESRGAN_4x", "steps": 2, "denoising_strength": 0.5},
        "extras": {
            "upscale": {"upscaler": "R-ESRGAN General 4xV3", "scale": 2},
            "face_restoration": {"codeformer_visibility": 0.5, "codeformer_weight": 0.4},
        },
    }

    # when it is submitted
    status, body, _ = api.call("POST", "/v1/jobs", request)

    # then the queued job carries each part
    assert status == 202, body
    job = queued_job(aws, body["id"])
    assert job["hires"]["upscaler"] == "ESRGAN_4x"
    assert job["hires"]["scale"] == 1.5
    assert job["extras"]["upscale"]["upscaler"] == "R-ESRGAN General 4xV3"
    assert job["extras"]["codeformer_weight"] == 0.4
    assert job["loras"] == [{"name": "add_detail", "te_weight": 0.7, "unet_weight": 0.7, "dyn_dim": None}]
    assert job["styles"] == [
        {"name": "sharp", "prompt": "highly detailed, sharp focus", "negative_prompt": "blurry"}
    ]
    assert (job["noise_source"], job["eta_noise_seed_delta"]) == ("CPU", 31337)
    assert job["s_churn"] == 0.5


def test_a_native_extras_job_upscales_the_input_image(env):
    api, aws = env

    status, body, _ = api.call(
        "POST",
        "/v1/jobs",
        {"task": "extras", "pool": "sd15", "init_images": [PNG_B64], "extras": {"upscale": {"scale": 2}}},
    )

    assert status == 202, body
    job = queued_job(aws, body["id"])
    assert job["task"] == "extras"
    assert job["extras"]["upscale"]["upscaler"] == "ESRGAN_4x"


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"hires": {"upscaler": "4x-UltraSharp"}}, "hires.upscaler"),
        ({"hires": {"width": 4096, "height": 4096}}, "hires.width"),
        ({"hires": {"checkpoint": "sd_xl_base_1.0"}}, "hires.checkpoint"),
        ({"hires": {"sampler": "Euler Turbo"}}, "hires.sampler"),
        ({"extras": {"upscale": {"upscaler": "4x-UltraSharp"}}}, "extras.upscale.upscaler"),
        ({"extras": {"upscale": {"scale": 8}}, "width": 2048, "height": 2048}, "extras.upscale.scale"),
        (
            {"width": 1024, "height": 1024, "hires": {"scale": 2}, "extras": {"upscale": {"scale": 2.5}}},
            "extras.upscale.scale",
        ),
        (
            {"extras": {"face_restoration": {"gfpgan_visibility": 2}}},
            "extras.face_restoration.gfpgan_visibility",
        ),
        ({"loras": [{"name": "sd_xl_offset_example-lora_1.0"}]}, "loras[0]"),
        ({"loras": [{"name": "no_such_lora"}]}, "loras[0]"),
        ({"styles": ["no_such_style"]}, "styles[0]"),
        ({"sampler": "Euler a", "eta": 0.5}, "eta"),
        ({"sampler": "DPM++ 2M", "s_noise": 0.9}, "s_noise"),
        ({"eta_noise_seed_delta": -1}, "eta_noise_seed_delta"),
        ({"codeformer_weight": 0.3}, "codeformer_weight"),
        ({"denoising_strength": 0.3}, "denoising_strength"),
    ],
)
def test_bad_native_parts_are_400_naming_the_native_field_and_nothing_is_queued(env, request_fields, field):
    api, aws = env

    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x", "model": SD15, **request_fields})

    assert status == 400, body
    assert field in [f["field"] for f in body["error"]["fields"]]
    assert nothing_queued(aws)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"noise_source": "TPU"}, "noise_source"),
        ({"loras": [{"weight": 1}]}, "loras[0].name"),
        ({"hires": {"scale_by": 2}}, "hires.scale_by"),
        ({"extras": {"upscale": {"model": "x"}}}, "extras.upscale.model"),
        ({"styles": [""]}, "styles[0]"),
    ],
)
def test_native_parts_that_do_not_match_the_schema_are_422_naming_the_field(env, request_fields, field):
    api, aws = env

    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x", **request_fields})

    assert status == 422, body
    assert body["error"]["fields"][0]["field"] == field
    assert nothing_queued(aws)


def test_the_models_listing_names_the_styles_and_upscalers_native_requests_use(env):
    api, _ = env

    status, models, _ = api.call("GET", "/v1/models")

    assert status == 200
    assert {s["name"] for s in models["styles"]} == {"cinematic", "sharp"}
    assert "Latent" in models["latent_upscale_modes"]
    assert "Lanczos" in models["builtin_upscalers"]


def test_the_openapi_document_describes_the_native_parts(env):
    api, _ = env

    status, spec, _ = api.call("GET", "/openapi.json", key=None)

    assert status == 200
    schemas = {s.get("title"): s for s in spec["components"]["schemas"].values()}
    assert "Latent mode" in schemas["HiresFix"]["properties"]["upscaler"]["description"]
    assert "CodeFormer" in schemas["FaceRestoration"]["properties"]["codeformer_weight"]["description"]
    assert schemas["Lora"]["required"] == ["name"]
