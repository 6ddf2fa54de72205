"""Webhook bodies in the job's own dialect, built with the dialects' own response builders:

- RunPod: the `/status/{id}` body (images inline as base64, as `/status` answers them);
- v3: the `/api/v3/fetch/{id}` body plus `track_id`;
- tasks: the notification `{id, result, image_url, output_url, context}` (+ `status`, `error`);
- native: `{type, timestamp, data}` with `data` the `GET /v1/jobs/{id}` body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sdapi.config import Settings
from sdapi.dialects import native, runpod, tasks, v3
from sdapi.images import to_base64
from sdapi.ports import BlobStore
from sdapi.records import JobRecord
from sdapi.schema.job import Dialect, JobState
from sdapi.service.events import iso
from sdapi.webhooks.message import WebhookMessage


class WebhookBodies:
    """`BodyRenderer` for the dispatcher."""

    def __init__(self, blobs: BlobStore, settings: Settings):
        self.blobs = blobs
        self.settings = settings
        self._by_dialect: dict[Dialect, Callable[[JobRecord, WebhookMessage], dict[str, Any]]] = {
            Dialect.RUNPOD: self.runpod,
            Dialect.V3: self.v3,
            Dialect.TASKS: self.tasks,
            Dialect.NATIVE: self.native,
            Dialect.A1111: self.native,  # A1111 requests carry no webhook; the native body if one ever does
        }

    def __call__(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        return self._by_dialect[record.dialect](record, message)

    def urls(self, record: JobRecord) -> list[str]:
        return [self.blobs.presign_get(key, self.settings.presign_expiry_s) for key in record.outputs]

    def inline_images(self, record: JobRecord) -> list[str]:
        return [to_base64(self.blobs.get_bytes(key)) for key in record.outputs]

    def runpod(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        return runpod.status_body(record, self.inline_images(record))

    def v3(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        if record.state == JobState.COMPLETED:
            inline = record.request.get("base64") == "yes"  # as the v3 fetch answers it
            body = v3.success_body(record, self.inline_images(record) if inline else self.urls(record))
        elif record.terminal:
            body = v3.failed_body(record)
        else:
            body = v3.processing_body(record, 0.0, "", [])
        body["track_id"] = record.track_id
        return body

    def tasks(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        return tasks.status_body(record, self.settings.bucket)

    def native(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        return {
            "type": f"job.{message.event}",
            "timestamp": iso(message.occurred_at),
            "data": native.job_view(record, self.urls(record)),
        }
