"""The DynamoDB job store: conditional transitions that move the counters with them."""

from __future__ import annotations

import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.errors import Conflict
from sdapi.records import JobRecord
from sdapi.schema.job import JobState
from sdapi.schema.states import IllegalTransition


@pytest.fixture
def store(aws):
    return JobsTable(aws.jobs_table)


def put(store, make_job, now=1000.0, **overrides):
    job = make_job(**overrides)
    record = JobRecord(
        id=job.id,
        owner=job.owner,
        dialect=job.dialect,
        pool=job.pool,
        task=job.task,
        model=job.model,
        state=JobState.QUEUED,
        created_at=now,
        output_prefix=job.output.prefix,
        deadline_at=now + 60,
        summary={"cfg_scale": 7.5, "nested": {"f": 0.25}},
    )
    store.create(job, record)
    return job


def gauges(store, pool="sdxl"):
    return store.counters([pool])[0]


def test_create_then_get_round_trips_the_record(store, make_job):
    job = put(store, make_job)

    record = store.get(job.id)

    assert record.state == JobState.QUEUED
    assert record.summary == {"cfg_scale": 7.5, "nested": {"f": 0.25}}
    assert record.active_pool == "sdxl"
    assert gauges(store).queued == 1


def test_create_with_a_taken_id_conflicts(store, make_job):
    put(store, make_job, id="abc")
    with pytest.raises(Conflict):
        put(store, make_job, id="abc")


def test_transition_moves_counters_and_leaves_the_index_when_terminal(store, make_job):
    job = put(store, make_job)

    running = store.transition(
        job.id,
        JobState.IN_PROGRESS,
        expected=[JobState.QUEUED],
        updates={"started_at": 1001.0, "deadline_at": 1601.0},
    )
    done = store.transition(
        job.id,
        JobState.COMPLETED,
        expected=[JobState.IN_PROGRESS],
        updates={"outputs": ["outputs/x/0.png"], "n_generated": 1},
        exec_ms=2500,
    )

    assert running.state == JobState.IN_PROGRESS
    assert running.deadline_at == 1601.0
    assert done.state == JobState.COMPLETED
    assert done.active_pool is None
    assert done.deadline_at is None
    stored = store.get(job.id)
    assert stored.outputs == ["outputs/x/0.png"]
    assert stored.active_pool is None
    counters = gauges(store)
    assert (counters.queued, counters.in_progress, counters.completed) == (0, 0, 1)
    assert counters.mean_execution_s == 2.5


def test_transition_from_an_unexpected_state_is_a_no_op(store, make_job):
    job = put(store, make_job)
    store.transition(job.id, JobState.CANCELLED, expected=[JobState.QUEUED])

    late = store.transition(job.id, JobState.COMPLETED, expected=[JobState.QUEUED, JobState.IN_PROGRESS])

    assert late is None
    assert store.get(job.id).state == JobState.CANCELLED
    counters = gauges(store)
    assert (counters.queued, counters.cancelled, counters.completed) == (0, 1, 0)


def test_transition_with_an_old_attempt_is_a_no_op(store, make_job):
    job = put(store, make_job)
    assert store.transition(job.id, JobState.FAILED, expected=[JobState.QUEUED], attempt=1) is None
    assert store.transition(job.id, JobState.FAILED, expected=[JobState.QUEUED], attempt=0) is not None


def test_transition_of_a_missing_job_is_none(store):
    assert store.transition("nope", JobState.FAILED, expected=[JobState.QUEUED]) is None


def test_retry_transition_counts_retried_and_rejoins_the_index(store, make_job):
    job = put(store, make_job)
    store.transition(job.id, JobState.FAILED, expected=[JobState.QUEUED])

    again = store.transition(
        job.id, JobState.QUEUED, expected=[JobState.FAILED], updates={"attempt": 1, "deadline_at": 5000.0}
    )

    assert again.active_pool == "sdxl"
    assert again.attempt == 1
    counters = gauges(store)
    assert (counters.queued, counters.failed, counters.retried) == (1, 1, 1)


def test_overdue_and_queued_come_from_the_deadline_index(store, make_job):
    late = put(store, make_job, now=1000.0)
    fresh = put(store, make_job, now=5000.0)
    other = put(store, make_job, now=1000.0, owner="bob")
    store.transition(other.id, JobState.CANCELLED, expected=[JobState.QUEUED])

    overdue = store.overdue("sdxl", now=2000.0)

    assert [r.id for r in overdue] == [late.id]
    assert {r.id for r in store.queued("sdxl")} == {late.id, fresh.id}
    assert store.queued("sdxl", owner="bob") == []


def test_counters_for_several_pools_in_one_call_with_zeros_for_new_pools(store, make_job):
    put(store, make_job)

    sdxl, sd15 = store.counters(["sdxl", "sd15"])

    assert (sdxl.pool, sdxl.queued) == ("sdxl", 1)
    assert (sd15.pool, sd15.queued) == ("sd15", 0)


def test_recount_repairs_drifted_gauges(store, make_job, aws):
    import boto3

    put(store, make_job)
    running = put(store, make_job)
    # a writer without transactions (the container) moved the state but not the gauges
    store.update(running.id, {"state": "IN_PROGRESS"})
    boto3.client("dynamodb").update_item(
        TableName=aws.jobs_table,
        Key={"id": {"S": "_counters#sdxl"}},
        UpdateExpression="SET queued = :q",
        ExpressionAttributeValues={":q": {"N": "17"}},
    )

    counters = store.recount("sdxl").counters

    assert (counters.queued, counters.in_progress) == (1, 1)
    assert (gauges(store).queued, gauges(store).in_progress) == (1, 1)


def test_update_sets_and_removes_attributes(store, make_job):
    job = put(store, make_job)

    store.update(job.id, {"webhook_status": "failed", "webhook_error": "HTTP 500", "track_id": None})
    store.update("missing-job", {"webhook_status": "failed"})

    stored = store.get(job.id)
    assert (stored.webhook_status, stored.webhook_error) == ("failed", "HTTP 500")
    assert store.get("missing-job") is None


def test_a_move_the_state_machine_does_not_have_is_refused_before_any_write(store, make_job):
    job = put(store, make_job)
    store.transition(job.id, JobState.COMPLETED, expected=[JobState.QUEUED])

    with pytest.raises(IllegalTransition):
        store.transition(job.id, JobState.QUEUED, expected=[JobState.COMPLETED])
    assert store.get(job.id).state == JobState.COMPLETED
