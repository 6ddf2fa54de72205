"""Record → the A1111 answers: the synchronous result (200 `{images, parameters, info}`, or `{html_info,
image(s)}` for extras; 202 while the job runs, 500/504/409 for a failed, timed-out or cancelled job) and
`GET /sdapi/v1/progress`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sdapi.dialects.a1111 import extras
from sdapi.dialects.a1111.errors import job_ended_body
from sdapi.dialects.common import OutputSource
from sdapi.records import JobRecord
from sdapi.schema.job import JobState, Task

PENDING_STATUS = 202
"""A job still queued or running after the synchronous wait."""


def sends_images(record: JobRecord) -> bool:
    """Whether the request wants its images in the answer (A1111 `send_images`, default true); they are
    stored either way."""
    return (record.request or {}).get("send_images") is not False


def response_body(record: JobRecord, images: list[str]) -> dict[str, Any]:
    """Return `{images, parameters, info}` for a completed job; `images` are base64 (generated, then maps),
    none when the request said `send_images: false` (as A1111 answers)."""
    return {
        "images": images if sends_images(record) else [],
        "parameters": record.request,
        "info": record.info or "",
    }


def completed_body(record: JobRecord, source: OutputSource) -> dict[str, Any]:
    """Return the A1111 response of a completed job, its images read from `source` only when the request
    wants them (and a `warning` when they did not fit)."""
    if record.task == Task.EXTRAS:
        out = source.outputs(record, base64=True)
        body = extras.response_body(record, out.images)
    elif not sends_images(record):
        return response_body(record, [])
    else:
        out = source.outputs(record, base64=True)
        body = response_body(record, out.images)
    if out.warning:
        body["warning"] = out.warning
    return body


def pending_body(record: JobRecord, waited_s: float) -> dict[str, Any]:
    """Return the 202 body of a job still queued or running: its id, its state and where to poll."""
    status = "in_progress" if record.state == JobState.IN_PROGRESS else "queued"
    return {
        "id": record.id,
        "status": status,
        "detail": f"job still {status.replace('_', ' ')} after {waited_s:g}s; "
        f"poll GET /sdapi/v1/jobs/{record.id}",
    }


def answer(record: JobRecord, source: OutputSource, waited_s: float) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and body of `txt2img`/`img2img` (and `GET /sdapi/v1/jobs/{id}`) for the job as
    it is now."""
    if record.state == JobState.COMPLETED:
        return 200, completed_body(record, source)
    if record.terminal:
        return job_ended_body(record)
    return PENDING_STATUS, pending_body(record, round(waited_s, 1))


def _idle_state() -> dict[str, Any]:
    return {
        "skipped": False,
        "interrupted": False,
        "stopping_generation": False,
        "job": "",
        "job_count": 0,
        "job_timestamp": "0",
        "job_no": 0,
        "sampling_step": 0,
        "sampling_steps": 0,
    }


def progress_body(
    record: JobRecord | None, now: float, job_count: int | None = None, *, skip_current_image: bool = False
) -> dict[str, Any]:
    """Return `GET /sdapi/v1/progress` in A1111's shape for one job (`?id_task=`, or the caller's current
    job), or the idle answer when there is none. `progress` and `eta_relative` follow A1111's
    `progressapi` (0.01 + step/steps; eta = elapsed / progress - elapsed); `job_count` is the caller's active
    jobs (1 for a job asked by id while it runs); `current_image` is the running job's latest live preview
    (a base64 PNG, no `data:` prefix), null before the first one, once the job has ended, and with
    `skip_current_image` (as A1111's `progressapi`)."""
    if record is None:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": _idle_state(),
            "current_image": None,
            "textinfo": None,
        }
    state = _idle_state()
    total = record.progress_total or 0
    stamp = record.started_at or record.created_at
    state.update(
        {
            "job": record.id,
            "job_count": (0 if record.terminal else 1) if job_count is None else job_count,
            "job_timestamp": datetime.fromtimestamp(stamp, UTC).strftime("%Y%m%d%H%M%S"),
            "sampling_step": record.progress_step,
            "sampling_steps": total,
            "interrupted": record.state == JobState.CANCELLED,
            "status": record.state.value,
        }
    )
    if record.terminal:
        progress, eta = 1.0, 0.0
    elif record.state == JobState.QUEUED or record.started_at is None:
        progress, eta = 0.0, 0.0
    else:
        progress = 0.01 + (record.progress_step / total if total else 0.0)
        elapsed = max(0.0, now - record.started_at)
        eta = elapsed / progress - elapsed
    return {
        "progress": round(min(progress, 1.0), 4),
        "eta_relative": round(eta, 3),
        "state": state,
        "current_image": None if skip_current_image else record.preview,
        "textinfo": record.error
        if record.terminal
        else ("Waiting..." if record.state == JobState.QUEUED else None),
    }
