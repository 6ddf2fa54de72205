"""v3 dialect (seed 003): string numbers, yes/no flags, URL inputs, success/processing/failed bodies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sdapi.dialects import v3
from sdapi.errors import InvalidRequest, Unauthorized
from sdapi.records import Counters, SystemLoad
from sdapi.schema.job import Dialect, JobState, Task
from tests.seeds import seed_blocks
from tests.unit.dialects.support import ctx, record_for


def seed_body() -> dict:
    return next(b for b in seed_blocks("003") if isinstance(b, dict) and "init_image" in b)


def seed_response() -> dict:
    return next(b for b in seed_blocks("003") if isinstance(b, dict) and b.get("status") == "success")


def test_seed_003_img2img_with_string_numbers():
    request = v3.V3Request.model_validate(seed_body())
    assert v3.url_inputs(request, "img2img") == {"init_image": seed_body()["init_image"]}

    job = v3.to_job(request, "img2img", ctx(images={"init_image": "SU5JVA=="}))

    assert job.dialect == Dialect.V3
    assert job.task == Task.IMG2IMG
    assert (job.width, job.height, job.batch_size, job.steps) == (512, 512, 1, 30)
    assert job.cfg_scale == 7.5
    assert job.denoising_strength == 0.7
    assert job.seed == 1629676606
    assert job.init_images == ("SU5JVA==",)
    assert job.safety_checker is False
    assert job.output.base64 is False
    assert job.negative_prompt == ""
    assert job.prompt == "a cat sitting on a bench"
    assert job.request["enhance_prompt"] == "no"
    assert job.request["seed"] == 1629676606


def test_v3_limits_are_enforced_with_v3_field_names():
    with pytest.raises(ValidationError) as raised:
        v3.V3Request.model_validate({"width": "2048", "samples": "5", "guidance_scale": 30})
    fields = {e["loc"][0] for e in raised.value.errors()}
    assert fields == {"width", "samples", "guidance_scale"}


def test_flags_seed_webhook_and_base64():
    request = v3.V3Request.model_validate(
        {
            "prompt": "x",
            "seed": "42",
            "base64": "yes",
            "webhook": "https://h/x",
            "track_id": 7,
            "samples": "2",
            "safety_checker": "no",
        }
    )
    job = v3.to_job(request, "text2img", ctx())
    assert job.seed == 42
    assert job.output.base64 is True
    assert job.webhook.url == "https://h/x"
    assert job.track_id == "7"
    assert job.batch_size == 2
    assert job.denoising_strength is None


def test_inpaint_needs_both_urls():
    request = v3.V3Request.model_validate({"init_image": "https://h/i.png"})
    with pytest.raises(InvalidRequest) as raised:
        v3.url_inputs(request, "inpaint")
    assert raised.value.problems[0].field == "mask_image"
    job = v3.to_job(
        v3.V3Request.model_validate({"init_image": "u", "mask_image": "m"}),
        "inpaint",
        ctx(images={"init_image": "SU5JVA==", "mask_image": "TUFTSw=="}),
    )
    assert job.task == Task.INPAINT
    assert job.mask.image == "TUFTSw=="


def test_canonical_paths_map_to_v3_names():
    assert v3.to_caller_path("steps") == "num_inference_steps"
    assert v3.to_caller_path("init_images[0]") == "init_image"
    assert v3.to_caller_path("batch_size") == "samples"
    assert v3.to_caller_path("width") == "width"


@pytest.mark.parametrize(("nsfw", "flagged"), [([False, True], True), ([False, False], False), ([], False)])
def test_success_body_says_whether_the_safety_checker_blacked_out_an_image(nsfw, flagged):
    job = v3.to_job(
        v3.V3Request.model_validate(seed_body()), "img2img", ctx(images={"init_image": "SU5JVA=="})
    )
    record = record_for(job, state=JobState.COMPLETED, nsfw=nsfw)

    body = v3.success_body(record, ["https://bucket/outputs/1/0.png", "https://bucket/outputs/1/1.png"])

    assert body["nsfw_content_detected"] is flagged


def test_success_body_has_the_seed_shape_with_an_integer_id():
    job = v3.to_job(
        v3.V3Request.model_validate(seed_body()), "img2img", ctx(images={"init_image": "SU5JVA=="})
    )
    record = record_for(
        job, state=JobState.COMPLETED, started_at=job.created_at + 1, completed_at=job.created_at + 3.92
    )
    body = v3.success_body(record, ["https://bucket/outputs/1/0.png"])
    expected = seed_response()
    assert set(expected) <= set(body)
    assert body["status"] == "success"
    assert body["id"] == 1234567890
    assert body["generationTime"] == 2.92
    for key in (
        "H",
        "W",
        "guidance_scale",
        "model",
        "n_samples",
        "negative_prompt",
        "prompt",
        "seed",
        "steps",
    ):
        assert key in body["meta"], key


def test_processing_failed_and_system_load_bodies():
    job = v3.to_job(v3.V3Request.model_validate({"prompt": "x"}), "text2img", ctx())
    processing = v3.processing_body(record_for(job), 12.34, "https://api/fetch/1", ["https://f/0.png"])
    assert processing["status"] == "processing"
    assert processing["messege"]
    assert processing["eta"] == 12.3
    assert processing["output"] == []
    assert processing["future_links"] == ["https://f/0.png"]
    assert processing["id"] == 1234567890
    assert processing["fetch_result"] == "https://api/fetch/1"
    failed = v3.failed_body(record_for(job, state=JobState.CANCELLED))
    assert failed == {"status": "failed", "id": 1234567890, "message": "the job was cancelled"}
    load = SystemLoad(
        pools=[Counters(pool="sdxl", queued=2), Counters(pool="sd15", queued=1)],
        instances={},
        queue_time_s=42.0,
    )
    assert v3.system_load_body(load) == {"queue_num": 3, "queue_time": 42.0, "status": "ok"}


def test_error_bodies():
    status, body = v3.error_body(InvalidRequest.field("width", "must be a multiple of 8"))
    assert status == 400
    assert body == {"status": "error", "messege": {"width": ["must be a multiple of 8"]}}
    status, body = v3.error_body(Unauthorized("invalid or missing API key"))
    assert status == 401
    assert body == {"status": "error", "message": "invalid or missing API key"}


@pytest.mark.parametrize(("flag", "factor"), [("yes", 2.0), ("3", 3.0), (4, 4.0)])
def test_upscale_yes_or_a_factor_upscales_after_generation(flag, factor):
    job = v3.to_job(v3.V3Request.model_validate({"prompt": "x", "upscale": flag}), "text2img", ctx())

    assert (job.extras.upscale.scale, job.extras.upscale.upscaler) == (factor, "ESRGAN_4x")


@pytest.mark.parametrize("flag", ["no", None, "1"])
def test_upscale_no_or_one_leaves_the_size(flag):
    job = v3.to_job(v3.V3Request.model_validate({"prompt": "x", "upscale": flag}), "text2img", ctx())

    assert job.extras is None


def test_an_upscale_factor_out_of_range_names_upscale():
    with pytest.raises(InvalidRequest) as raised:
        v3.to_job(v3.V3Request.model_validate({"prompt": "x", "upscale": 12}), "text2img", ctx())

    assert v3.to_caller_path(raised.value.problems[0].field) == "upscale"
