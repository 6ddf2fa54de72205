"""Webhook bodies in the job's own dialect, each built by that dialect's package (looked up in
`sdapi.dialects.registry`) from the same answers its routes give:

- RunPod: the `/status/{id}` body (images inline as base64, as `/status` answers them);
- v3: the `/api/v3/fetch/{id}` body plus `track_id`;
- tasks: the notification `{id, result, image_url, output_url, context}` (+ `status`, `error`);
- native (and A1111, whose requests carry no webhook): `{type, timestamp, data}` with `data` the
  `GET /v1/jobs/{id}` body.
"""

from __future__ import annotations

from typing import Any

from sdapi.config import Settings
from sdapi.dialects import registry
from sdapi.dialects.common import Outputs, WebhookEvent
from sdapi.images import to_base64
from sdapi.ports import BlobStore
from sdapi.records import JobRecord
from sdapi.webhooks.message import WebhookMessage


class BlobOutputs:
    """A job's outputs read from the blob store: presigned URLs, or base64 of every image."""

    def __init__(self, blobs: BlobStore, settings: Settings):
        self.blobs = blobs
        self.settings = settings

    @property
    def bucket(self) -> str:
        """The bucket holding the outputs."""
        return self.settings.bucket

    def outputs(self, record: JobRecord, *, base64: bool) -> Outputs:
        """Return the job's images inline as base64 or as presigned URLs."""
        if base64:
            return Outputs([to_base64(self.blobs.get_bytes(key)) for key in record.outputs])
        return Outputs(
            [self.blobs.presign_get(key, self.settings.presign_expiry_s) for key in record.outputs]
        )


class WebhookBodies:
    """`BodyRenderer` for the dispatcher."""

    def __init__(self, blobs: BlobStore, settings: Settings):
        self.source = BlobOutputs(blobs, settings)

    def __call__(self, record: JobRecord, message: WebhookMessage) -> dict[str, Any]:
        event = WebhookEvent(event=message.event, occurred_at=message.occurred_at)
        return registry.for_dialect(record.dialect).webhook_body(record, event, self.source)
