"""Reading and changing jobs through the service: owners, retention, cancel, retry, purge, load, outputs."""

from __future__ import annotations

import base64
import time

import boto3
import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.errors import Conflict, Gone, InvalidRequest, NotFound
from sdapi.ids import new_id
from sdapi.schema.job import JobState


def test_get_returns_the_owners_job_in_one_call(service, make_job, aws_calls):
    job = make_job()
    service.submit(job)
    aws_calls.clear()

    record = service.get(job.id, "alice")

    assert record.id == job.id
    assert aws_calls == [("dynamodb", "GetItem")]


def test_another_owners_job_is_not_found(service, make_job):
    job = make_job()
    service.submit(job)

    with pytest.raises(NotFound):
        service.get(job.id, "mallory")


def test_missing_jobs_are_not_found_unless_older_than_the_retention(service, settings):
    with pytest.raises(NotFound):
        service.get(new_id(), "alice")
    with pytest.raises(NotFound):
        service.get("some-task-id", "alice")

    ancient = new_id(time.time() - (settings.job_retention_days + 1) * 86400)
    with pytest.raises(Gone):
        service.get(ancient, "alice")


def test_an_item_past_its_expiry_is_gone(service, aws, make_job):
    job = make_job()
    service.submit(job)
    JobsTable(aws.jobs_table).update(job.id, {"expires_at": int(time.time()) - 10})

    with pytest.raises(Gone):
        service.get(job.id, "alice")


def test_cancel_a_queued_job_then_cancel_again_returns_it_unchanged(service, make_job):
    job = make_job()
    service.submit(job)

    cancelled = service.cancel(job.id, "alice")
    again = service.cancel(job.id, "alice")

    assert cancelled.state == JobState.CANCELLED
    assert again.state == JobState.CANCELLED
    with pytest.raises(NotFound):
        service.cancel(job.id, "mallory")


def test_wait_returns_when_the_job_ends_or_the_time_is_up(service, aws, make_job):
    job = make_job()
    service.submit(job)
    sleeps: list[float] = []

    def sleep(seconds):
        sleeps.append(seconds)
        JobsTable(aws.jobs_table).transition(job.id, JobState.CANCELLED, expected=[JobState.QUEUED])

    service.sleep = sleep
    done = service.wait(job.id, "alice", timeout_s=5, poll_s=0.1)
    assert done.state == JobState.CANCELLED
    assert sleeps == [0.1]

    other = make_job()
    service.submit(other)
    service.sleep = lambda s: None
    assert service.wait(other.id, "alice", timeout_s=0).state == JobState.QUEUED


def test_retry_requeues_a_failed_job_with_the_next_attempt(service, aws, make_job):
    job = make_job()
    service.submit(job)
    table = JobsTable(aws.jobs_table)
    table.transition(job.id, JobState.FAILED, expected=[JobState.QUEUED], updates={"error": "OOM"})
    invoked = []
    original = service.enqueuer.invoke_async
    service.enqueuer.invoke_async = lambda *a, **k: invoked.append(a) or original(*a, **k)

    retried = service.retry(job.id, "alice")

    assert retried.state == JobState.QUEUED
    assert retried.attempt == 1
    assert retried.error is None
    assert invoked[0][2] == f"{job.id}:1"
    stored = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{job.id}.json")["Body"].read()
    assert b'"attempt":1' in stored
    assert table.counters(["sdxl"])[0].retried == 1


def test_only_failed_or_timed_out_jobs_can_be_retried(service, make_job):
    job = make_job()
    service.submit(job)
    with pytest.raises(Conflict):
        service.retry(job.id, "alice")


def test_purge_cancels_only_the_owners_queued_jobs(service, make_job):
    mine = [make_job() for _ in range(2)]
    theirs = make_job(owner="bob")
    for job in (*mine, theirs):
        service.submit(job)

    assert service.purge_queue("alice", "sdxl") == 2

    assert all(service.get(j.id, "alice").state == JobState.CANCELLED for j in mine)
    assert service.get(theirs.id, "bob").state == JobState.QUEUED


def test_load_reports_counters_instances_and_a_cold_start_estimate(service, make_job, aws_calls):
    service.submit(make_job())
    aws_calls.clear()

    load = service.load()

    assert {c.pool: c.queued for c in load.pools} == {"sdxl": 1, "sd15": 0}
    assert load.instances == {"sdxl": None, "sd15": None}  # no such endpoints in moto
    assert load.queue_time_s >= service.settings.cold_start_s
    assert aws_calls.count(("dynamodb", "BatchGetItem")) == 1
    with pytest.raises(NotFound):
        service.load("nope")


def test_outputs_as_presigned_urls_and_base64(service, aws, make_job):
    job = make_job()
    service.submit(job)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws.bucket, Key=f"outputs/{job.id}/0.png", Body=b"image-0")
    s3.put_object(Bucket=aws.bucket, Key=f"outputs/{job.id}/1.png", Body=b"map-1")
    record = JobsTable(aws.jobs_table).transition(
        job.id,
        JobState.COMPLETED,
        expected=[JobState.QUEUED],
        updates={"outputs": [f"outputs/{job.id}/0.png", f"outputs/{job.id}/1.png"], "n_generated": 1},
    )

    urls = service.image_urls(record)
    images = service.images_base64(record, include_maps=False)

    assert len(urls) == 2
    assert f"outputs/{job.id}/0.png" in urls[0]
    assert "Signature" in urls[0]
    assert images == [base64.b64encode(b"image-0").decode()]


def test_uploads_are_presigned_and_only_readable_by_their_owner(service, aws, png_b64):
    upload = service.upload_url("alice", "image/png")
    boto3.client("s3").put_object(Bucket=aws.bucket, Key=upload.key, Body=base64.b64decode(png_b64))

    assert upload.key.startswith("uploads/alice/")
    assert "X-Amz-Signature" in upload.url
    assert service.read_upload(upload.reference, "alice", "init_images[0]") == png_b64
    with pytest.raises(InvalidRequest) as raised:
        service.read_upload(upload.reference, "bob", "init_images[0]")
    assert raised.value.problems[0].field == "init_images[0]"
    with pytest.raises(InvalidRequest):
        service.upload_url("alice", "text/html")
