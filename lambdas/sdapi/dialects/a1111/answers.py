"""Record → the A1111 answers: the synchronous result (200 `{images, parameters, info}`, 202 while the job
runs, 500/504/409 for a failed, timed-out or cancelled job) and `GET /sdapi/v1/progress`."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.a1111.errors import job_ended_body
from sdapi.dialects.common import OutputSource
from sdapi.records import JobRecord
from sdapi.schema.job import JobState

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
    if not sends_images(record):
        return response_body(record, [])
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


def progress_body(record: JobRecord | None, queued: int = 0) -> dict[str, Any]:
    """Return `GET /sdapi/v1/progress`: the job's progress (`?id_task=`), or the queue size without one."""
    if record is None:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": {"job_count": queued, "job": "", "sampling_step": 0, "sampling_steps": 0},
            "current_image": None,
            "textinfo": None,
        }
    total = record.progress_total or 0
    fraction = 1.0 if record.terminal else (record.progress_step / total if total else 0.0)
    return {
        "progress": round(fraction, 4),
        "eta_relative": 0.0,
        "state": {
            "job": record.id,
            "job_count": 0 if record.terminal else 1,
            "sampling_step": record.progress_step,
            "sampling_steps": total,
            "status": record.state.value,
        },
        "current_image": None,
        "textinfo": record.error,
    }
