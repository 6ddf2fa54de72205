"""The job state machine (`schema/states.py`) and the DynamoDB requests built from it (`schema/job_writes.py`)
that the Lambdas and the container both send."""

from __future__ import annotations

import pytest

from sdapi.aws.dynamo import from_item
from sdapi.schema import items, states
from sdapi.schema.job_writes import (
    Signals,
    TransitionWrite,
    creation_counters,
    progress_update,
    refused_state,
    wire,
)
from sdapi.schema.states import TRANSITIONS, IllegalTransition, JobState, counter_moves


def write(old: JobState, new: JobState, **fields) -> TransitionWrite:
    values = dict(table="jobs", job_id="7", pool="sdxl", old=old, new=new, attempt=0, now=1000.0)
    values.update(fields)
    return TransitionWrite(**values)


def test_every_state_declares_its_moves():
    assert set(TRANSITIONS) == set(JobState)


@pytest.mark.parametrize("final", [JobState.COMPLETED, JobState.CANCELLED])
def test_completed_and_cancelled_jobs_are_final(final):
    assert TRANSITIONS[final] == frozenset()


def test_only_failed_and_timed_out_jobs_go_back_to_the_queue():
    back = {old for old, targets in TRANSITIONS.items() if JobState.QUEUED in targets}
    assert back == states.RETRYABLE_STATES


def test_a_move_the_machine_does_not_have_is_refused():
    with pytest.raises(IllegalTransition, match="COMPLETED to QUEUED"):
        states.check(JobState.COMPLETED, JobState.QUEUED)


def test_a_new_job_counts_as_queued():
    assert counter_moves(None, JobState.QUEUED) == {"queued": 1}


def test_starting_moves_one_job_from_the_queued_gauge_to_the_running_one():
    assert counter_moves(JobState.QUEUED, JobState.IN_PROGRESS) == {"queued": -1, "in_progress": 1}


def test_a_retry_counts_as_retried_and_leaves_the_failed_total_alone():
    assert counter_moves(JobState.FAILED, JobState.QUEUED) == {"queued": 1, "retried": 1}


def test_completion_adds_the_execution_time():
    moves = counter_moves(JobState.IN_PROGRESS, JobState.COMPLETED, exec_ms=2500)

    assert moves == {"in_progress": -1, "completed": 1, items.EXEC_MS_TOTAL: 2500}


def test_building_an_illegal_write_is_refused():
    with pytest.raises(IllegalTransition):
        write(JobState.CANCELLED, JobState.IN_PROGRESS)


def test_entering_a_terminal_state_leaves_the_deadline_index():
    removed = write(JobState.QUEUED, JobState.CANCELLED).removes

    assert {items.ACTIVE_POOL, items.DEADLINE_AT} <= set(removed)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (JobState.IN_PROGRESS, JobState.COMPLETED),
        (JobState.IN_PROGRESS, JobState.FAILED),
        (JobState.IN_PROGRESS, JobState.CANCELLED),
        (JobState.IN_PROGRESS, JobState.TIMED_OUT),
        (JobState.FAILED, JobState.QUEUED),
    ],
)
def test_leaving_in_progress_removes_the_live_preview(old, new):
    assert items.PREVIEW in write(old, new).removes


def test_starting_keeps_the_live_preview_attribute_alone():
    change = write(JobState.QUEUED, JobState.IN_PROGRESS)
    assert items.PREVIEW not in change.removes


def test_entering_an_active_state_joins_the_deadline_index():
    sets = write(JobState.FAILED, JobState.QUEUED, updates={items.DEADLINE_AT: 5000.0}).sets

    assert sets[items.ACTIVE_POOL] == "sdxl"


def test_none_updates_are_removed_and_state_cannot_be_overridden():
    change = write(JobState.IN_PROGRESS, JobState.FAILED, updates={"error": None, items.STATE: "QUEUED"})

    assert "error" in change.removes
    assert change.sets[items.STATE] == "FAILED"


def test_the_job_update_is_conditional_on_the_old_state_and_the_attempt():
    update = write(JobState.QUEUED, JobState.IN_PROGRESS, attempt=2).job_update()["Update"]
    names = update["ExpressionAttributeNames"]
    condition = update["ConditionExpression"]
    for placeholder, name in names.items():
        condition = condition.replace(placeholder, name)

    assert condition == (
        "attribute_exists(id) AND state = :old AND (attribute_not_exists(attempt) OR attempt = :att)"
    )
    assert update["ExpressionAttributeValues"][":old"] == {"S": "QUEUED"}
    assert update["ExpressionAttributeValues"][":att"] == {"N": "2"}


def test_the_transaction_moves_the_pools_counters_after_the_job():
    job_update, counters = write(JobState.QUEUED, JobState.IN_PROGRESS).transact_items()

    assert job_update["Update"]["Key"] == {"id": {"S": "7"}}
    assert counters["Update"]["Key"] == {"id": {"S": items.counters_id("sdxl")}}
    expression = counters["Update"]["UpdateExpression"]
    assert expression == "SET #pool = :pool, #at = :at ADD #c0 :c0, #c1 :c1, #v :one"


def test_creating_a_job_bumps_the_queued_counter():
    update = creation_counters("jobs", "sd15", 1000.0)["Update"]

    assert update["ExpressionAttributeNames"]["#c0"] == "queued"
    assert update["ExpressionAttributeValues"][":c0"] == {"N": "1"}


def test_a_progress_write_stores_the_live_preview_it_is_given():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0, preview="iVBORw0KGgo=")

    assert request["ExpressionAttributeValues"][":preview"] == {"S": "iVBORw0KGgo="}


def test_a_progress_write_without_a_preview_leaves_the_stored_one():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0)
    assert ":preview" not in request["ExpressionAttributeValues"]


def test_an_accepted_progress_write_asks_for_nothing_back():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0, preview="iVBORw0KGgo=")
    assert request.get("ReturnValues", "NONE") == "NONE"


def test_a_progress_write_is_refused_by_an_interrupt_the_worker_has_not_seen():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0)
    assert "interrupted" in request["ExpressionAttributeNames"].values()


def test_a_progress_write_after_the_interrupt_was_seen_no_longer_checks_it():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0, seen=Signals(interrupted=True))
    assert "interrupted" not in request["ExpressionAttributeNames"].values()


def test_a_progress_write_is_refused_by_more_skips_than_the_worker_has_seen():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0, seen=Signals(skips=2))
    assert request["ExpressionAttributeValues"][":skips"] == {"N": "2"}


def test_progress_is_accepted_only_while_the_job_runs():
    request = progress_update("jobs", "7", 0, (3, 20), 1000.0)

    assert request["ExpressionAttributeValues"][":running"] == {"S": "IN_PROGRESS"}
    assert request["ConditionExpression"].startswith("#a3 = :running")


@pytest.mark.parametrize(
    "value", [0.1, 1e-7, 12345678901234, -3, True, None, "x", [1, "a"], {"n": {"f": 0.25}}, JobState.QUEUED]
)
def test_wire_values_read_back_as_written_by_the_lambdas_reader(value):
    read = from_item({"v": wire(value)})["v"]
    expected = value.value if isinstance(value, JobState) else value

    assert read == expected


def test_a_number_dynamodb_cannot_hold_is_refused():
    with pytest.raises(TypeError):
        wire(float("nan"))


def test_a_refused_condition_reports_the_state_and_attempt_it_found():
    found = refused_state({items.STATE: {"S": "CANCELLED"}, items.ATTEMPT: {"N": "1"}})

    assert found == ("CANCELLED", 1)
