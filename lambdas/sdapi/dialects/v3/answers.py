"""Record → the v3 answers: `success`, `processing` (with `eta`, `fetch_result`, `future_links`) or `failed`,
chosen once by `answer` for the routes and the webhook body alike, and `system_load`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sdapi.dialects.common import OutputSource, WebhookEvent
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.job import JobState


@dataclass(frozen=True)
class Waiting:
    """What a `processing` answer tells the caller: the estimated wait and where to fetch the result."""

    eta_s: float = 0.0
    fetch_url: str = ""
    future_links: list[str] = field(default_factory=list)


def job_number(job_id: str) -> int | str:
    """Return the id as v3 shows it: an integer (generated ids always are; a task-dialect id stays a
    string)."""
    return int(job_id) if job_id.isdigit() else job_id


def success_body(record: JobRecord, output: list[str]) -> dict[str, Any]:
    """Return the `success` answer with the job's images (URLs or base64) and its `meta`."""
    return {
        "status": "success",
        "generationTime": round((record.execution_ms or 0) / 1000, 3),
        "id": job_number(record.id),
        "output": output,
        "meta": record.request,
        "nsfw_content_detected": any(record.nsfw),
    }


def processing_body(
    record: JobRecord, eta_s: float, fetch_url: str, future_links: list[str]
) -> dict[str, Any]:
    """Return the `processing` answer: the estimated wait, the fetch URL and the images' future links."""
    return {
        "status": "processing",
        "tip": "Your image is processing in background, you can get this image using fetch API",
        "eta": round(eta_s, 1),
        "messege": "Try to fetch request after given estimated time",
        "fetch_result": fetch_url,
        "id": job_number(record.id),
        "output": [],
        "meta": record.request,
        "future_links": future_links,
    }


def failed_body(record: JobRecord) -> dict[str, Any]:
    """Return the `failed` answer of a failed, cancelled or timed-out job."""
    reasons = {
        JobState.CANCELLED: "the job was cancelled",
        JobState.TIMED_OUT: "the job timed out",
    }
    return {
        "status": "failed",
        "id": job_number(record.id),
        "message": record.error or reasons.get(record.state, "the job failed"),
    }


def system_load_body(load: SystemLoad) -> dict[str, Any]:
    """Return `/api/v3/system_load`: the queue length and the estimated wait."""
    return {
        "queue_num": sum(c.queued for c in load.pools),
        "queue_time": round(load.queue_time_s, 1),
        "status": "ok",
    }


def answer(
    record: JobRecord, source: OutputSource, waiting: Callable[[JobRecord], Waiting]
) -> dict[str, Any]:
    """Return the v3 answer for the job as it is now: `success` with its images (base64 when the request
    asked for it), `failed` for a job that ended otherwise, else `processing` with `waiting(record)`."""
    if record.state == JobState.COMPLETED:
        out = source.outputs(record, base64=record.request.get("base64") == "yes")
        body = success_body(record, out.images)
        if out.warning:
            body["warning"] = out.warning
        return body
    if record.terminal:
        return failed_body(record)
    wait = waiting(record)
    return processing_body(record, wait.eta_s, wait.fetch_url, wait.future_links)


def webhook_body(record: JobRecord, event: WebhookEvent, source: OutputSource) -> dict[str, Any]:
    """Return the v3 webhook body: the `/api/v3/fetch/{id}` answer plus `track_id`."""
    body = answer(record, source, lambda _record: Waiting())
    body["track_id"] = record.track_id
    return body
