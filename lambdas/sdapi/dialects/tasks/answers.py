"""Record → the task answers: the submit answer (v1alpha2 `{id_task, id, runtime, output_location}`, v1alpha1
`{id_task, sd_model_checkpoint, output_location}`) and the notification shape, which is the status answer and
the webhook body alike."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


CALLBACK_TYPE = "task.callback"
"""The `type` message attribute of the queue agent's callback on the events topic (filter on it)."""


@dataclass(frozen=True)
class Callback:
    """The SD-on-EKS queue agent's callback for a finished task: the SNS message, and the `.out` document
    its `output_url` names (the agent uploads it beside the images)."""

    message: dict[str, Any]
    document_key: str
    document: dict[str, Any]
    type: str = CALLBACK_TYPE
    """The message's `type` attribute on the events topic."""


def _image_seeds(record: JobRecord) -> str:
    try:
        seeds = json.loads(record.info or "{}").get("all_seeds") or []
    except (ValueError, AttributeError):
        seeds = []
    return ",".join(str(seed) for seed in seeds)


def callback(record: JobRecord, bucket: str) -> Callback | None:
    """Return the queue agent's callback of a finished task (None while it runs): the message `{id, result,
    image_url, output_url, context}` (`context` `{}` when the task gave none, as the agent sends), and the
    `.out` document (`{images: [""], parameters, info: ""}`: the request's parameters with `id_task`,
    `image_seed` and `error_msg`, or for a failure `status` 0, `image_seed` [] and the error)."""
    if not record.terminal:
        return None
    task_id = record.task_id or record.id
    key = f"{record.output_prefix}{task_id}.out"
    if record.state == JobState.COMPLETED:
        parameters = {**(record.request or {}), "id_task": task_id, "image_seed": _image_seeds(record)}
        parameters["error_msg"] = ""
    else:
        error = record.error or f"task {record.state.value.lower()}"
        parameters = {"id_task": task_id, "status": 0, "image_seed": [], "error_msg": error, "reason": None}
    message = {
        "id": task_id,
        "result": record.state == JobState.COMPLETED,
        "image_url": [_location(bucket, k) for k in record.outputs],
        "output_url": _location(bucket, key),
        "context": record.context if record.context is not None else {},
    }
    return Callback(message, key, {"images": [""], "parameters": parameters, "info": ""})
