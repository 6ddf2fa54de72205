"""The door knows the prompt's names: unknown LoRAs, embeddings and styles are 400s in the caller's dialect
with nothing queued; known ones reach the job; the listings show what the deployment has."""

from __future__ import annotations

import json

import boto3
import pytest

from sdapi.aws.jobs_table import JobsTable
from tests.integration.api_support import api_env


@pytest.fixture
def env(aws, api_key):
    api, _, _ = api_env(aws, api_key, worker=False)
    return api, aws


def queued(aws) -> list:
    return [*JobsTable(aws.jobs_table).queued("sdxl"), *JobsTable(aws.jobs_table).queued("sd15")]


def stored_job(aws, job_id: str) -> dict:
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{job_id}.json")["Body"].read()
    return json.loads(body)


def test_a1111_unknown_lora_tag_is_a_400_naming_it_and_nothing_is_queued(env):
    api, aws = env
    # when an A1111 request names a LoRA the catalog lacks
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat <lora:no_such_lora:0.8>"})
    # then it is refused naming the LoRA, and no job exists
    assert status == 400
    assert "no_such_lora" in json.dumps(body)
    assert queued(aws) == []


def test_an_sd15_lora_on_the_sdxl_pool_is_a_400_naming_both(env):
    api, aws = env
    status, body, _ = api.call("POST", "/v2/sdxl/run", {"input": {"prompt": "a cat <lora:add_detail:1>"}})
    text = json.dumps(body)
    assert status == 400
    assert "add_detail" in text
    assert "sd15" in text
    assert "sd_xl_base_1.0" in text
    assert queued(aws) == []


def test_an_unknown_style_is_a_400_listing_the_styles(env):
    api, aws = env
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat", "styles": ["nope"]})
    text = json.dumps(body)
    assert status == 400
    assert "nope" in text
    assert "cinematic" in text
    assert queued(aws) == []


def test_a_known_style_reaches_the_job_with_its_definition(env):
    api, aws = env
    # when an A1111 request names a configured style (RunPod carries the same payload)
    status, body, _ = api.call(
        "POST", "/v2/sdxl/run", {"input": {"prompt": "a cat", "styles": ["cinematic"]}}
    )
    # then the queued job carries the style's prompts for the container to merge
    assert status == 200
    job = stored_job(aws, body["id"])
    assert job["styles"][0]["name"] == "cinematic"
    assert "{prompt}" in job["styles"][0]["prompt"]
    assert job["prompt"] == "a cat"


def test_v3_lora_model_and_strength_reach_the_job(env):
    api, aws = env
    status, body, _ = api.call(
        "POST",
        "/api/v3/text2img",
        {
            "key": api.key,
            "prompt": "a cat",
            "lora_model": "sd_xl_offset_example-lora_1.0",
            "lora_strength": "0.6",
        },
        key=None,
    )
    assert status == 200, body
    job = stored_job(aws, str(body["id"]))
    assert job["loras"] == [
        {"name": "sd_xl_offset_example-lora_1.0", "te_weight": 0.6, "unet_weight": 0.6, "dyn_dim": None}
    ]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"lora_model": "no_such_lora"}, "lora_model"),
        ({"embeddings_model": "easynegative"}, "embeddings_model"),
        ({"lora_model": "sd_xl_offset_example-lora_1.0", "lora_strength": "0.5,0.7"}, "lora_strength"),
    ],
)
def test_v3_unknown_or_unfit_names_are_400s_in_messege(env, fields, named):
    api, aws = env
    status, body, _ = api.call(
        "POST", "/api/v3/text2img", {"key": api.key, "prompt": "a cat", **fields}, key=None
    )
    assert status == 400
    assert named in body["messege"]
    assert queued(aws) == []


@pytest.mark.parametrize(("prompt", "named"), [("a cat AND a dog", "AND"), ("a cat:1.5", "weight")])
def test_composable_diffusion_is_refused_rather_than_ignored(env, prompt, named):
    api, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": prompt})
    assert status == 400
    assert named in json.dumps(body)


def test_listings_show_loras_embeddings_and_styles(env):
    api, _ = env
    loras = api.call("GET", "/sdapi/v1/loras")[1]
    embeddings = api.call("GET", "/sdapi/v1/embeddings")[1]
    styles = api.call("GET", "/sdapi/v1/prompt-styles")[1]
    # then LoRAs are listed, embeddings split by the default (sdxl) checkpoint's family, styles in full
    assert {entry["name"] for entry in loras} == {"add_detail", "sd_xl_offset_example-lora_1.0"}
    assert set(embeddings["loaded"]) == {"unaestheticXLv31"}
    assert set(embeddings["skipped"]) == {"easynegative"}
    assert [s["name"] for s in styles] == ["cinematic", "sharp"]
