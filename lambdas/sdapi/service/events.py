"""Job changes → job events and webhook messages (the transactional outbox behind the jobs table's stream).

The events Lambda hands every job item change (a Powertools `DynamoDBStreamChangedRecordModel`, its images
deserialized) to `EventRouter.handle_change`. A change of state,
or of progress while in progress, is one event: published on the public events topic with message
attributes `type` and `owner`, and queued for the job's webhook when the job subscribed to it. Any other
change (webhook delivery status, TTL removal, …) is no event, so recording a delivery cannot loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamChangedRecordModel
from pydantic import BaseModel, Field, ValidationError

from sdapi.ports import BlobStore, EventPublisher, WebhookQueue
from sdapi.records import JobRecord
from sdapi.schema.job import TERMINAL_STATES, JobState
from sdapi.schema.layout import OUTPUT_TAGGING
from sdapi.timestamps import iso
from sdapi.webhooks.message import DEFAULT_WEBHOOK_EVENTS, WebhookMessage, webhook_id

logger = logging.getLogger(__name__)

EVENT_FOR_STATE = {
    JobState.QUEUED: "queued",
    JobState.IN_PROGRESS: "started",
    JobState.COMPLETED: "completed",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.TIMED_OUT: "timed_out",
}

MAX_SNAPSHOT_BYTES = 200_000
"""A webhook message carries the job snapshot only below this size (SQS messages are at most 256 KiB)."""


def plain(value: Any) -> Any:
    """A DynamoDB image as plain JSON types (Decimal → int/float, sets → lists)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return None
    return value


def is_job_item(image: Mapping[str, Any] | None) -> bool:
    """Job items only: counter items (`_counters#pool`) and other records (ids with '#') are not jobs."""
    if not image:
        return False
    item_id = str(image.get("id", ""))
    return bool(item_id) and "#" not in item_id and "state" in image


class JobEvent(BaseModel):
    """One job event as published on the events topic (the SNS message body)."""

    type: str = Field(
        description="job.queued | job.started | job.progress | job.completed | job.failed | "
        "job.cancelled | job.timed_out"
    )
    id: str = Field(description="Job id.")
    owner: str = Field(description="Owner id of the API key that submitted the job.")
    dialect: str = Field(description="The dialect the job was submitted in.")
    state: str = Field(description="The job's state after the change.")
    timestamp: str = Field(description="ISO 8601 UTC time of the change.")
    data: dict[str, Any] = Field(description="Job summary: parameters, progress, timings, error, outputs.")

    @property
    def name(self) -> str:
        return self.type.removeprefix("job.")

    def attributes(self) -> dict[str, str]:
        """SNS message attributes for subscription filter policies."""
        return {"type": self.type, "owner": self.owner, "dialect": self.dialect}


def change_event(old: JobRecord | None, new: JobRecord) -> str | None:
    """The event name a change from `old` to `new` is, or None for a change that is no event."""
    if old is None or old.state != new.state or old.attempt != new.attempt:
        return EVENT_FOR_STATE[new.state]
    if new.state == JobState.IN_PROGRESS and new.progress_step != old.progress_step:
        return "progress"
    return None


def occurred_at(record: JobRecord, event: str) -> float:
    if event == "started" and record.started_at:
        return record.started_at
    if record.state in TERMINAL_STATES and record.completed_at:
        return record.completed_at
    return record.updated_at or record.created_at


def event_data(record: JobRecord, bucket: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attempt": record.attempt,
        "pool": record.pool,
        "task": str(record.task),
        "model": record.model,
        "parameters": record.summary,
        "progress": {"step": record.progress_step, "total": record.progress_total},
        "created_at": iso(record.created_at),
        "started_at": iso(record.started_at) if record.started_at else None,
        "completed_at": iso(record.completed_at) if record.completed_at else None,
        "delay_ms": record.delay_ms,
        "execution_ms": record.execution_ms,
        "error": record.error,
        "outputs": list(record.outputs),
        "n_generated": record.n_generated,
        "output_prefix": record.output_prefix,
    }
    if bucket:
        data["output_uris"] = [f"s3://{bucket}/{key}" for key in record.outputs]
        data["output_prefix_uri"] = f"s3://{bucket}/{record.output_prefix}"
    if record.track_id is not None:
        data["track_id"] = record.track_id
    if record.context is not None:
        data["context"] = record.context
    return data


