"""Each seed request through its dialect, over HTTP, against the local stack (tiny models)."""

from __future__ import annotations

import copy
import json

import pytest
import requests
from pytest_httpserver import HTTPServer

from tests.e2e.conftest import b64_png, is_png
from tests.e2e.runpod import RUNPOD_TERMINAL, runpod_finished
from tests.e2e.seeds import (
    SEED_000_IMG2IMG,
    SEED_001_CONTROLNET,
    SEED_002_TXT2IMG,
    SEED_003_V3_IMG2IMG,
    SEED_004_TASK,
    with_image,
)

pytestmark = pytest.mark.e2e


def assert_a1111_output(output: dict, images: int, prompt: str) -> None:
    assert len(output["images"]) == images
    assert all(b64_png(image) for image in output["images"])
    info = json.loads(output["info"])
    assert info["prompt"] == prompt
    assert isinstance(info["seed"], int)
    assert info["seed"] >= 0
    assert info["all_seeds"][0] == info["seed"]
    assert info["infotexts"]
    assert info["infotexts"][0].startswith(prompt)
    assert isinstance(output["parameters"], dict)


# ---------------------------------------------------------------------------------------------- RunPod


def test_runpod_run_then_status_txt2img_seed_002(stack):
    # given the seed 002 txt2img request (SDXL base + refiner + VAE, 1024², 30 steps)
    # when it is submitted with /run
    answer = stack.post("/v2/sdxl/run", SEED_002_TXT2IMG)

    # then it is queued, and /status later shows the A1111 answer
    assert answer.status_code == 200, answer.text
    queued = answer.json()
    assert queued["status"] == "IN_QUEUE"
    assert queued["id"]
    done = runpod_finished(stack, "sdxl", queued["id"])
    assert done["status"] == "COMPLETED", done
    assert done["id"] == queued["id"]
    assert isinstance(done["delayTime"], int)
    assert isinstance(done["executionTime"], int)
    assert_a1111_output(done["output"], 1, "an astronaut riding a horse")
    info = json.loads(done["output"]["info"])
    assert (info["width"], info["height"], info["steps"]) == (1024, 1024, 30)
    assert info["sampler_name"] == "DPM++ SDE Karras"


def test_runpod_runsync_img2img_seed_000(stack, png_b64):
    # given seed 000 (img2img, refiner, SDXL VAE, face restoration) with a real init image
    request = with_image(SEED_000_IMG2IMG, png_b64)

    # when it is sent to /runsync
    answer = stack.post("/v2/sdxl/runsync", request, timeout=330)

    # then the answer is the finished job (or, if the wait ran out, a status body to poll)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    if body["status"] not in RUNPOD_TERMINAL:
        body = runpod_finished(stack, "sdxl", body["id"])
    assert body["status"] == "COMPLETED", body
    assert_a1111_output(body["output"], 1, "at the ocean")
    info = json.loads(body["output"]["info"])
    assert info["restore_faces"] is True
    assert info["denoising_strength"] == 0.75


def test_runpod_seed_001_family_mismatch_is_a_clear_400(stack, png_b64):
    # given seed 001: an SDXL checkpoint with an SD 1.5 ControlNet
    answer = stack.post("/v2/sdxl/run", with_image(SEED_001_CONTROLNET, png_b64))

    # then it is refused at the door, naming both families
    assert answer.status_code == 400, answer.text
    text = answer.text.lower()
    assert "control_v11p_sd15_canny" in text
    assert "sd15" in text
    assert "sdxl" in text


def test_runpod_controlnet_on_the_sd15_pool_returns_the_detected_map(stack, png_b64):
    # given seed 001's ControlNet unit with the SD 1.5 checkpoint it fits, on the sd15 pool
    request = with_image(SEED_001_CONTROLNET, png_b64)
    payload = request["input"]["payload"]
    payload["override_settings"] = {"sd_model_checkpoint": "v1-5-pruned-emaonly"}
    del payload["refiner_checkpoint"], payload["refiner_switch_at"]

    answer = stack.post("/v2/sd15/run", request)

    assert answer.status_code == 200, answer.text
    done = runpod_finished(stack, "sd15", answer.json()["id"])
    assert done["status"] == "COMPLETED", done
    output = done["output"]
    assert len(output["images"]) == 2  # the generated image, then the canny map
    info = json.loads(output["info"])
    assert "ControlNet 0" in info["extra_generation_params"]
    assert "canny" in info["extra_generation_params"]["ControlNet 0"]


def test_runpod_health_counts_jobs(stack):
    answer = stack.get("/v2/sdxl/health")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["jobs"]) >= {"completed", "failed", "inProgress", "inQueue"}
    assert set(body["workers"]) >= {"idle", "running"}


# ---------------------------------------------------------------------------------------------- A1111


def test_a1111_txt2img_with_basic_auth(stack):
    payload = copy.deepcopy(SEED_002_TXT2IMG["input"]["payload"])
    payload.update(width=512, height=512, steps=8)  # the seed-sized run is the RunPod test above
    answer = requests.post(
        f"{stack.url}/sdapi/v1/txt2img", json=payload, auth=("anyone", stack.key), timeout=330
    )
    assert answer.status_code == 200, answer.text
    assert_a1111_output(answer.json(), 1, "an astronaut riding a horse")


