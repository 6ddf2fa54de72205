"""Record → the task answers: the submit answer (v1alpha2 `{id_task, id, runtime, output_location}`, v1alpha1
`{id_task, sd_model_checkpoint, output_location}`) and the notification shape, which is the status answer and
the webhook body alike."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import OutputSource, WebhookEvent
from sdapi.dialects.tasks.models import TaskSubmit
from sdapi.records import JobRecord
from sdapi.schema.job import JobState


def _location(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def submit_body(submit: TaskSubmit, record: JobRecord, bucket: str) -> dict[str, Any]:
    """Return the answer to a task submission, in the shape of its version."""
    location = _location(bucket, record.output_prefix.rstrip("/"))
    if submit.version == "v1alpha1":
        return {"id_task": submit.id, "sd_model_checkpoint": submit.model, "output_location": location}
    return {"id_task": submit.id, "id": submit.id, "runtime": submit.runtime, "output_location": location}


def status_body(record: JobRecord, bucket: str) -> dict[str, Any]:
    """Return the notification shape `{id, result, image_url, output_url, context}` plus `status` (and
    `error`)."""
    result = None if not record.terminal else record.state == JobState.COMPLETED
    body = {
        "id": record.task_id or record.id,
        "status": record.state.value.lower(),
        "result": result,
        "image_url": [_location(bucket, key) for key in record.outputs],
        "output_url": _location(bucket, record.output_prefix.rstrip("/")),
        "context": record.context,
    }
    if record.error:
        body["error"] = record.error
    return body


def webhook_body(record: JobRecord, event: WebhookEvent, source: OutputSource) -> dict[str, Any]:
    """Return the task webhook body: the notification shape (`status_body`)."""
    return status_body(record, source.bucket)
