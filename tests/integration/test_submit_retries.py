"""The submit is idempotent end to end: a create transaction that committed although the client saw a timeout,
a submit cut short before its invoke, and the sweeper that finishes QUEUED jobs nothing will run."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ReadTimeoutError

from sdapi.aws.clients import client
from sdapi.schema.job import JobState
from sdapi.service.sweeper import NEVER_INVOKED, NEVER_INVOKED_GRACE_S, Sweeper


class CommittedButTimedOut:
    """A botocore `before-send` hook on TransactWriteItems: the first `times` calls reach moto (which
    commits them) and then raise a read timeout, as a slow DynamoDB answer would; botocore retries."""

    def __init__(self, times: int = 1):
        self.left = times
        self.tokens: list[str | None] = []

    def __call__(self, request, **kwargs):
        from moto.core.models import botocore_stubber

        self.tokens.append(json.loads(request.body).get("ClientRequestToken"))
        if self.left <= 0:
            return None  # moto answers
        self.left -= 1
        botocore_stubber("before-send.dynamodb.TransactWriteItems", request)
        raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def slow_commit(aws):
    hook = CommittedButTimedOut()
    client("dynamodb").meta.events.register_first("before-send.dynamodb.TransactWriteItems", hook)
    yield hook
    client("dynamodb").meta.events.unregister("before-send.dynamodb.TransactWriteItems", hook)


@pytest.fixture
def invokes(aws):
    calls: list[dict] = []

    def record(params, **_):
        calls.append(params)

    client("sagemaker-runtime").meta.events.register("provide-client-params.*.InvokeEndpointAsync", record)
    return calls


def test_given_a_create_that_committed_but_timed_out_when_botocore_retries_then_the_job_is_queued_once(
    service, make_job, table, slow_commit, invokes
):
    job = make_job()

    record = service.submit(job)

    assert record.state == JobState.QUEUED
    assert [c["InferenceId"] for c in invokes] == [job.id], "invoked once, not lost"
    assert table.get(job.id).enqueued_at is not None
    [counters] = table.counters(["sdxl"])
    assert counters.queued == 1, "the retried transaction did not count the job twice"


def test_every_attempt_of_the_create_carries_the_same_client_request_token(service, make_job, slow_commit):
    service.submit(make_job())

    assert len(slow_commit.tokens) == 2
    assert len(set(slow_commit.tokens)) == 1
    assert slow_commit.tokens[0] is not None


def test_given_a_timed_out_create_with_an_idempotency_key_then_the_retry_still_invokes_the_job(
    service, make_job, table, slow_commit, invokes
):
    job = make_job()

    record = service.submit(job, idempotency_key="k-1", fingerprint="f")

    assert record.id == job.id
    assert [c["InferenceId"] for c in invokes] == [job.id]


def test_another_submit_that_drew_the_same_id_is_still_a_conflict(service, make_job):
    from sdapi.errors import Conflict

    first = make_job()
    service.submit(first)

    with pytest.raises(Conflict):
        service.submit(make_job(id=first.id, seed=99))


def test_given_a_submit_cut_short_before_its_invoke_when_it_is_replayed_then_the_job_is_invoked(
    service, make_job, table, invokes, monkeypatch
):
    job = make_job()
    monkeypatch.setattr(service, "_enqueue", lambda *a, **k: (_ for _ in ()).throw(TimeoutError("frozen")))
    with pytest.raises(TimeoutError):
        service.submit(job, idempotency_key="k-2", fingerprint="f")
    monkeypatch.undo()

    replay = service.submit(make_job(), idempotency_key="k-2", fingerprint="f")

    assert replay.id == job.id
    assert [c["InferenceId"] for c in invokes] == [job.id]
    assert table.get(job.id).enqueued_at is not None


def _cut_short(service, job, monkeypatch) -> None:
    """Submit `job` as an api Lambda that dies between the create transaction and the invoke would."""
    with monkeypatch.context() as patch:
        patch.setattr(service, "_enqueue", lambda *a, **k: (_ for _ in ()).throw(TimeoutError("frozen")))
        with pytest.raises(TimeoutError):
            service.submit(job)


def test_given_a_job_nothing_invoked_when_the_grace_period_passed_then_the_sweeper_fails_it(
    service, make_job, table, monkeypatch
):
    job = make_job()
    _cut_short(service, job, monkeypatch)
    later = time.time() + NEVER_INVOKED_GRACE_S + 1

    report = Sweeper(table, clock=lambda: later).sweep(["sdxl"])

    assert report.never_invoked == [job.id]
    stored = table.get(job.id)
    assert stored.state == JobState.FAILED
    assert stored.error == NEVER_INVOKED
    assert table.counters(["sdxl"])[0].queued == 0


def test_a_job_nothing_invoked_is_left_alone_within_the_grace_period(service, make_job, table, monkeypatch):
    job = make_job()
    _cut_short(service, job, monkeypatch)

    report = Sweeper(table, clock=lambda: time.time() + 60).sweep(["sdxl"])

    assert report.never_invoked == []
    assert table.get(job.id).state == JobState.QUEUED


def test_an_invoked_job_waiting_in_the_endpoint_queue_is_not_failed(service, make_job, table):
    record = service.submit(make_job())
    later = time.time() + NEVER_INVOKED_GRACE_S + 1

    report = Sweeper(table, clock=lambda: later).sweep(["sdxl"])

    assert report.never_invoked == []
    assert table.get(record.id).state == JobState.QUEUED
