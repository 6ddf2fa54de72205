"""RunPod dialect: seeds 000-002 map to the expected canonical jobs, and records map back to the seeds'
response shapes."""

from __future__ import annotations

import json

import pytest

from sdapi.dialects import runpod
from sdapi.errors import InvalidRequest
from sdapi.records import Counters, SystemLoad
from sdapi.schema.job import ControlMode, Dialect, JobState, ResizeMode, Task
from tests.seeds import seed_blocks
from tests.unit.dialects.support import NOW, ctx, record_for


def submit(body: dict, pool: str = "sdxl"):
    request = runpod.RunPodRequest.model_validate(body)
    call = runpod.parse_input(request)
    return runpod.to_job(request, call, pool, ctx()), call


def test_seed_000_img2img_sdxl_refiner_vae_karras_restore_faces():
    job, call = submit(seed_blocks("000")[0])

    assert call.route == "img2img"
    assert call.prefix == "input.payload."
    assert job.dialect == Dialect.RUNPOD
    assert job.pool == "sdxl"
    assert job.task == Task.IMG2IMG
    assert job.model == "sd_xl_base_1.0"
    assert job.vae == "sdxl_vae.safetensors"
    assert job.refiner.checkpoint == "sd_xl_refiner_1.0"
    assert job.refiner.switch_at == 0.8
    assert (job.sampler, job.scheduler) == ("DPM++ SDE", "karras")
    assert (job.width, job.height, job.steps, job.cfg_scale) == (1024, 1024, 30, 10)
    assert job.seed == 1629676606
    assert job.subseed == 3939751520
    assert job.denoising_strength == 0.75
    assert job.restore_faces is True
    assert job.init_images == ("base64 encoded image content",)
    assert job.output.base64 is True
    assert job.output.prefix == f"outputs/{job.id}/"
    assert job.created_at == NOW


def test_seed_001_controlnet_unit_without_enabled_is_applied():
    job, _ = submit(seed_blocks("001")[0])

    (unit,) = job.controlnet
    assert unit.model == "control_v11p_sd15_canny"
    assert unit.module == "canny"
    assert unit.resize_mode == ResizeMode.CROP_AND_RESIZE
    assert unit.control_mode == ControlMode.BALANCED
    assert (unit.threshold_a, unit.threshold_b, unit.processor_res) == (75, 75, 512)
    assert (unit.guidance_start, unit.guidance_end, unit.weight) == (0, 1, 1)
    assert job.model == "sd_xl_base_1.0"  # the family mismatch is refused by validation (integration test)


def test_seed_002_txt2img():
    job, call = submit(seed_blocks("002")[0])

    assert call.route == "txt2img"
    assert job.task == Task.TXT2IMG
    assert job.prompt == "an astronaut riding a horse"
    assert job.denoising_strength is None
    assert job.init_images == ()
    assert job.refiner is not None


def test_parameters_echo_has_the_seed_keys_with_images_nulled():
    job, _ = submit(seed_blocks("000")[0])
    expected = seed_blocks("000")[2]["output"]["parameters"]

    assert set(expected) <= set(job.request)
    assert job.request["init_images"] is None
    assert job.request["override_settings"] is None
    assert job.request["sampler_name"] == job.request["sampler_index"] == "DPM++ SDE Karras"
    assert job.request["seed"] == -1
    for key, value in expected.items():
        assert type(job.request[key]) is type(value) or value is None or job.request[key] is None, key


def test_txt2img_parameters_echo_has_the_seed_keys():
    job, _ = submit(seed_blocks("002")[0])
    assert set(seed_blocks("002")[2]["output"]["parameters"]) <= set(job.request)


def test_seed_001_parameters_echo_keeps_controlnet_args():
    job, _ = submit(seed_blocks("001")[0])
    expected = seed_blocks("001")[2]["output"]["parameters"]["alwayson_scripts"]
    assert job.request["alwayson_scripts"] == expected


def test_plain_input_shape_is_the_a1111_payload():
    job, call = submit({"input": {"prompt": "a cat", "sampler_name": "DPM++ 2M Karras", "seed": 5}})

    assert call.prefix == "input."
    assert job.task == Task.TXT2IMG
    assert (job.sampler, job.scheduler, job.seed) == ("DPM++ 2M", "karras", 5)
    assert job.steps == 20
    assert job.width == 512


def test_plain_input_with_init_images_is_img2img():
    job, _ = submit({"input": {"prompt": "x", "init_images": ["data:image/png;base64,QUJD"]}})
    assert job.task == Task.IMG2IMG
    assert job.init_images == ("QUJD",)


def test_webhook_and_policy_become_job_options():
    job, _ = submit(
        {
            "input": {"prompt": "x"},
            "webhook": "https://example.com/hook",
            "policy": {"executionTimeout": 120500, "ttl": 86_400_000},
        }
    )
    assert job.webhook.url == "https://example.com/hook"
    assert job.timeouts.execution_s == 121
    assert job.timeouts.ttl_s == 21600


