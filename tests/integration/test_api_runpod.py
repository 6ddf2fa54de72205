"""RunPod API through the real api handler (moto): the seeds' run/runsync/status shapes, the queue
operations and the errors."""

from __future__ import annotations

import copy
import json

import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.schema.job import JobState
from tests.integration.api_support import (
    PNG_B64,
    Worker,
    api_env,
    other_key,
)
from tests.seeds import seed_blocks


@pytest.fixture
def env(aws, api_key):
    api, worker, _ = api_env(aws, api_key, worker=False)
    return api, worker, aws


def seed_request(prefix: str) -> dict:
    body = copy.deepcopy(seed_blocks(prefix)[0])
    payload = body["input"]["payload"]
    if "init_images" in payload:
        payload["init_images"] = [PNG_B64]
    return body


def test_seed_000_run_then_status_until_completed(env):
    api, worker, _ = env

    status, run, _ = api.call("POST", "/v2/sdxl/run", seed_request("000"))

    assert status == 200
    assert run == {"id": run["id"], "status": "IN_QUEUE"}
    assert api.call("GET", f"/v2/sdxl/status/{run['id']}")[1] == {"id": run["id"], "status": "IN_QUEUE"}
    worker.finish_all()
    status, body, _ = api.call("GET", f"/v2/sdxl/status/{run['id']}")
    expected = seed_blocks("000")[2]
    assert status == 200
    assert list(body) == list(expected)
    assert body["status"] == "COMPLETED"
    assert isinstance(body["delayTime"], int)
    assert body["output"]["images"] == [PNG_B64]
    assert isinstance(json.loads(body["output"]["info"]), dict)
    assert set(expected["output"]["parameters"]) <= set(body["output"]["parameters"])
    assert body["output"]["parameters"]["sampler_name"] == "DPM++ SDE Karras"


def test_seed_002_runsync_waits_for_the_job(env):
    api, worker, _ = env
    worker.enabled = True

    status, body, _ = api.call("POST", "/v2/sdxl/runsync", seed_request("002"))

    assert status == 200
    assert body["status"] == "COMPLETED"
    assert body["output"]["images"] == [PNG_B64]
    assert set(body) == {"delayTime", "executionTime", "id", "output", "status"}


def test_runsync_past_the_wait_answers_the_status_body(env):
    api, _, _ = env
    status, body, _ = api.call("POST", "/v2/sdxl/runsync?wait=0", seed_request("002"))
    assert status == 200
    assert body == {"id": body["id"], "status": "IN_QUEUE"}


def test_seed_001_sdxl_checkpoint_with_sd15_controlnet_is_a_400_naming_both_families(env):
    api, _, aws = env

    status, body, _ = api.call("POST", "/v2/sdxl/run", seed_request("001"))

    assert status == 400, body
    assert "sd15" in body["error"]
    assert "sdxl" in body["error"]
    assert body["errors"][0]["field"].startswith("input.payload.alwayson_scripts.controlnet.args[0]")
    assert JobsTable(aws.jobs_table).queued("sdxl") == []


def test_seed_001_with_an_sd15_checkpoint_is_accepted_and_returns_the_detected_map(env):
    api, worker, _ = env
    request = seed_request("001")
    payload = request["input"]["payload"]
    payload["override_settings"] = {"sd_model_checkpoint": "v1-5-pruned-emaonly"}
    payload["refiner_checkpoint"] = ""

    status, run, _ = api.call("POST", "/v2/sd15/run", request)

    assert status == 200
    assert run["status"] == "IN_QUEUE"
    worker.finish_all()
    body = api.call("GET", f"/v2/sd15/status/{run['id']}")[1]
    assert len(body["output"]["images"]) == 2  # the generated image, then the canny map


def test_cancel_retry_purge_and_health(env):
    api, _, aws = env
    first = api.call("POST", "/v2/sdxl/run", seed_request("002"))[1]
    second = api.call("POST", "/v2/sdxl/run", seed_request("002"))[1]

    status, cancelled, _ = api.call("POST", f"/v2/sdxl/cancel/{first['id']}")
    assert status == 200
    assert cancelled["status"] == "CANCELLED"
    status, conflict, _ = api.call("POST", f"/v2/sdxl/retry/{first['id']}")
    assert status == 409
    assert "error" in conflict
    health = api.call("GET", "/v2/sdxl/health")[1]
    assert health["jobs"]["inQueue"] == 1
    assert set(health["workers"]) == {"idle", "running"}
    assert api.call("POST", "/v2/sdxl/purge-queue")[1] == {"removed": 1, "status": "completed"}
    assert api.call("GET", f"/v2/sdxl/status/{second['id']}")[1]["status"] == "CANCELLED"

    third = api.call("POST", "/v2/sdxl/run", seed_request("002"))[1]
    Worker(aws.settings, fail_with="CUDA out of memory").finish(third["id"])
    failed = api.call("GET", f"/v2/sdxl/status/{third['id']}")[1]
    assert failed["status"] == "FAILED"
    assert failed["error"] == "CUDA out of memory"
    status, retried, _ = api.call("POST", f"/v2/sdxl/retry/{third['id']}")
    assert status == 200
    assert retried == {"id": third["id"], "status": "IN_QUEUE"}
    assert JobsTable(aws.jobs_table).get(third["id"]).state == JobState.QUEUED


