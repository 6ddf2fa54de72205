"""The A1111 routes clients call around generation, through the real api handler (moto), each scoped to the
caller's key: interrupt, skip, progress without an id, png-info, options (persisted per key),
refresh-checkpoints, sd-webui-controlnet's listings, and the same calls through RunPod's worker input."""

from __future__ import annotations

import base64
import time

import pytest

from sdapi.aws import clients
from sdapi.aws.jobs_table import JobsTable
from sdapi.schema import job_writes
from sdapi.schema.job import JobState
from tests.integration.api_support import api_env, other_key
from tests.unit.dialects.support import png_with_text

PREVIEW = base64.b64encode(b"\x89PNG a tiny preview").decode()
INFOTEXT = "a cat\nSteps: 12, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 64x64"


@pytest.fixture
def env(aws, api_key):
    api, worker, settings = api_env(aws, api_key, worker=False)
    return api, worker, aws, JobsTable(settings.jobs_table)


def queue_job(api) -> str:
    status, body, _ = api.call("POST", "/sdapi/v1/txt2img", {"prompt": "a cat"})
    assert status == 202
    return body["id"]


def start(table: JobsTable, job_id: str, step: int = 5, total: int = 20) -> None:
    table.transition(
        job_id,
        JobState.IN_PROGRESS,
        expected=[JobState.QUEUED],
        updates={"started_at": time.time() - 2, "progress_step": step, "progress_total": total},
    )


def png_b64(text: dict[str, str]) -> str:
    return base64.b64encode(png_with_text(text)).decode()


# --- interrupt / skip ------------------------------------------------------------------------------------


def signals(table: JobsTable, job_id: str) -> job_writes.Signals:
    """The job's A1111 interrupt and skips as its worker reads them back (the same reader)."""
    item = clients.client("dynamodb").get_item(TableName=table.table, Key={"id": {"S": job_id}})
    return job_writes.Signals.of(item["Item"])


def test_interrupt_answers_a1111s_empty_object(env):
    api, _, _, table = env
    start(table, queue_job(api))
    assert api.call("POST", "/sdapi/v1/interrupt")[:2] == (200, {})


def test_interrupt_is_recorded_on_the_callers_running_job(env):
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id)

    api.call("POST", "/sdapi/v1/interrupt")

    assert signals(table, job_id) == job_writes.Signals(interrupted=True, skips=0)


@pytest.mark.parametrize("route", ["interrupt", "skip"])
def test_interrupt_and_skip_are_recorded_on_the_callers_running_extras_batch(env, route):
    api, _, _, table = env
    images = [{"data": png_b64({}), "name": "a.png"}, {"data": png_b64({}), "name": "b.png"}]
    status, body, _ = api.call("POST", "/sdapi/v1/extra-batch-images", {"imageList": images})
    assert status == 202, body
    start(table, body["id"])

    api.call("POST", f"/sdapi/v1/{route}")

    assert signals(table, body["id"]) != job_writes.Signals()


def test_an_interrupted_job_keeps_running_for_its_worker_to_finish(env):
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id)

    api.call("POST", "/sdapi/v1/interrupt")

    assert table.get(job_id).state == JobState.IN_PROGRESS


def test_each_skip_is_recorded_once_on_the_callers_running_job(env):
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id)

    api.call("POST", "/sdapi/v1/skip")
    api.call("POST", "/sdapi/v1/skip")

    assert signals(table, job_id) == job_writes.Signals(interrupted=False, skips=2)


def test_interrupt_leaves_a_queued_job_alone(env):
    api, _, _, table = env
    job_id = queue_job(api)

    api.call("POST", "/sdapi/v1/interrupt")

    assert signals(table, job_id) == job_writes.Signals()


def test_interrupt_leaves_another_keys_job_alone(env):
    api, _, aws, table = env
    job_id = queue_job(api)
    start(table, job_id)

    assert api.call("POST", "/sdapi/v1/interrupt", key=other_key(aws))[0] == 200

    assert signals(table, job_id) == job_writes.Signals()


def test_skip_leaves_another_keys_job_alone(env):
    api, _, aws, table = env
    job_id = queue_job(api)
    start(table, job_id)

    api.call("POST", "/sdapi/v1/skip", key=other_key(aws))

    assert signals(table, job_id) == job_writes.Signals()


@pytest.mark.parametrize("route", ["interrupt", "skip"])
def test_interrupt_or_skip_without_a_running_job_answers_a1111s_empty_object(env, route):
    api, _, _, _ = env
    assert api.call("POST", f"/sdapi/v1/{route}")[:2] == (200, {})


def test_the_native_cancel_still_cancels(env):
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id)

    api.call("DELETE", f"/v1/jobs/{job_id}")

    assert table.get(job_id).state == JobState.CANCELLED


# --- progress --------------------------------------------------------------------------------------------