def test_payload_errors_name_the_callers_path():
    with pytest.raises(InvalidRequest) as raised:
        submit(
            {
                "input": {
                    "api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"},
                    "payload": {"width": "wide"},
                }
            }
        )
    assert raised.value.problems[0].field == "input.payload.width"


def test_endpoints_outside_the_allow_list_are_refused():
    with pytest.raises(InvalidRequest) as raised:
        submit({"input": {"api": {"method": "POST", "endpoint": "/sdapi/v1/train/embedding"}, "payload": {}}})
    assert raised.value.problems[0].field == "input.api.endpoint"


def test_the_other_a1111_calls_are_answered_for_the_key_without_a_job():
    request = runpod.RunPodRequest.model_validate(
        {"input": {"api": {"method": "POST", "endpoint": "/sdapi/v1/options"}, "payload": {"sd_vae": "None"}}}
    )
    call = runpod.parse_input(request)
    assert (call.action, call.payload, call.body) == (True, None, {"sd_vae": "None"})


def test_get_listings_are_answered_without_a_job():
    request = runpod.RunPodRequest.model_validate(
        {"input": {"api": {"method": "GET", "endpoint": "/sdapi/v1/samplers"}}}
    )
    call = runpod.parse_input(request)
    assert call.payload is None
    names = [s["name"] for s in runpod.listing(call.route, ctx().catalog)]
    assert "DPM++ SDE" in names
    assert "DPM fast" not in names


def test_canonical_paths_map_to_the_callers_paths():
    mapper = runpod.path_mapper("input.payload.")
    assert mapper("controlnet[0].model") == "input.payload.alwayson_scripts.controlnet.args[0].model"
    assert mapper("model") == "input.payload.override_settings.sd_model_checkpoint"
    assert mapper("width") == "input.payload.width"
    assert mapper("webhook.url") == "webhook"
    assert runpod.path_mapper("input.")("refiner.checkpoint") == "input.refiner_checkpoint"


def test_completed_record_maps_to_the_runsync_shape_of_the_seeds():
    job, _ = submit(seed_blocks("001")[0])
    seed_response = seed_blocks("001")[2]
    info = seed_response["output"]["info"]
    record = record_for(
        job,
        state=JobState.COMPLETED,
        started_at=NOW + 89.76,
        completed_at=NOW + 112.559,
        outputs=["a/0.png", "a/1.png"],
        n_generated=1,
        info=info,
    )

    body = runpod.status_body(record, ["IMG", "MAP"])

    assert list(body) == list(seed_response)
    assert body["status"] == "COMPLETED"
    assert body["delayTime"] == 89760
    assert body["executionTime"] == 22799
    assert set(body["output"]) == set(seed_response["output"])
    assert body["output"]["images"] == ["IMG", "MAP"]
    assert json.loads(body["output"]["info"])["seed"] == 3445164620
    for key, value in seed_response["output"]["parameters"].items():
        assert key in body["output"]["parameters"], key
        assert value is None or isinstance(body["output"]["parameters"][key], type(value)), key


def test_queued_and_failed_records():
    job, _ = submit(seed_blocks("002")[0])
    assert runpod.run_body(record_for(job)) == {"id": job.id, "status": "IN_QUEUE"}
    assert runpod.status_body(record_for(job)) == {"id": job.id, "status": "IN_QUEUE"}
    failed = runpod.status_body(
        record_for(
            job, state=JobState.FAILED, error="CUDA out of memory", started_at=NOW + 1, completed_at=NOW + 2
        )
    )
    assert failed["status"] == "FAILED"
    assert failed["error"] == "CUDA out of memory"
    assert failed["delayTime"] == 1000
    assert failed["executionTime"] == 1000
    timed_out = runpod.status_body(record_for(job, state=JobState.TIMED_OUT))
    assert timed_out["status"] == "TIMED_OUT"
    assert timed_out["error"]


def test_health_and_purge_bodies():
    load = SystemLoad(
        pools=[Counters(pool="sdxl", queued=3, in_progress=1, completed=7, failed=1, timed_out=1, retried=2)],
        instances={"sdxl": 2},
        queue_time_s=12,
    )
    assert runpod.health_body(load, "sdxl") == {
        "jobs": {"completed": 7, "failed": 2, "inProgress": 1, "inQueue": 3, "retried": 2},
        "workers": {"idle": 1, "running": 1},
    }
    assert runpod.purge_body(4) == {"removed": 4, "status": "completed"}


def test_errors_carry_the_message_and_fields():
    status, body = runpod.error_body(InvalidRequest.field("input.payload.width", "must be a multiple of 8"))
    assert status == 400
    assert body == {
        "error": "input.payload.width: must be a multiple of 8",
        "errors": [{"field": "input.payload.width", "reason": "must be a multiple of 8"}],
    }
