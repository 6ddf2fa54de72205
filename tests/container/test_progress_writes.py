"""The job tracker's progress writes through moto: an accepted write brings nothing back (the stored live
preview never travels back with it), and A1111's interrupt and skip refuse the next write once, which reads
them and is sent again."""

from __future__ import annotations

import pytest

from inference_container.storage import JobTracking
from sdapi.schema import items, job_writes
from tests.container.conftest import TABLE, get_item, make_job, put_job_item

pytestmark = pytest.mark.container

PREVIEW = "iVBORw0KGgo" + "A" * 60_000
"""A stored preview of the size A1111's "Approx cheap" reaches at SDXL sizes (about 60 KB)."""


class Answers:
    """A DynamoDB client that keeps the answer of every progress write the table accepted."""

    def __init__(self, client):
        self._client, self.exceptions, self.accepted = client, client.exceptions, []

    def transact_write_items(self, **kwargs):
        return self._client.transact_write_items(**kwargs)

    def update_item(self, **kwargs):
        answer = self._client.update_item(**kwargs)
        self.accepted.append(answer)
        return answer


@pytest.fixture
def running(aws):
    """(tracker, client, dynamodb): job 3001 IN_PROGRESS, its tracker writing every step."""
    _, dynamodb = aws
    job = make_job("3001", steps=4)
    put_job_item(dynamodb, job)
    client = Answers(dynamodb)
    tracker = JobTracking(client, TABLE, interval_s=0).for_job(job)
    tracker.start(4)
    return tracker, client, dynamodb


def signal(dynamodb, *, skip: bool) -> None:
    """The door's own request for A1111's `/interrupt` (or `/skip`)."""
    dynamodb.update_item(**job_writes.signal_update(TABLE, "3001", skip=skip))


def test_a_progress_write_does_not_bring_back_the_stored_preview(running):
    tracker, client, _ = running
    tracker.progress(1, 4, preview=lambda: PREVIEW)

    tracker.progress(2, 4)

    assert items.PREVIEW not in client.accepted[-1].get("Attributes", {})


def test_a_progress_write_that_stores_a_preview_brings_back_no_attributes(running):
    tracker, client, _ = running

    tracker.progress(1, 4, preview=lambda: PREVIEW)

    assert "Attributes" not in client.accepted[-1]


def test_the_write_after_an_interrupt_reads_it(running):
    tracker, _, dynamodb = running
    tracker.progress(1, 4)
    signal(dynamodb, skip=False)

    tracker.progress(2, 4)

    assert tracker.signals.interrupted is True


def test_the_write_an_interrupt_refused_is_stored_once_read(running):
    tracker, _, dynamodb = running
    signal(dynamodb, skip=False)

    tracker.progress(2, 4)

    assert get_item(dynamodb, "3001")[items.PROGRESS_STEP]["N"] == "2"


def test_an_interrupt_refuses_only_one_write(running):
    tracker, client, dynamodb = running
    signal(dynamodb, skip=False)
    tracker.progress(1, 4)
    accepted = len(client.accepted)

    tracker.progress(2, 4)

    assert len(client.accepted) == accepted + 1


def test_an_interrupt_is_no_stop(running):
    tracker, _, dynamodb = running
    signal(dynamodb, skip=False)
    assert tracker.progress(1, 4) is True


def test_each_skip_is_read_by_the_next_write(running):
    tracker, _, dynamodb = running
    signal(dynamodb, skip=True)
    tracker.progress(1, 4)
    signal(dynamodb, skip=True)

    tracker.progress(2, 4)

    assert tracker.signals.skips == 2


def test_a_cancel_still_stops_the_work(running):
    tracker, _, dynamodb = running
    dynamodb.update_item(
        TableName=TABLE,
        Key={"id": {"S": "3001"}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": items.STATE},
        ExpressionAttributeValues={":c": {"S": "CANCELLED"}},
    )
    assert tracker.progress(1, 4) is False