def test_plain_input_shape_and_listing_calls(env):
    api, _, _ = env
    status, run, _ = api.call(
        "POST", "/v2/sdxl/run", {"input": {"prompt": "a cat", "width": 64, "height": 64}}
    )
    assert status == 200
    assert run["status"] == "IN_QUEUE"

    status, listing, _ = api.call(
        "POST", "/v2/sdxl/run", {"input": {"api": {"method": "GET", "endpoint": "/sdapi/v1/sd-models"}}}
    )
    assert status == 200
    assert listing["status"] == "COMPLETED"
    assert listing["id"].startswith("listing-")
    assert {m["model_name"] for m in listing["output"]} >= {"sd_xl_base_1.0"}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.update(width=1001), "input.payload.width"),
        (lambda p: p.update(sampler_name="Euler Turbo"), "input.payload.sampler_name"),
        (lambda p: p.update(steps="many"), "input.payload.steps"),
        (
            lambda p: p.update(override_settings={"sd_model_checkpoint": "dreamshaper_8"}),
            "input.payload.override_settings.sd_model_checkpoint",
        ),
    ],
)
def test_bad_payloads_are_400_naming_the_payload_field(env, mutate, field):
    api, _, _ = env
    request = seed_request("002")
    mutate(request["input"]["payload"])
    status, body, _ = api.call("POST", "/v2/sdxl/run", request)
    assert status == 400, body
    assert field in [e["field"] for e in body["errors"]]


def test_bad_images_unknown_endpoints_other_owners_and_missing_keys(env):
    api, _, aws = env
    request = seed_request("000")
    request["input"]["payload"]["init_images"] = ["bm90IGFuIGltYWdl"]
    status, body, _ = api.call("POST", "/v2/sdxl/run", request)
    assert status == 400
    assert body["errors"][0]["field"] == "input.payload.init_images[0]"

    assert api.call("POST", "/v2/nope/run", seed_request("002"))[0] == 404
    run = api.call("POST", "/v2/sdxl/run", seed_request("002"))[1]
    assert api.call("GET", f"/v2/sdxl/status/{run['id']}", key=other_key(aws))[0] == 404
    assert api.call("GET", f"/v2/sd15/status/{run['id']}")[0] == 404
    status, body, _ = api.call("POST", "/v2/sdxl/run", seed_request("002"), key=None)
    assert status == 401
    assert body == {"error": "invalid or missing API key"}


def test_a_webhook_url_refused_by_the_guard_names_the_webhook_field(env):
    api, _, aws = env
    request = dict(seed_request("002"), webhook="https://10.0.0.7/hook")
    status, body, _ = api.call("POST", "/v2/sdxl/run", request)
    assert status == 400
    assert body["errors"][0]["field"] == "webhook"
    assert JobsTable(aws.jobs_table).queued("sdxl") == []


def extras_call(endpoint: str, payload: dict) -> dict:
    return {"input": {"api": {"method": "POST", "endpoint": endpoint}, "payload": payload}}


def test_the_workers_extra_single_image_runs_as_an_extras_job_and_answers_as_a1111(env):
    api, worker, aws = env
    body = extras_call("/sdapi/v1/extra-single-image", {"image": PNG_B64, "upscaler_1": "Lanczos"})

    status, run, _ = api.call("POST", "/v2/sdxl/run", body)
    worker.finish_all()
    done = api.call("GET", f"/v2/sdxl/status/{run['id']}")[1]

    assert status == 200, run
    assert JobsTable(aws.jobs_table).get(run["id"]).task == "extras"
    assert done["status"] == "COMPLETED"
    assert set(done["output"]) == {"html_info", "image"}
    assert done["output"]["image"] == PNG_B64


def test_the_workers_extra_batch_images_answers_every_image_through_runsync(env):
    api, worker, _ = env
    worker.enabled = True
    images = [{"data": PNG_B64, "name": "a.png"}, {"data": PNG_B64, "name": "b.png"}]

    status, body, _ = api.call(
        "POST", "/v2/sdxl/runsync", extras_call("/sdapi/v1/extra-batch-images", {"imageList": images})
    )

    assert status == 200, body
    assert body["status"] == "COMPLETED"
    assert set(body["output"]) == {"html_info", "images"}
    assert len(body["output"]["images"]) == 2


@pytest.mark.parametrize(
    ("endpoint", "payload", "field"),
    [
        ("/sdapi/v1/extra-single-image", {"image": PNG_B64, "upscaler_1": "4x-UltraSharp"}, "upscaler_1"),
        ("/sdapi/v1/extra-single-image", {"image": "not an image"}, "image"),
        ("/sdapi/v1/extra-single-image", {"image": PNG_B64, "upscaling_resize": 20}, "upscaling_resize"),
        ("/sdapi/v1/extra-batch-images", {"imageList": [{"data": "bm90IGFuIGltYWdl"}]}, "imageList[0].data"),
    ],
)
def test_refused_worker_extras_name_the_payload_field_and_queue_nothing(env, endpoint, payload, field):
    api, _, aws = env

    status, body, _ = api.call("POST", "/v2/sdxl/run", extras_call(endpoint, payload))

    assert status == 400, body
    assert f"input.payload.{field}" in [e["field"] for e in body["errors"]]
    assert JobsTable(aws.jobs_table).queued("sdxl") == []
