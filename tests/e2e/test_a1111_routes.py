"""The A1111 routes clients call around generation, over HTTP against the local stack (tiny models):
options persisted per key and used by the next txt2img, png-info of a generated image, progress (with the
live preview) and A1111's interrupt and skip of the caller's running job (the txt2img caller gets the images
made so far; a skip ends only the running batch iteration)."""

from __future__ import annotations

import base64
import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

pytestmark = pytest.mark.e2e

MODEL = "v1-5-pruned-emaonly"
QUICK = {"prompt": "a lighthouse", "steps": 2, "width": 64, "height": 64}
SLOW = {"prompt": "a long job", "width": 2048, "height": 2048, "steps": 150, "model": MODEL}
"""Keeps the tiny SD 1.5 model busy for a while."""


def test_options_pick_the_checkpoint_of_the_next_txt2img_and_png_info_reads_its_image(stack):
    # given the key's default checkpoint set through POST /options
    answer = stack.post("/sdapi/v1/options", {"sd_model_checkpoint": MODEL})
    assert answer.status_code == 200, answer.text

    # when a txt2img names no checkpoint
    done = stack.post("/sdapi/v1/txt2img", QUICK, timeout=300)

    # then it ran on that checkpoint, and png-info reads the infotext written into its PNG
    assert done.status_code == 200, done.text
    body = done.json()
    assert json.loads(body["info"])["sd_model_name"] == MODEL
    info = stack.post("/sdapi/v1/png-info", {"image": body["images"][0]})
    assert info.status_code == 200, info.text
    assert info.json()["info"] == json.loads(body["info"])["infotexts"][0]
    assert info.json()["parameters"]["Steps"] == "2"
    stack.post("/sdapi/v1/options", {"sd_model_checkpoint": "sd_xl_base_1.0"})


def test_progress_shows_the_running_job_and_interrupt_answers_the_image_made_so_far(stack):
    # given a long A1111 txt2img of two batch iterations, its caller waiting for the answer
    slow = {key: value for key, value in SLOW.items() if key != "model"}
    body = {**slow, "n_iter": 2, "override_settings": {"sd_model_checkpoint": MODEL}}
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(stack.post, "/sdapi/v1/txt2img", body, timeout=400)

        def progress():
            return stack.get("/sdapi/v1/progress").json()

        running = stack.wait(progress, lambda b: b["state"]["sampling_step"] > 0)

        # then progress (no id) reports it in A1111's shape
        assert 0 < running["progress"] <= 1

        # when the key interrupts during the first iteration
        assert stack.post("/sdapi/v1/interrupt", {}).status_code == 200
        done = answer.result()

    # then the caller gets A1111's answer: the first iteration's image, and no second iteration
    assert done.status_code == 200, done.text
    assert len(done.json()["images"]) == 1
    assert len(json.loads(done.json()["info"])["infotexts"]) == 1
    ended = stack.get(f"/v1/jobs/{running['state']['job']}").json()
    assert ended["state"] == "COMPLETED"


def test_skip_ends_only_the_running_iteration_and_the_caller_gets_every_iterations_image(stack):
    # given an A1111 txt2img of two long batch iterations on the tiny SD 1.5, its caller waiting
    steps = 150
    body = {"prompt": "a long job", "width": 512, "height": 512, "steps": steps, "n_iter": 2}
    body["override_settings"] = {"sd_model_checkpoint": MODEL}
    seen: list[int] = []

    def progress():
        step = stack.get("/sdapi/v1/progress").json()["state"]["sampling_step"]
        seen.append(step)
        return step

    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(stack.post, "/sdapi/v1/txt2img", body, timeout=400)
        skipped_at = stack.wait(progress, lambda step: step > 0)

        # when the key skips during the first iteration
        assert stack.post("/sdapi/v1/skip", {}).status_code == 200
        stack.wait(progress, lambda step: step > steps)

        # then the second iteration runs right after the first iteration's next progress write (the one
        # that read the skip, and at most one written while the skip was on its way)
        assert len({step for step in seen if skipped_at < step <= steps}) <= 2
        # and a second skip ends the second iteration, as each skip is acted on once
        assert stack.post("/sdapi/v1/skip", {}).status_code == 200
        done = answer.result()

    # then the caller gets A1111's answer with both iterations' images
    assert done.status_code == 200, done.text
    assert len(done.json()["images"]) == 2
    assert len(json.loads(done.json()["info"])["infotexts"]) == 2


def test_progress_of_a_running_job_carries_its_live_preview(stack):
    # given a long job of this key running on the GPU worker
    queued = stack.post("/v1/jobs", SLOW)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]

    def progress(query: str = ""):
        return stack.get(f"/sdapi/v1/progress{query}").json()

    # when the worker has stored a preview with its progress
    running = stack.wait(progress, lambda b: b["state"]["job"] == job_id and b["current_image"] is not None)

    # then current_image is a base64 PNG (no data: prefix) of the 2048² job's latents, shrunk to 128 px
    preview = Image.open(io.BytesIO(base64.b64decode(running["current_image"], validate=True)))
    assert preview.format == "PNG"
    assert preview.size == (128, 128)
    # and skip_current_image leaves it out
    assert progress("?skip_current_image=true")["current_image"] is None
    requests.delete(f"{stack.url}/v1/jobs/{job_id}", headers=stack.headers, timeout=30)
    ended = stack.wait(lambda: stack.get(f"/v1/jobs/{job_id}").json(), lambda b: b["state"] != "IN_PROGRESS")
    assert progress(f"?id_task={job_id}")["current_image"] is None, "an ended job has no preview"
    assert ended["state"] == "CANCELLED"
