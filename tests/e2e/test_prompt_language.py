"""A1111's prompt language end to end through the local stack: emphasis, schedules, BREAK, LoRA tags,
embeddings and styles for A1111, RunPod and v3 callers."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

RUNPOD_TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}
LONG_NEGATIVE = ", ".join(["blurry", "low quality", "jpeg artifacts", "bad anatomy", "watermark"] * 6)
"""About 150 tokens (the tiny tokenizer has one token per letter): three chunks."""


def test_a1111_prompt_with_every_feature_on_sd15(stack):
    # given an A1111 request using emphasis, a schedule, BREAK, a LoRA, an embedding and a style
    prompt = "(a lighthouse:1.2), [day:night:0.5] <lora:add_detail:0.8> BREAK a cliff, easynegative"
    payload = {
        "prompt": prompt,
        "negative_prompt": LONG_NEGATIVE,
        "styles": ["sharp"],
        "steps": 4,
        "width": 64,
        "height": 64,
        "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"},
    }
    # when it is generated
    answer = stack.post("/sdapi/v1/txt2img", payload, timeout=330)
    # then the info keeps the prompt as written and names the LoRA, the embedding and the style
    assert answer.status_code == 200, answer.text
    info = json.loads(answer.json()["info"])
    assert info["prompt"] == prompt
    assert info["styles"] == ["sharp"]
    assert info["all_prompts"] == [f"{prompt}, highly detailed, sharp focus"]
    assert 'Lora hashes: "add_detail: ' in info["infotexts"][0]
    assert 'TI hashes: "easynegative: ' in info["infotexts"][0]


def test_a1111_unknown_lora_is_a_400_naming_it(stack):
    answer = stack.post("/sdapi/v1/txt2img", {"prompt": "a cat <lora:no_such_lora:1>"})
    assert answer.status_code == 400
    assert "no_such_lora" in answer.text


def test_runpod_sdxl_lora_embedding_and_long_negative(stack):
    # given a RunPod request on the SDXL pool with its LoRA and embedding
    request = {
        "input": {
            "prompt": "an astronaut <lora:sd_xl_offset_example-lora_1.0:0.5:1>",
            "negative_prompt": f"unaestheticXLv31, {LONG_NEGATIVE}",
            "steps": 4,
            "width": 64,
            "height": 64,
            "refiner_checkpoint": "sd_xl_refiner_1.0",
            "refiner_switch_at": 0.5,
        }
    }
    answer = stack.post("/v2/sdxl/run", request)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["id"]
    # when it finishes
    done = stack.wait(
        lambda: stack.get(f"/v2/sdxl/status/{job_id}").json(), lambda b: b["status"] in RUNPOD_TERMINAL
    )
    # then it completed with the LoRA and the embedding in its infotext
    assert done["status"] == "COMPLETED", done
    infotext = json.loads(done["output"]["info"])["infotexts"][0]
    assert "Lora hashes: " in infotext
    assert "TI hashes: " in infotext


def test_v3_lora_model_and_embeddings_model(stack):
    # given a v3 request naming an SDXL LoRA and embedding
    request = {
        "key": stack.key,
        "prompt": "a cat, unaestheticXLv31",
        "width": "64",
        "height": "64",
        "samples": "1",
        "num_inference_steps": "4",
        "lora_model": "sd_xl_offset_example-lora_1.0",
        "lora_strength": "0.7",
        "embeddings_model": "unaestheticXLv31",
    }
    answer = stack.post("/api/v3/text2img", request, anonymous=True)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["id"]

    def fetch():
        return stack.post(f"/api/v3/fetch/{job_id}", {"key": stack.key}, anonymous=True).json()

    # then it succeeds
    done = stack.wait(fetch, lambda b: b["status"] in ("success", "failed", "error"))
    assert done["status"] == "success", done


def test_v3_lora_of_the_wrong_family_is_a_400_in_messege(stack):
    request = {"key": stack.key, "prompt": "a cat", "lora_model": "add_detail"}
    answer = stack.post("/api/v3/text2img", request, anonymous=True)
    assert answer.status_code == 400
    assert "lora_model" in answer.json()["messege"]


def test_listings_of_loras_embeddings_and_styles(stack):
    loras = stack.get("/sdapi/v1/loras").json()
    styles = stack.get("/sdapi/v1/prompt-styles").json()
    embeddings = stack.get("/sdapi/v1/embeddings").json()
    assert {"add_detail", "sd_xl_offset_example-lora_1.0"} == {entry["name"] for entry in loras}
    assert "cinematic" in {style["name"] for style in styles}
    assert "unaestheticXLv31" in embeddings["loaded"]