def build_event(record: JobRecord, event: str, bucket: str | None) -> JobEvent:
    return JobEvent(
        type=f"job.{event}",
        id=record.id,
        owner=record.owner,
        dialect=str(record.dialect),
        state=str(record.state),
        timestamp=iso(occurred_at(record, event)),
        data=event_data(record, bucket),
    )


def wants_webhook(record: JobRecord, event: str) -> bool:
    if not record.webhook_url:
        return False
    return event in (record.webhook_events or DEFAULT_WEBHOOK_EVENTS)


def webhook_message(record: JobRecord, event: str) -> WebhookMessage:
    step = record.progress_step if event == "progress" else None
    message = WebhookMessage(
        webhook_id=webhook_id(record.id, event, record.attempt, step),
        job_id=record.id,
        event=event,
        job_attempt=record.attempt,
        occurred_at=occurred_at(record, event),
    )
    if record.state not in TERMINAL_STATES:
        snapshot = record.model_dump(mode="json", exclude={"preview"})  # no webhook body carries it
        if len(message.model_dump_json()) + len(str(snapshot)) < MAX_SNAPSHOT_BYTES:
            message.record = snapshot
    return message


def record_from_image(image: Mapping[str, Any] | None) -> JobRecord | None:
    """The job in a stream image; None for other items, and for a job item that cannot be read (logged: a
    retry could never succeed, and a stream record that always fails would block its shard)."""
    if not is_job_item(image):
        return None
    try:
        return JobRecord.model_validate(plain(image))
    except ValidationError as error:
        logger.error(
            "unreadable job item in the stream", extra={"job_id": str(image.get("id")), "error": str(error)}
        )
        return None


class EventRouter:
    """Turns one job item change into its event on the topic and its webhook message, if any."""

    def __init__(
        self,
        publisher: EventPublisher | None,
        webhooks: WebhookQueue | None,
        bucket: str | None,
        blobs: BlobStore | None = None,
    ):
        self.publisher = publisher
        self.webhooks = webhooks
        self.bucket = bucket
        self.blobs = blobs

    def handle_change(self, change: DynamoDBStreamChangedRecordModel) -> JobEvent | None:
        """One stream record's change (the images are None for an insert's old, a removal's new image)."""
        return self.handle(_image(change.OldImage), _image(change.NewImage))

    def handle(
        self, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None
    ) -> JobEvent | None:
        new = record_from_image(new_image)
        if new is None:  # removal (TTL), a counter item, or another record sharing the table
            return None
        old = record_from_image(old_image)
        name = change_event(old, new)
        if name is None:
            return None
        event = build_event(new, name, self.bucket)
        if self.publisher is not None:
            self.publisher.publish(event.model_dump(mode="json"), event.attributes())
        if self.webhooks is not None and wants_webhook(new, name):
            self.webhooks.send(webhook_message(new, name).model_dump(mode="json"))
        self._dialect_callback(new)
        logger.info("job event", extra={"job_id": new.id, "type": event.type, "state": event.state})
        return event

    def _dialect_callback(self, record: JobRecord) -> None:
        """Publish the dialect's own notification of a finished job (tasks: the queue agent's callback, after
        writing the `.out` document it names), with the attributes `type`, `owner` and `dialect`."""
        from sdapi.dialects.registry import for_dialect  # the dialects load only where they are used

        render = for_dialect(record.dialect).callback
        if render is None or self.publisher is None or not self.bucket:
            return
        made = render(record, self.bucket)
        if made is None:
            return
        if self.blobs is not None:
            self.blobs.put_json(made.document_key, made.document, tagging=OUTPUT_TAGGING)
        attributes = {"type": made.type, "owner": record.owner, "dialect": str(record.dialect)}
        self.publisher.publish(made.message, attributes)


def _image(image: object) -> Mapping[str, Any] | None:
    return image if isinstance(image, Mapping) and image else None
