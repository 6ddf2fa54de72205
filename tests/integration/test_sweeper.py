"""The sweeper: jobs past their deadline become TIMED_OUT (and their webhooks fire); gauges are reconciled."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from standardwebhooks import Webhook

from sdapi.aws.clients import client
from sdapi.aws.jobs_table import JobsTable
from sdapi.records import GaugeCorrection
from sdapi.schema.items import counters_id
from sdapi.schema.job import JobState
from sdapi.service import sweeper as sweeper_service
from sdapi.service.sweeper import Sweeper
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


def drift(aws, queued: int, in_progress: int) -> None:
    """Given: the sdxl gauges say something else than the table (a write outside the state machine)."""
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=aws.jobs_table,
        Key={"id": {"S": counters_id("sdxl")}},
        UpdateExpression="SET queued = :q, in_progress = :p",
        ExpressionAttributeValues={":q": {"N": str(queued)}, ":p": {"N": str(in_progress)}},
    )


def start(table: JobsTable, job_id: str) -> None:
    deadline = {"deadline_at": time.time() + 600}
    table.transition(job_id, JobState.IN_PROGRESS, expected=[JobState.QUEUED], updates=deadline)


def one_queued_one_running(service, make_job, table) -> None:
    service.submit(make_job())
    second = service.submit(make_job())
    start(table, second.id)


def later_sweeper(table: JobsTable) -> Sweeper:
    """A sweeper running a minute from now: the counters have settled."""
    return Sweeper(table, clock=lambda: time.time() + 60)


def test_the_sweeper_corrects_drifted_gauges_to_a_recount_of_the_jobs(service, make_job, table, aws):
    one_queued_one_running(service, make_job, table)
    drift(aws, queued=41, in_progress=-3)

    later_sweeper(table).sweep(["sdxl"])

    [stored] = table.counters(["sdxl"])
    assert (stored.queued, stored.in_progress) == (1, 1)


def test_the_sweeper_reports_each_gauge_it_corrected(service, make_job, table, aws):
    one_queued_one_running(service, make_job, table)
    drift(aws, queued=41, in_progress=1)

    report = later_sweeper(table).sweep(["sdxl"])

    assert report.corrected == [GaugeCorrection(pool="sdxl", gauge="queued", was=41, now=1)]


def test_gauges_that_agree_with_the_jobs_are_not_rewritten(service, make_job, table):
    one_queued_one_running(service, make_job, table)

    report = later_sweeper(table).sweep(["sdxl"])

    assert (report.corrected, report.recount_skipped) == ([], {})


def test_a_job_that_moves_while_the_sweeper_counts_is_not_overwritten(service, make_job, table):
    """The in-progress gauge leak: a recount that SET the gauges it had counted overwrote a transition that
    committed between its count and its write, leaving a finished job counted as running."""
    running = service.submit(make_job())
    start(table, running.id)
    ddb = client("dynamodb")
    done: list[str] = []

    def finish_after_the_count(**_: object) -> None:
        if not done:  # when: the job completes right after the sweeper's query saw it running
            done.append(running.id)
            table.transition(running.id, JobState.COMPLETED, expected=[JobState.IN_PROGRESS])

    ddb.meta.events.register("after-call.dynamodb.Query", finish_after_the_count)
    try:
        report = later_sweeper(table).sweep(["sdxl"])
    finally:
        ddb.meta.events.unregister("after-call.dynamodb.Query", finish_after_the_count)

    [stored] = table.counters(["sdxl"])
    assert done == [running.id]
    assert stored.in_progress == 0
    assert report.corrected == []


def test_a_pool_whose_counters_just_moved_is_left_for_the_next_sweep(service, make_job, table, aws):
    service.submit(make_job())
    drift(aws, queued=7, in_progress=0)

    report = Sweeper(table).sweep(["sdxl"])

    [stored] = table.counters(["sdxl"])
    assert "sdxl" in report.recount_skipped
    assert stored.queued == 7


def test_the_sweeper_lambda_logs_the_correction_as_a_metric(
    pipeline, service, make_job, table, aws, capsys, monkeypatch
):
    one_queued_one_running(service, make_job, table)
    drift(aws, queued=5, in_progress=1)
    monkeypatch.setattr(sweeper_service, "RECOUNT_SETTLE_S", -60.0)  # as if a minute had passed

    report = pipeline.sweep()

    out = capsys.readouterr().out.splitlines()
    emf = [json.loads(line) for line in out if "CounterDriftCorrected" in line]
    assert report["corrected"] == [{"pool": "sdxl", "gauge": "queued", "was": 5, "now": 1}]
    assert [line["CounterDriftCorrected"] for line in emf] == [[1.0]]
