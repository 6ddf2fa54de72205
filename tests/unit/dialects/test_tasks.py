"""Tasks dialect (seed 004): v1alpha2 and v1alpha1 requests, routing, URL inputs, answers."""

from __future__ import annotations

import pytest

from sdapi.dialects import tasks
from sdapi.errors import InvalidRequest
from sdapi.records import JobRecord
from sdapi.schema.job import Dialect, JobState, Task
from tests.seeds import seed_blocks
from tests.unit.dialects.support import ctx

LINK = "https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/diffusers/cat.png"


def v1alpha2_seed() -> dict:
    return seed_blocks("004")[0]


def v1alpha1_seed() -> dict:
    return seed_blocks("004")[1]


def test_seed_004_v1alpha2_maps_to_an_img2img_job_with_the_callers_id():
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(v1alpha2_seed()))
    tasks.check(submit)
    link_path = "task.content.alwayson_scripts.image_link"
    assert tasks.url_inputs(submit) == {link_path: LINK}

    job = tasks.to_job(submit, ctx(job_id=submit.id, images={link_path: "Q0FU"}))

    assert job.id == "test-i2i"
    assert job.dialect == Dialect.TASKS
    assert job.task == Task.IMG2IMG
    assert job.init_images == ("Q0FU",)
    assert job.steps == 16
    assert (job.width, job.height) == (512, 512)
    assert job.pool == "sdxl"
    assert job.model == "sd_xl_base_1.0"  # runtime "sdruntime" names no pool/model
    assert job.output.prefix == "output/test-i2i/"
    assert job.output.base64 is False
    assert job.context == ""


def test_seed_004_v1alpha1_routes_by_checkpoint():
    submit = tasks.from_v1alpha1(v1alpha1_seed())
    assert submit.id == "test-i2i"
    assert submit.model == "v1-5-pruned-emaonly.safetensors"
    link_path = "alwayson_scripts.image_link"

    job = tasks.to_job(submit, ctx(job_id=submit.id, images={link_path: "Q0FU"}))

    assert job.model == "v1-5-pruned-emaonly"
    assert job.pool == "sd15"
    assert job.init_images == ("Q0FU",)
    assert job.output.prefix == "test-i2i/"


def test_runtime_names_a_pool_or_a_checkpoint():
    body = v1alpha2_seed()
    body["task"]["metadata"]["runtime"] = "sd15"
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body))
    job = tasks.to_job(
        submit, ctx(job_id="test-i2i", images={"task.content.alwayson_scripts.image_link": "Q0FU"})
    )
    assert job.pool == "sd15"
    assert job.model == "v1-5-pruned-emaonly"


def test_text_to_image_with_an_image_link_is_refused():
    body = v1alpha2_seed()
    body["task"]["metadata"]["tasktype"] = "text-to-image"
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body))
    with pytest.raises(InvalidRequest) as raised:
        tasks.url_inputs(submit)
    assert raised.value.problems[0].field == "task.content.alwayson_scripts.image_link"


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("id", "bad id!", "task.metadata.id"),
        ("prefix", "../etc", "task.metadata.prefix"),
        ("prefix", "a/./b", "task.metadata.prefix"),
        ("prefix", ".", "task.metadata.prefix"),
        ("prefix", "a/..", "task.metadata.prefix"),
        ("prefix", "a//b", "task.metadata.prefix"),
        ("prefix", "x" * 513, "task.metadata.prefix"),
    ],
)
def test_ids_and_prefixes_are_checked(field, value, path):
    body = v1alpha2_seed()
    body["task"]["metadata"][field] = value
    with pytest.raises(InvalidRequest) as raised:
        tasks.check(tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body)))
    assert raised.value.problems[0].field == path


def test_v1alpha1_without_routing_fields_is_refused():
    with pytest.raises(InvalidRequest) as raised:
        tasks.from_v1alpha1({"prompt": "x", "alwayson_scripts": {"task": "image-to-image"}})
    assert raised.value.problems[0].field == "alwayson_scripts.id_task"