def test_a1111_img2img(stack, png_b64):
    payload = copy.deepcopy(with_image(SEED_000_IMG2IMG, png_b64)["input"]["payload"])
    payload.update(restore_faces=False, width=512, height=512, steps=8)  # seed-sized: the RunPod test
    answer = stack.post("/sdapi/v1/img2img", payload, timeout=330)
    assert answer.status_code == 200, answer.text
    assert_a1111_output(answer.json(), 1, "at the ocean")


def test_a1111_without_a_key_is_401(stack):
    answer = requests.post(f"{stack.url}/sdapi/v1/txt2img", json={"prompt": "x"}, timeout=30)
    assert answer.status_code == 401


def test_a1111_listings_show_the_catalog(stack):
    models = stack.get("/sdapi/v1/sd-models")
    assert models.status_code == 200, models.text
    names = {m["model_name"] for m in models.json()}
    assert {"sd_xl_base_1.0", "v1-5-pruned-emaonly"} <= names
    samplers = stack.get("/sdapi/v1/samplers")
    assert samplers.status_code == 200
    assert "DPM++ SDE" in {s["name"] for s in samplers.json()}


# ---------------------------------------------------------------------------------------------- v3


def v3_fetch(stack, job_id) -> dict:
    answer = stack.post(f"/api/v3/fetch/{job_id}", {"key": stack.key}, anonymous=True)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_v3_text2img_then_fetch(stack):
    request = {
        "key": stack.key,
        "prompt": "a cat sitting on a bench",
        "negative_prompt": None,
        "width": "512",
        "height": "512",
        "samples": "1",
        "num_inference_steps": "10",
        "safety_checker": "no",
        "enhance_prompt": "yes",
        "guidance_scale": 7.5,
        "seed": None,
        "base64": "no",
        "webhook": None,
        "track_id": None,
    }
    answer = stack.post("/api/v3/text2img", request, anonymous=True)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] in ("success", "processing"), body
    assert isinstance(body["id"], int)
    done = stack.wait(
        lambda: v3_fetch(stack, body["id"]), lambda b: b["status"] in ("success", "failed", "error")
    )
    assert done["status"] == "success", done
    assert len(done["output"]) == 1
    image = requests.get(done["output"][0], timeout=30)
    assert image.status_code == 200
    assert is_png(image.content)


def test_v3_img2img_seed_003_with_a_loopback_init_image(stack, httpserver: HTTPServer, png_b64):
    # given an init image served over plain http on 127.0.0.1 (allowed in local mode only)
    import base64

    httpserver.expect_request("/cat.png").respond_with_data(
        base64.b64decode(png_b64), content_type="image/png"
    )
    request = dict(SEED_003_V3_IMG2IMG, key=stack.key, init_image=httpserver.url_for("/cat.png"))

    # when the seed 003 request is sent
    answer = stack.post("/api/v3/img2img", request, anonymous=True)

    # then it runs to success with a downloadable PNG
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] in ("success", "processing"), body
    done = stack.wait(
        lambda: v3_fetch(stack, body["id"]), lambda b: b["status"] in ("success", "failed", "error")
    )
    assert done["status"] == "success", done
    assert is_png(requests.get(done["output"][0], timeout=30).content)
    assert done["meta"]["prompt"] == "a cat sitting on a bench"


def test_v3_system_load(stack):
    answer = stack.post("/api/v3/system_load", {"key": stack.key}, anonymous=True)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    assert isinstance(body["queue_num"], int)
    assert isinstance(body["queue_time"], int | float)


def test_v3_wrong_key_is_an_error_in_v3_shape(stack):
    answer = stack.post("/api/v3/system_load", {"key": "sd_wrong"}, anonymous=True)
    assert answer.status_code in (200, 401)
    assert answer.json()["status"] == "error"


# ---------------------------------------------------------------------------------------------- tasks


def test_tasks_v1alpha2_seed_004_with_image_link(stack, httpserver: HTTPServer, png_b64):
    import base64

    httpserver.expect_request("/cat-task.png").respond_with_data(
        base64.b64decode(png_b64), content_type="image/png"
    )
    request = copy.deepcopy(SEED_004_TASK)
    request["task"]["content"]["alwayson_scripts"]["image_link"] = httpserver.url_for("/cat-task.png")

    answer = stack.post("/v1alpha2", request)

    assert answer.status_code in (200, 202), answer.text
    body = answer.json()
    assert body["id"] == "test-i2i"
    assert body["runtime"] == "sdruntime"
    assert body["output_location"].startswith("s3://")
    assert "/output/test-i2i." in body["output_location"]
    done = stack.wait(
        lambda: stack.get("/v1alpha2/test-i2i").json(),
        lambda b: b.get("result") is not None,
    )
    assert done["status"] == "completed", done
    assert len(done["image_url"]) == 1
    assert done["image_url"][0].startswith(body["output_location"] + "/")  # {prefix}/{id}/, no outputs/

    # and the same id again is a conflict, never an overwrite
    again = stack.post("/v1alpha2", request)
    assert again.status_code == 409, again.text
