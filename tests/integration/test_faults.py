"""Faults: every accepted job still reaches a terminal state, exactly once, and the counters stay true."""

from __future__ import annotations

import time
from collections import Counter

import boto3
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.aws.sagemaker import SageMaker
from sdapi.errors import UpstreamUnavailable
from sdapi.schema.items import COUNTER_FIELDS
from sdapi.schema.job import ACTIVE_STATES, JobState
from sdapi.service.jobs import ENQUEUE_FAILED, JobService
from tests.integration.events_harness import manifest, notification, webhook_settings


@pytest.fixture
def settings(catalog):
    return webhook_settings(catalog)


class BrokenEnqueuer:
    def invoke_async(self, endpoint, input_key, inference_id, timeout_s, ttl_s):
        raise UpstreamUnavailable("SageMaker InvokeEndpointAsync: ThrottlingException")


def transitions(records: list[dict]) -> list[tuple[str, str | None, str]]:
    """(job id, old state, new state) for each stream record that changed a job's state."""
    changes = []
    for record in records:
        new = record["dynamodb"].get("NewImage") or {}
        old = record["dynamodb"].get("OldImage") or {}
        if "state" not in new or "#" in new["id"]["S"]:
            continue
        before = old.get("state", {}).get("S")
        if before != new["state"]["S"] or old.get("attempt") != new.get("attempt"):
            changes.append((new["id"]["S"], before, new["state"]["S"]))
    return changes


def test_when_the_enqueue_fails_then_the_job_is_failed_not_stuck(pipeline, aws, make_job, table):
    service = JobService(aws.settings, table, Bucket(aws.bucket), BrokenEnqueuer(), SageMaker())
    job = make_job()

    with pytest.raises(UpstreamUnavailable):
        service.submit(job)

    stored = table.get(job.id)
    assert stored.state == JobState.FAILED
    assert stored.error == ENQUEUE_FAILED
    [counters] = table.counters(["sdxl"])
    assert (counters.queued, counters.failed) == (0, 1)
    assert table.overdue("sdxl", time.time() + 10**6) == [], "nothing left for anyone to finish"
    assert [t[2] for t in transitions(pipeline.stream_records())] == ["QUEUED", "FAILED"]


def test_when_the_completion_handler_crashes_mid_batch_then_only_that_message_is_retried(
    pipeline, service, make_job, table, monkeypatch
):
    jobs = [service.submit(make_job()) for _ in range(3)]
    pipeline.skip_stream()
    real = JobsTable.transition
    crashed: list[str] = []

    def crash_after_writing(self, job_id, *args, **kwargs):
        result = real(self, job_id, *args, **kwargs)
        if job_id == jobs[1].id and not crashed:
            crashed.append(job_id)
            raise RuntimeError("Lambda container died after the write")
        return result

    monkeypatch.setattr(JobsTable, "transition", crash_after_writing)
    bodies = [notification(j.id, manifest=manifest(j.id)) for j in jobs]

    answer = pipeline.complete(bodies)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}

    assert pipeline.complete([bodies[1]]) == {"batchItemFailures": []}, "the retried message succeeds"
    assert pipeline.complete(bodies) == {"batchItemFailures": []}, "a whole-batch redelivery changes nothing"

    assert all(table.get(j.id).state == JobState.COMPLETED for j in jobs)
    changes = transitions(pipeline.stream_records())
    assert sorted(changes) == sorted((j.id, "QUEUED", "COMPLETED") for j in jobs), "one transition each"
    [counters] = table.counters(["sdxl"])
    assert (counters.queued, counters.completed) == (0, 3)


def test_when_publishing_an_event_fails_then_only_that_stream_record_is_retried(
    pipeline, service, make_job, monkeypatch
):
    from sdapi.aws.events_topic import EventsTopic

    jobs = [service.submit(make_job()) for _ in range(3)]
    records = pipeline.stream_records()
    real = EventsTopic.publish

    def flaky(self, event, attributes):
        if event["id"] == jobs[1].id:
            raise UpstreamUnavailable("SNS Publish: InternalError")
        return real(self, event, attributes)

    monkeypatch.setattr(EventsTopic, "publish", flaky)
    answer = pipeline.handlers["events"].handler({"Records": records}, _context())
    [failing] = [
        r for r in records if r["dynamodb"]["Keys"]["id"]["S"] == jobs[1].id and r["eventName"] == "INSERT"
    ]
    assert answer == {"batchItemFailures": [{"itemIdentifier": failing["dynamodb"]["SequenceNumber"]}]}