def test_paths_map_into_the_task_body():
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(v1alpha2_seed()))
    mapper = tasks.path_mapper(submit)
    assert mapper("width") == "task.content.width"
    assert mapper("init_images[0]") == "task.content.alwayson_scripts.image_link"
    assert mapper("model") == "task.metadata.runtime"
    v1 = tasks.path_mapper(tasks.from_v1alpha1(v1alpha1_seed()))
    assert v1("model") == "alwayson_scripts.sd_model_checkpoint"
    assert v1("steps") == "steps"


def test_answers_have_the_seed_shape():
    submit2 = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(v1alpha2_seed()))
    record = JobRecord(
        id="test-i2i",
        owner="alice",
        dialect="tasks",
        pool="sdxl",
        task="img2img",
        model="sd_xl_base_1.0",
        state=JobState.QUEUED,
        created_at=1,
        output_prefix="output/test-i2i/",
        context={"k": 1},
    )
    body = tasks.submit_body(submit2, record, "outputbucket")
    assert set(seed_blocks("004")[2]) <= set(body)
    assert body == {
        "id_task": "test-i2i",
        "id": "test-i2i",
        "runtime": "sdruntime",
        "output_location": "s3://outputbucket/output/test-i2i",
    }
    submit1 = tasks.from_v1alpha1(v1alpha1_seed())
    assert set(tasks.submit_body(submit1, record, "b")) == set(seed_blocks("004")[3])

    running = tasks.status_body(record, "b")
    assert running["result"] is None
    assert running["status"] == "queued"
    assert running["context"] == {"k": 1}
    done = tasks.status_body(
        record.model_copy(update={"state": JobState.COMPLETED, "outputs": ["output/test-i2i/0.png"]}),
        "b",
    )
    assert done["result"] is True
    assert done["image_url"] == ["s3://b/output/test-i2i/0.png"]
    assert done["output_url"] == "s3://b/output/test-i2i"
    failed = tasks.status_body(record.model_copy(update={"state": JobState.FAILED, "error": "boom"}), "b")
    assert failed["result"] is False
    assert failed["error"] == "boom"


def test_a_nested_prefix_with_dotted_names_is_kept():
    body = v1alpha2_seed()
    body["task"]["metadata"]["prefix"] = "/team/v1.2/.cache/"
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body))
    tasks.check(submit)
    assert tasks.output_prefix(submit, "job-1") == "team/v1.2/.cache/job-1/"


def extras_task(content: dict) -> dict:
    metadata = {"id": "up-1", "runtime": "sd15", "tasktype": "extra-single-image", "prefix": "out"}
    return {"task": {"metadata": metadata, "content": content}}


def test_an_extra_single_image_task_becomes_an_extras_job_from_its_image_link():
    body = extras_task({"alwayson_scripts": {"image_link": LINK}, "upscaler_1": "ESRGAN_4x"})
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body))
    link_path = "task.content.alwayson_scripts.image_link"

    job = tasks.to_job(submit, ctx(job_id="up-1", images={link_path: "Q0FU"}))

    assert (job.task, job.init_images, job.pool) == (Task.EXTRAS, ("Q0FU",), "sd15")
    assert job.extras.upscale.upscaler == "ESRGAN_4x"
    assert job.output.prefix == "out/up-1/"


def test_an_extras_task_names_its_fields_in_the_task_body():
    body = extras_task({"image": "Q0FU", "upscaling_resize": 20})
    submit = tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body))

    with pytest.raises(InvalidRequest) as raised:
        tasks.to_job(submit, ctx(job_id="up-1"))

    assert raised.value.problems[0].field == "task.content.upscaling_resize"


@pytest.mark.parametrize(
    "prefix", ["inputs", "uploads/alice", "models", "async-output/x", "compile-cache/sd15"]
)
def test_a_prefix_under_a_folder_the_deployment_reserves_is_refused(prefix):
    body = v1alpha2_seed()
    body["task"]["metadata"]["prefix"] = prefix
    with pytest.raises(InvalidRequest) as raised:
        tasks.check(tasks.from_v1alpha2(tasks.V1Alpha2Request.model_validate(body)))
    assert raised.value.problems[0].field == "task.metadata.prefix"