def test_progress_without_an_id_is_the_callers_running_job(env):
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id, step=5, total=20)

    body = api.call("GET", "/sdapi/v1/progress")[1]

    assert body["state"]["job"] == job_id
    assert body["progress"] == pytest.approx(0.26)
    assert body["eta_relative"] > 0
    assert (body["state"]["sampling_step"], body["state"]["sampling_steps"]) == (5, 20)


def store_preview(table: JobsTable, job_id: str, preview: str) -> None:
    """A progress write with a live preview, as the worker sends it (the same request builder)."""
    attempt = table.get(job_id).attempt
    write = job_writes.progress_update(table.table, job_id, attempt, (6, 20), time.time(), preview=preview)
    clients.client("dynamodb").update_item(**write)


def test_progress_before_the_first_preview_has_no_current_image(env):
    api, _, _, table = env
    start(table, queue_job(api))
    assert api.call("GET", "/sdapi/v1/progress")[1]["current_image"] is None


@pytest.fixture
def previewing(env):
    """(api, table, job id): the caller's job running, with a live preview stored by its progress."""
    api, _, _, table = env
    job_id = queue_job(api)
    start(table, job_id)
    store_preview(table, job_id, PREVIEW)
    return api, table, job_id


def test_progress_answers_the_running_jobs_stored_preview(previewing):
    api, _, _ = previewing
    assert api.call("GET", "/sdapi/v1/progress")[1]["current_image"] == PREVIEW


def test_progress_by_id_answers_the_stored_preview(previewing):
    api, _, job_id = previewing
    assert api.call("GET", f"/sdapi/v1/progress?id_task={job_id}")[1]["current_image"] == PREVIEW


def test_progress_with_skip_current_image_leaves_the_preview_out(previewing):
    api, _, _ = previewing
    assert api.call("GET", "/sdapi/v1/progress?skip_current_image=true")[1]["current_image"] is None


def test_a_jobs_preview_is_removed_when_it_ends(previewing):
    api, table, job_id = previewing

    api.call("DELETE", f"/v1/jobs/{job_id}")

    assert table.get(job_id).preview is None


def test_progress_of_another_key_is_idle(env):
    api, _, aws, table = env
    start(table, queue_job(api))

    body = api.call("GET", "/sdapi/v1/progress", key=other_key(aws))[1]

    assert (body["progress"], body["state"]["job_count"]) == (0.0, 0)


# --- png-info --------------------------------------------------------------------------------------------


def test_png_info_answers_info_items_and_parameters(env):
    api, _, _, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/png-info", {"image": png_b64({"parameters": INFOTEXT})})
    assert status == 200
    assert body["info"] == INFOTEXT
    assert body["parameters"]["Steps"] == "12"


def test_png_info_of_something_that_is_no_image_is_a_4xx_naming_image(env):
    api, _, _, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/png-info", {"image": base64.b64encode(b"nope").decode()})
    assert 400 <= status < 500
    assert "image" in str(body)


# --- options ---------------------------------------------------------------------------------------------


def test_options_set_the_keys_default_checkpoint_for_later_requests(env):
    api, _, _, table = env
    status, body, _ = api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "v1-5-pruned-emaonly"})
    assert (status, body) == (200, None)

    job_id = queue_job(api)

    assert table.get(job_id).model == "v1-5-pruned-emaonly"


def test_options_are_shown_to_the_key_that_set_them(env):
    api, _, _, _ = env
    api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "v1-5-pruned-emaonly"})
    shown = api.call("GET", "/sdapi/v1/options")[1]["sd_model_checkpoint"]
    assert shown.startswith("v1-5-pruned-emaonly")


def test_options_of_one_key_do_not_change_another_keys_defaults(env):
    api, _, aws, _ = env
    api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "v1-5-pruned-emaonly"})
    assert (
        api.call("GET", "/sdapi/v1/options", key=other_key(aws))[1]["sd_model_checkpoint"] == "sd_xl_base_1.0"
    )


def test_a_requests_own_override_wins_over_the_stored_option(env):
    api, _, _, table = env
    api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "v1-5-pruned-emaonly"})
    body = {"prompt": "x", "override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0"}}
    job_id = api.call("POST", "/sdapi/v1/txt2img", body)[1]["id"]
    assert table.get(job_id).model == "sd_xl_base_1.0"


def test_a_stored_checkpoint_of_another_pool_leaves_a_runpod_endpoint_on_its_own_default(env):
    # given the key's default checkpoint is the SDXL one
    api, _, _, table = env
    api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "sd_xl_base_1.0"})

    # when the key runs a job on the SD 1.5 endpoint without naming a checkpoint
    status, body, _ = api.call("POST", "/v2/sd15/run", {"input": {"prompt": "a cat"}})

    # then it is accepted and runs on that endpoint's own default checkpoint
    assert status == 200, body
    assert table.get(body["id"]).model == "v1-5-pruned-emaonly"


