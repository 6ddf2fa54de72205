"""Completion: SageMaker's async-inference notifications → the job's terminal state.

The success and error topics deliver (through SQS) SageMaker's notification for each invocation:
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

import base64
import json
import logging
import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sdapi.errors import NotFound
from sdapi.ports import BlobStore, JobStore
from sdapi.schema.job import ACTIVE_STATES, JobState, parse_inference_id
from sdapi.schema.manifest import InvocationError, Manifest

logger = logging.getLogger(__name__)

_TIMEOUT_WORDS = re.compile(r"time[ d]*out|timed out|expired|\bttl\b", re.IGNORECASE)


class ResponseBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    content: str = ""
    encoding: str = Field(default="UTF-8", description="`BASE64` or a text encoding.")

    def data(self) -> bytes:
        if self.encoding.upper() == "BASE64":
            return base64.b64decode(self.content)
        return self.content.encode("utf-8")


class ResponseParameters(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    content_type: str | None = Field(default=None, alias="contentType")
    output_location: str | None = Field(default=None, alias="outputLocation")
    failure_location: str | None = Field(default=None, alias="failureLocation")
    response_body: ResponseBody | None = Field(default=None, alias="responseBody")


class AsyncNotification(BaseModel):
    """SageMaker's asynchronous-inference notification (the SNS message)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    invocation_status: str | None = Field(default=None, alias="invocationStatus")
    inference_id: str | None = Field(default=None, alias="inferenceId")
    failure_reason: str | None = Field(default=None, alias="failureReason")
    event_name: str | None = Field(default=None, alias="eventName")
    response_parameters: ResponseParameters = Field(
        default_factory=ResponseParameters, alias="responseParameters"
    )
    response_body: ResponseBody | None = Field(default=None, alias="responseBody")

    @property
    def is_result(self) -> bool:
        """False for SageMaker's test notification (or anything that is not an invocation result)."""
        return bool(self.inference_id) and self.invocation_status in ("Completed", "Failed")

    @property
    def inline(self) -> ResponseBody | None:
        return self.response_parameters.response_body or self.response_body


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


def parse_notification(body: str) -> AsyncNotification | None:
    """The SageMaker notification inside an SQS message body: an SNS envelope (or a raw-delivery message).
    None when the body is not a notification at all (e.g. SageMaker's test message)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        try:
            message = SnsNotificationModel.model_validate(data).Message
            data = json.loads(message)
        except (ValidationError, ValueError):
            return None
    if not isinstance(data, dict):
        return None
    try:
        return AsyncNotification.model_validate(data)
    except ValidationError:
        return None


class CompletionService:
    def __init__(self, store: JobStore, blobs: BlobStore, clock: Callable[[], float] = time.time):
        self.store = store
        self.blobs = blobs
        self.clock = clock

    def handle_body(self, body: str) -> Outcome:
        """Handle one SQS message body."""
        notification = parse_notification(body)
        if notification is None:
            logger.info("ignoring a message that is not a SageMaker notification")
            return Outcome.IGNORED
        return self.handle(notification)

    def handle(self, notification: AsyncNotification) -> Outcome:
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
