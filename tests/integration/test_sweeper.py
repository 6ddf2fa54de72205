"""The sweeper: jobs past their deadline become TIMED_OUT (and their webhooks fire); gauges are recounted."""

from __future__ import annotations

import time

import boto3
import pytest
from standardwebhooks import Webhook

from sdapi.aws.jobs_table import JobsTable
from sdapi.schema.items import counters_id
from sdapi.schema.job import JobState
from tests.integration.events_harness import manifest, notification, webhook_settings


@pytest.fixture
def settings(catalog):
    return webhook_settings(catalog)


def overdue(table: JobsTable, job_id: str, by_s: float = 1.0) -> None:
    table.update(job_id, {"deadline_at": time.time() - by_s})


def test_a_queued_job_past_its_ttl_is_timed_out_and_its_webhook_fires(
    pipeline, service, make_job, table, httpserver, api_key
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    record = service.submit(
        make_job(key_id=api_key.principal.key_id, webhook={"url": httpserver.url_for("/hook")})
    )
    overdue(table, record.id)

    report = pipeline.sweep()
    pipeline.deliver()

    assert report["timed_out"] == [record.id]
    stored = table.get(record.id)
    assert stored.state == JobState.TIMED_OUT
    assert "time to live" in stored.error
    assert stored.active_pool is None, "left the deadline index"
    [request] = [r for r, _ in httpserver.log]
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["type"] == "job.timed_out"
    assert payload["data"]["state"] == "TIMED_OUT"
    assert stored.webhook_status == "delivered"


def test_a_job_whose_completion_never_comes_times_out_after_its_execution_timeout(
    pipeline, service, make_job, table
):
    record = service.submit(make_job(timeouts={"execution_s": 5}))
    started = time.time() - 10
    table.transition(
        record.id,
        JobState.IN_PROGRESS,
        expected=[JobState.QUEUED],
        updates={"started_at": started, "deadline_at": started + 5},
    )

    pipeline.sweep()

    stored = table.get(record.id)
    assert stored.state == JobState.TIMED_OUT
    assert "execution timeout (5 s)" in stored.error
    late = pipeline.complete([notification(record.id, manifest=manifest(record.id))])
    assert late == {"batchItemFailures": []}
    assert table.get(record.id).state == JobState.TIMED_OUT, "a late completion changes nothing"


def test_jobs_within_their_deadline_are_left_alone(pipeline, service, make_job, table):
    record = service.submit(make_job())
    assert pipeline.sweep()["timed_out"] == []
    assert table.get(record.id).state == JobState.QUEUED


def test_the_sweeper_repairs_drifted_counters(pipeline, service, make_job, table, aws):
    first, second = service.submit(make_job()), service.submit(make_job())
    table.transition(
        second.id,
        JobState.IN_PROGRESS,
        expected=[JobState.QUEUED],
        updates={"deadline_at": time.time() + 600},
    )
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=aws.jobs_table,
        Key={"id": {"S": counters_id("sdxl")}},
        UpdateExpression="SET queued = :q, in_progress = :p",
        ExpressionAttributeValues={":q": {"N": "41"}, ":p": {"N": "-3"}},
    )

    report = pipeline.sweep()

    pools = {c["pool"]: c for c in report["counters"]}
    assert (pools["sdxl"]["queued"], pools["sdxl"]["in_progress"]) == (1, 1)
    [stored] = table.counters(["sdxl"])
    assert (stored.queued, stored.in_progress) == (1, 1)
    assert first.id != second.id
