"""Native dialect: request → canonical job, record → job view, errors."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from sdapi.dialects import native
from sdapi.errors import InvalidRequest
from sdapi.records import JobRecord
from sdapi.schema.job import Dialect, JobState, Task
from tests.unit.dialects.support import ctx


def test_minimal_request_is_a_txt2img_job_on_the_default_pool():
    job = native.to_job(native.JobRequest(prompt="a cat"), ctx())
    assert job.dialect == Dialect.NATIVE
    assert job.task == Task.TXT2IMG
    assert job.pool == "sdxl"
    assert job.seed == 1629676606
    assert job.sampler == "Euler a"
    assert job.scheduler == "automatic"
    assert job.request["prompt"] == "a cat"


def test_task_is_inferred_and_references_are_resolved_from_the_context():
    request = native.JobRequest(
        model="v1-5-pruned-emaonly",
        init_images=["https://example.com/a.png"],
        mask={"image": "s3://sdapi-data/uploads/alice/m.png", "blur": 2},
        controlnet=[{"model": "control_v11p_sd15_canny", "image": "data:image/png;base64,Q04="}],
        sampler="DPM++ 2M Karras",
        seed=-1,
        webhook={"url": "https://example.com/hook"},
    )
    refs = native.image_inputs(request)
    assert refs == {
        "init_images[0]": "https://example.com/a.png",
        "mask.image": "s3://sdapi-data/uploads/alice/m.png",
    }

    job = native.to_job(request, ctx(images={"init_images[0]": "SU5JVA==", "mask.image": "TUFTSw=="}))

    assert job.task == Task.INPAINT
    assert job.pool == "sd15"
    assert job.denoising_strength == 0.75
    assert job.init_images == ("SU5JVA==",)
    assert job.mask.image == "TUFTSw=="
    assert job.mask.blur == 2
    assert job.controlnet[0].image == "Q04="
    assert (job.sampler, job.scheduler) == ("DPM++ 2M", "karras")
    assert job.webhook.events == ("completed", "failed", "cancelled", "timed_out")


def test_unknown_fields_and_bad_values_are_refused():
    with pytest.raises(ValidationError):
        native.JobRequest.model_validate({"prompt": "x", "colour": "blue"})
    with pytest.raises(InvalidRequest) as raised:
        native.to_job(native.JobRequest(width=513), ctx())
    assert raised.value.problems[0].field == "width"


def test_job_view_splits_images_and_maps_and_parses_info():
    record = JobRecord(
        id="1",
        owner="alice",
        dialect="native",
        pool="sd15",
        task="img2img",
        model="m",
        state=JobState.COMPLETED,
        created_at=10,
        started_at=12,
        completed_at=15,
        progress_step=20,
        progress_total=20,
        output_prefix="outputs/1/",
        outputs=["a", "b"],
        n_generated=1,
        info=json.dumps({"seed": 3}),
    )
    view = native.job_view(record, ["URL0", "MAP0"])
    assert view["images"] == ["URL0"]
    assert view["control_maps"] == ["MAP0"]
    assert view["info"] == {"seed": 3}
    assert view["progress"] == {"step": 20, "total": 20, "fraction": 1.0}
    assert view["queue_ms"] == 2000
    assert view["execution_ms"] == 3000
    assert view["state"] == "COMPLETED"


def test_error_body_is_problem_details_like():
    status, body = native.error_body(InvalidRequest.field("width", "must be a multiple of 8"))
    assert status == 400
    assert body == {
        "error": {
            "type": "InvalidRequest",
            "message": "width: must be a multiple of 8",
            "fields": [{"field": "width", "reason": "must be a multiple of 8"}],
        }
    }


def test_job_view_flags_each_image_the_safety_checker_blacked_out():
    record = JobRecord(
        id="1",
        owner="alice",
        dialect="native",
        pool="sd15",
        task="txt2img",
        model="m",
        state=JobState.COMPLETED,
        created_at=10,
        output_prefix="outputs/1/",
        outputs=["a", "b"],
        n_generated=2,
        nsfw=[False, True],
    )

    view = native.job_view(record, ["URL0", "URL1"])

    assert view["nsfw"] == [False, True]
