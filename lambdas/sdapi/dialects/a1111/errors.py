"""The A1111 error bodies `{error, detail, body, errors}` (plus `fields`): domain errors, FastAPI-style 422
schema errors, and jobs that ended without images."""

from __future__ import annotations

from typing import Any

from sdapi.errors import DomainError
from sdapi.records import JobRecord
from sdapi.schema.job import JobState

SCHEMA_MISMATCH_STATUS = 422
"""A body that does not match the route's schema (as A1111's FastAPI answers it)."""

JOB_ENDED = {
    JobState.FAILED: (500, "JobFailed"),
    JobState.TIMED_OUT: (504, "JobTimedOut"),
    JobState.CANCELLED: (409, "JobCancelled"),
}
"""HTTP status and error kind of a job that ended without images."""


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and A1111's error body for a domain error."""
    return error.status, {
        "error": error.kind,
        "detail": error.message,
        "body": "",
        "errors": error.message,
        "fields": [{"field": p.field, "reason": p.reason} for p in error.problems],
    }


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """Return 422 for request-schema errors: a FastAPI-style `detail` list inside A1111's shape."""
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
    ]
    text = "; ".join(f"{'.'.join(str(p) for p in d['loc'][1:])}: {d['msg']}" for d in detail)
    return SCHEMA_MISMATCH_STATUS, {
        "error": "RequestValidationError",
        "detail": detail,
        "body": body,
        "errors": text,
    }


def job_ended_body(record: JobRecord) -> tuple[int, dict[str, Any]]:
    """Return the status and error body of a failed, timed-out or cancelled job (its id in `body`)."""
    status, kind = JOB_ENDED[record.state]
    message = record.error or f"job {record.id} {record.state.value.lower()}"
    return status, {"error": kind, "detail": message, "body": {"id": record.id}, "errors": message}
