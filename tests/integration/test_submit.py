"""Submitting a job: what is written, what is enqueued, and what happens when a step fails."""

from __future__ import annotations

import json

import boto3
import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.errors import Conflict, InvalidRequest, UpstreamUnavailable
from sdapi.schema.items import counters_id
from sdapi.schema.job import JobState
from sdapi.service.jobs import ENQUEUE_FAILED


def counters(aws, pool="sdxl"):
    item = boto3.client("dynamodb").get_item(TableName=aws.jobs_table, Key={"id": {"S": counters_id(pool)}})
    return {k: float(v["N"]) for k, v in item.get("Item", {}).items() if "N" in v}


def test_submit_makes_exactly_four_aws_calls(service, aws, aws_calls, make_job):
    job = make_job()

    record = service.submit(job)

    assert aws_calls == [
        ("s3", "PutObject"),
        ("dynamodb", "TransactWriteItems"),
        ("sagemaker-runtime", "InvokeEndpointAsync"),
        ("dynamodb", "UpdateItem"),
    ]
    assert record.state == JobState.QUEUED
    assert record.id == job.id


def test_submit_writes_the_input_the_item_and_the_counters(service, aws, make_job, png_b64):
    job = make_job(
        task="img2img",
        init_images=(png_b64,),
        denoising_strength=0.5,
        track_id="t-1",
        context={"user": 7},
        request={"prompt": "x"},
    )

    service.submit(job)

    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{job.id}.json")["Body"].read()
    assert json.loads(body)["init_images"] == [png_b64]
    stored = JobsTable(aws.jobs_table).get(job.id)
    assert stored.state == JobState.QUEUED
    assert stored.track_id == "t-1"
    assert stored.context == {"user": 7}
    assert stored.request == {"prompt": "x"}
    assert "init_images" not in stored.summary
    assert stored.summary["width"] == 1024
    assert stored.active_pool == "sdxl"
    assert stored.deadline_at > stored.created_at
    assert stored.expires_at > stored.created_at + 29 * 86400
    assert counters(aws)["queued"] == 1


def test_aliases_are_stored_as_catalog_names(service, aws, make_job):
    job = make_job(model="sd_xl_base_1.0.safetensors", vae="sdxl_vae.safetensors")

    service.submit(job)

    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{job.id}.json")["Body"].read()
    assert json.loads(body)["model"] == "sd_xl_base_1.0"
    assert json.loads(body)["vae"] == "sdxl_vae"


def test_invalid_job_writes_nothing(service, aws, aws_calls, make_job):
    job = make_job(model="control_v11p_sd15_canny")

    with pytest.raises(InvalidRequest) as raised:
        service.submit(job)

    assert raised.value.problems[0].field == "model"
    assert aws_calls == []


def test_a_taken_id_is_a_conflict_not_an_overwrite(service, aws, make_job):
    first = make_job(id="my-task-1", prompt="first")
    service.submit(first)

    with pytest.raises(Conflict):
        service.submit(make_job(id="my-task-1", prompt="second"))

    assert JobsTable(aws.jobs_table).get("my-task-1").summary["prompt"] == "first"
    assert counters(aws)["queued"] == 1


class BrokenEnqueuer:
    def invoke_async(self, *args, **kwargs):
        raise UpstreamUnavailable("endpoint sdapi-sdxl is not there")


def test_enqueue_failure_leaves_a_failed_job_not_a_queued_one(service, aws, make_job):
    service.enqueuer = BrokenEnqueuer()
    job = make_job()

    with pytest.raises(UpstreamUnavailable):
        service.submit(job)

    stored = JobsTable(aws.jobs_table).get(job.id)
    assert stored.state == JobState.FAILED
    assert stored.error == ENQUEUE_FAILED  # the AWS detail (endpoint names, accounts) is logged, never shown
    assert stored.active_pool is None
    assert counters(aws)["queued"] == 0
    assert counters(aws)["failed"] == 1


def test_idempotency_key_returns_the_first_job(service, aws, aws_calls, make_job):
    first = service.submit(make_job(), idempotency_key="abc")

    again = service.submit(make_job(), idempotency_key="abc")
    other = service.submit(make_job(), idempotency_key="def")

    assert again.id == first.id
    assert other.id != first.id
    assert counters(aws)["queued"] == 2
    assert aws_calls.count(("sagemaker-runtime", "InvokeEndpointAsync")) == 2


def test_idempotency_keys_are_per_owner(service, aws, make_job):
    first = service.submit(make_job(owner="alice"), idempotency_key="same")

    second = service.submit(make_job(owner="bob"), idempotency_key="same")

    assert second.id != first.id