def _context():
    from local.lambda_context import LambdaContext

    return LambdaContext("sdapi-events")


def test_a_notification_for_an_unknown_job_is_acknowledged_and_changes_nothing(pipeline, table):
    answer = pipeline.complete([notification("1234567890123", manifest=manifest("1234567890123"))])
    assert answer == {"batchItemFailures": []}
    assert table.get("1234567890123") is None
    assert pipeline.stream_records() == []


def test_a_job_whose_notification_never_comes_is_timed_out_by_the_sweeper(pipeline, service, make_job, table):
    record = service.submit(make_job())
    started = time.time() - 700
    table.transition(
        record.id,
        JobState.IN_PROGRESS,
        expected=[JobState.QUEUED],
        updates={"started_at": started, "deadline_at": started + 600},
    )
    pipeline.sweep()
    assert table.get(record.id).state == JobState.TIMED_OUT
    assert pipeline.sweep()["timed_out"] == [], "a second sweep finds nothing"


OPS = ("submit", "start", "complete", "fail", "cancel", "duplicate", "retry", "late")


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(storm=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 1000)), min_size=1, max_size=25))
def test_counters_equal_a_recount_after_a_random_storm(pipeline, service, make_job, table, aws, storm):
    before = {c.pool: c for c in table.counters(["sdxl", "sd15"])}
    pipeline.skip_stream()
    jobs: list = []
    sent: list[str] = []
    for op, pick in storm:
        if op == "submit" or not jobs:
            pool, model = [("sdxl", "sd_xl_base_1.0"), ("sd15", "v1-5-pruned-emaonly")][pick % 2]
            jobs.append(service.submit(make_job(pool=pool, model=model, width=512, height=512)))
            continue
        job = jobs[pick % len(jobs)]
        current = table.get(job.id)
        inference_id = job.id if current.attempt == 0 else f"{job.id}:{current.attempt}"
        if op == "start":
            table.transition(
                job.id, JobState.IN_PROGRESS, expected=[JobState.QUEUED], updates={"started_at": time.time()}
            )
        elif op == "complete":
            sent.append(notification(inference_id, manifest=manifest(job.id, attempt=current.attempt)))
            pipeline.complete([sent[-1]])
        elif op == "fail":
            sent.append(notification(inference_id, status="Failed", failureReason="worker crashed"))
            pipeline.complete([sent[-1]])
        elif op == "cancel":
            service.cancel(job.id, "alice")
        elif op == "duplicate" and sent:
            pipeline.complete([sent[pick % len(sent)]])
        elif op == "retry" and current.state in (JobState.FAILED, JobState.TIMED_OUT):
            service.retry(job.id, "alice")
        elif op == "late":
            pipeline.complete([notification(job.id, manifest=manifest(job.id))])  # attempt 0's, maybe stale

    items = _scan_jobs(aws.jobs_table)
    pool_of = _pools(items)
    entered = Counter((pool_of[jid], new) for jid, _, new in transitions(pipeline.stream_records()))
    for pool, counters in {c.pool: c for c in table.counters(["sdxl", "sd15"])}.items():
        active = Counter(
            i["state"] for i in items if i["pool"] == pool and JobState(i["state"]) in ACTIVE_STATES
        )
        assert counters.queued == active["QUEUED"]
        assert counters.in_progress == active["IN_PROGRESS"]
        for state in ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"):
            field = COUNTER_FIELDS[state]
            assert getattr(counters, field) - getattr(before[pool], field) == entered[(pool, state)], state


def _scan_jobs(table_name: str) -> list[dict]:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    items, kwargs = [], {"TableName": table_name}
    while True:
        page = ddb.scan(**kwargs)
        items += [
            {"id": i["id"]["S"], "state": i["state"]["S"], "pool": i["pool"]["S"]}
            for i in page["Items"]
            if "state" in i
        ]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _pools(items: list[dict]) -> dict[str, str]:
    return {i["id"]: i["pool"] for i in items}
