"""Record → the RunPod answers: `/run` and `/retry` (`{id, status}`), `/status`, `/runsync`, `/cancel` and the
webhook body (the `/status` body with the A1111 response as `output`), `/health`, `/purge-queue`, and the
immediate answer of a listing call."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.a1111.answers import completed_body, response_body
from sdapi.dialects.common import OutputSource, WebhookEvent
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.job import JobState

STATUS = {
    JobState.QUEUED: "IN_QUEUE",
    JobState.IN_PROGRESS: "IN_PROGRESS",
    JobState.COMPLETED: "COMPLETED",
    JobState.FAILED: "FAILED",
    JobState.CANCELLED: "CANCELLED",
    JobState.TIMED_OUT: "TIMED_OUT",
}
"""RunPod's name of each job state."""

LISTING_ID_PREFIX = "listing-"
"""Ids of listing answers (no job is stored under them)."""


def run_body(record: JobRecord) -> dict[str, Any]:
    """Return the `/run` and `/retry` answer `{"id", "status"}`."""
    return {"id": record.id, "status": STATUS[record.state]}


def status_body(record: JobRecord, images: list[str] | None = None) -> dict[str, Any]:
    """Return the `/status` body: timings, `output` = the A1111 response once COMPLETED, `error` if failed."""
    body: dict[str, Any] = {}
    if record.started_at is not None or record.terminal:
        body["delayTime"] = record.delay_ms or 0
    if record.terminal:
        body["executionTime"] = record.execution_ms or 0
    body["id"] = record.id
    if record.state == JobState.COMPLETED:
        body["output"] = response_body(record, images or [])
    body["status"] = STATUS[record.state]
    if record.state in (JobState.FAILED, JobState.TIMED_OUT):
        body["error"] = record.error or (
            "job timed out" if record.state == JobState.TIMED_OUT else "job failed"
        )
    return body


def health_body(load: SystemLoad, pool: str) -> dict[str, Any]:
    """Return `/health`: the pool's job counters and its idle and running workers."""
    counters = next(c for c in load.pools if c.pool == pool)
    instances = load.instances.get(pool) or 0
    running = min(instances, counters.in_progress)
    return {
        "jobs": {
            "completed": counters.completed,
            "failed": counters.failed + counters.timed_out,
            "inProgress": counters.in_progress,
            "inQueue": counters.queued,
            "retried": counters.retried,
        },
        "workers": {"idle": max(0, instances - running), "running": running},
    }


def purge_body(removed: int) -> dict[str, Any]:
    """Return `/purge-queue`: how many queued jobs were cancelled."""
    return {"removed": removed, "status": "completed"}


def answer(record: JobRecord, source: OutputSource) -> dict[str, Any]:
    """Return the `/status` body for the job as it is now, with its images inline once COMPLETED (and a
    `warning` in `output` when they did not fit)."""
    if record.state != JobState.COMPLETED:
        return status_body(record)
    body = status_body(record)
    body["output"] = completed_body(record, source)
    return body


def webhook_body(record: JobRecord, event: WebhookEvent, source: OutputSource) -> dict[str, Any]:
    """Return the RunPod webhook body: the `/status` body of the job (images inline as base64)."""
    return answer(record, source)


def listing_body(listing_id: str, output: Any) -> dict[str, Any]:
    """Return the COMPLETED body a listing call answers at once, the listing as `output`."""
    return {"delayTime": 0, "executionTime": 0, "id": listing_id, "output": output, "status": "COMPLETED"}