def test_a_stored_checkpoint_of_another_pool_leaves_a_task_on_its_runtime_default(env):
    api, _, _, table = env
    api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "sd_xl_base_1.0"})
    metadata = {"id": "t-1", "runtime": "sd15", "tasktype": "text-to-image"}
    task = {"metadata": metadata, "content": {"prompt": "x"}}

    status, body, _ = api.call("POST", "/v1alpha2", {"task": task})

    assert status == 200, body
    assert [job.model for job in table.queued("sd15")] == ["v1-5-pruned-emaonly"]


def test_an_unknown_option_is_a_400_naming_it(env):
    api, _, _, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/options", {"show_progressbar": True})
    assert status == 400
    assert "show_progressbar" in str(body)


def test_an_unknown_checkpoint_option_is_a_400_and_nothing_is_stored(env):
    api, _, _, _ = env
    status, body, _ = api.call("POST", "/sdapi/v1/options", {"sd_model_checkpoint": "nope"})
    assert status == 400
    assert "sd_model_checkpoint" in str(body)
    assert api.call("GET", "/sdapi/v1/options")[1]["sd_model_checkpoint"] == "sd_xl_base_1.0"


# --- listings --------------------------------------------------------------------------------------------


def test_refresh_checkpoints_answers_null(env):
    api, _, _, _ = env
    assert api.call("POST", "/sdapi/v1/refresh-checkpoints")[:2] == (200, None)


def test_controlnet_model_list_names_the_catalogs_controlnets(env):
    api, _, _, _ = env
    models = api.call("GET", "/controlnet/model_list")[1]["model_list"]
    assert any(name.startswith("control") for name in models)


def test_controlnet_module_list_names_the_preprocessors(env):
    api, _, _, _ = env
    assert api.call("GET", "/controlnet/module_list")[1]["module_list"] == ["none", "canny"]


@pytest.mark.parametrize("route", ["cmd-flags", "hypernetworks", "memory", "scripts"])
def test_the_other_listings_webuiapi_reads_answer(env, route):
    api, _, _, _ = env
    assert api.call("GET", f"/sdapi/v1/{route}")[0] == 200


# --- through RunPod's worker input -----------------------------------------------------------------------


def worker_call(api, method: str, endpoint: str, payload=None):
    body = {"input": {"api": {"method": method, "endpoint": endpoint}, "payload": payload or {}}}
    return api.call("POST", "/v2/sdxl/runsync", body)


def test_runpod_worker_options_are_stored_for_the_key(env):
    api, _, _, _ = env
    status, body, _ = worker_call(api, "POST", "/sdapi/v1/options", {"CLIP_stop_at_last_layers": 2})
    assert (status, body["status"]) == (200, "COMPLETED")

    shown = worker_call(api, "GET", "/sdapi/v1/options")[1]["output"]

    assert shown["CLIP_stop_at_last_layers"] == 2


def test_runpod_worker_png_info(env):
    api, _, _, _ = env
    body = worker_call(api, "POST", "/sdapi/v1/png-info", {"image": png_b64({"parameters": INFOTEXT})})[1]
    assert body["output"]["info"] == INFOTEXT


def test_runpod_worker_png_info_errors_name_the_payload_field(env):
    api, _, _, _ = env
    status, body, _ = worker_call(api, "POST", "/sdapi/v1/png-info", {})
    assert status == 400
    assert body["errors"][0]["field"] == "input.payload.image"


def test_runpod_worker_interrupt_is_recorded_on_the_callers_job(env):
    api, _, _, table = env
    run = api.call("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}})[1]
    start(table, run["id"])

    worker_call(api, "POST", "/sdapi/v1/interrupt")

    assert signals(table, run["id"]).interrupted is True


def test_runpod_worker_skip_is_recorded_on_the_callers_job(env):
    api, _, _, table = env
    run = api.call("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}})[1]
    start(table, run["id"])

    worker_call(api, "POST", "/sdapi/v1/skip")

    assert signals(table, run["id"]).skips == 1


def test_runpod_worker_progress_answers_the_callers_preview(env):
    api, _, _, table = env
    run = api.call("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}})[1]
    start(table, run["id"])
    store_preview(table, run["id"], PREVIEW)

    output = worker_call(api, "GET", "/sdapi/v1/progress")[1]["output"]

    assert output["current_image"] == PREVIEW


def test_runpod_worker_progress_with_skip_current_image_leaves_it_out(env):
    api, _, _, table = env
    run = api.call("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}})[1]
    start(table, run["id"])
    store_preview(table, run["id"], PREVIEW)

    output = worker_call(api, "GET", "/sdapi/v1/progress", {"skip_current_image": True})[1]["output"]

    assert output["current_image"] is None
