"""Completion: SageMaker's async-inference notifications → the job's terminal state.

The success and error topics deliver (through SQS) SageMaker's notification for each invocation, which the
completion Lambda's batch processor validates into a `sdapi.event_records.CompletionRecord`:
`{"invocationStatus": "Completed"|"Failed", "inferenceId", "failureReason"?, "responseParameters":
{"outputLocation"|"failureLocation", "contentType", "responseBody"?: {"content", "encoding"}}}`; with
`IncludeInferenceResponseIn` the container's answer (≤128 KB) rides inline (accepted both inside
`responseParameters` and at the top level), otherwise it is read from the output/failure location in S3.

- `Completed` + manifest `completed` → COMPLETED (outputs, info, nsfw, timings; `exec_ms` for the counters).
- `Completed` + manifest `cancelled` → nothing (the job is CANCELLED already).
- `Failed` → FAILED with the container's `InvocationError.error` (or SageMaker's `failureReason`); a
  SageMaker timeout / expired request TTL → TIMED_OUT.

All writes are conditional transitions from QUEUED/IN_PROGRESS of the same attempt, so duplicates, late
notifications (after a cancel or the sweeper's timeout) and notifications of older attempts change nothing.
SageMaker's test notification and unknown jobs are logged and acknowledged. AWS errors propagate so the
message is retried (partial batch failure).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from sdapi.errors import NotFound
from sdapi.event_records import AsyncNotification
from sdapi.ports import BlobStore, JobStore
from sdapi.schema.job import ACTIVE_STATES, JobState, parse_inference_id
from sdapi.schema.manifest import InvocationError, Manifest

logger = logging.getLogger(__name__)

_TIMEOUT_WORDS = re.compile(r"time[ d]*out|timed out|expired|\bttl\b", re.IGNORECASE)


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    """The worker reported the job cancelled: nothing to change."""
    NO_CHANGE = "no_change"
    """Duplicate or late notification: the job was not in a state this one may change."""
    STALE = "stale"
    """A notification for an older attempt of a retried job."""
    UNKNOWN_JOB = "unknown_job"
    IGNORED = "ignored"
    """Not an invocation result (SageMaker's test notification, garbage)."""


class CompletionService:
    def __init__(self, store: JobStore, blobs: BlobStore, clock: Callable[[], float] = time.time):
        self.store = store
        self.blobs = blobs
        self.clock = clock

    def handle(self, notification: AsyncNotification | None) -> Outcome:
        """Handle the notification of one completion-queue message (`CompletionRecord.notification`; None
        for a message that carries none)."""
        if notification is None:
            logger.info("ignoring a message that is not a SageMaker notification")
            return Outcome.IGNORED
        if not notification.is_result:
            logger.info("ignoring notification %s", notification.event_name or "without inferenceId")
            return Outcome.IGNORED
        job_id, attempt = parse_inference_id(notification.inference_id or "")
        record = self.store.get(job_id)
        if record is None:
            logger.warning("notification for unknown job %s", job_id)
            return Outcome.UNKNOWN_JOB
        if attempt != record.attempt:
            logger.info("notification for attempt %s of job %s (now at %s)", attempt, job_id, record.attempt)
            return Outcome.STALE
        if notification.invocation_status == "Completed":
            return self._completed(job_id, attempt, notification, record.progress_total)
        return self._failed(job_id, attempt, notification)

    def _completed(self, job_id: str, attempt: int, note: AsyncNotification, total_steps: int) -> Outcome:
        raw = self._response(note, note.response_parameters.output_location)
        try:
            manifest = Manifest.model_validate_json(raw or b"")
        except ValidationError:
            return self._finish(
                job_id, attempt, JobState.FAILED, "the worker's answer could not be read", Outcome.FAILED
            )
        if manifest.status == "cancelled":
            return Outcome.CANCELLED
        now = self.clock()
        if manifest.started_at is not None and manifest.finished_at is not None:
            exec_ms = round((manifest.finished_at - manifest.started_at) * 1000)
        else:
            exec_ms = round(manifest.timings.total_s * 1000)
        updates: dict[str, Any] = {
            "outputs": manifest.images,
            "n_generated": manifest.n_generated or len(manifest.images),
            "info": manifest.info,
            "nsfw": manifest.nsfw,
            "timings": manifest.timings.model_dump(mode="json"),
            "completed_at": manifest.finished_at or now,
            "progress_step": total_steps,
            "error": None,
        }
        if manifest.started_at is not None:
            updates["started_at"] = manifest.started_at
        changed = self.store.transition(
            job_id, JobState.COMPLETED, expected=ACTIVE_STATES, attempt=attempt, updates=updates,
            exec_ms=max(0, exec_ms),
        )
        return Outcome.COMPLETED if changed else Outcome.NO_CHANGE

    def _failed(self, job_id: str, attempt: int, note: AsyncNotification) -> Outcome:
        raw = self._response(note, note.response_parameters.failure_location)
        error: InvocationError | None = None
        if raw:
            try:
                error = InvocationError.model_validate_json(raw)
            except ValidationError:
                error = None
        reason = note.failure_reason or "the inference failed"
        if error is not None:
            return self._finish(job_id, attempt, JobState.FAILED, error.error, Outcome.FAILED)
        if _TIMEOUT_WORDS.search(reason):
            reason = f"job timed out: {reason}"
            return self._finish(job_id, attempt, JobState.TIMED_OUT, reason, Outcome.TIMED_OUT)
        return self._finish(job_id, attempt, JobState.FAILED, reason, Outcome.FAILED)

    def _finish(self, job_id: str, attempt: int, to: JobState, reason: str, outcome: Outcome) -> Outcome:
        changed = self.store.transition(
            job_id, to, expected=ACTIVE_STATES, attempt=attempt,
            updates={"error": reason[:2000], "completed_at": self.clock()},
        )
        return outcome if changed else Outcome.NO_CHANGE

    def _response(self, note: AsyncNotification, location: str | None) -> bytes | None:
        """The container's answer: inline in the notification, else from S3 (None when unavailable)."""
        if note.inline is not None and note.inline.content:
            try:
                return note.inline.data()
            except ValueError:
                logger.warning("inline response of %s is not decodable", note.inference_id)
        key = self.blobs.key_from_uri(location) if location else None
        if key is None:
            return None
        try:
            return self.blobs.get_bytes(key)
        except NotFound:
            return None
