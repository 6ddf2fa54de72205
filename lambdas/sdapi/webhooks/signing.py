"""Standard Webhooks signing (standardwebhooks.com) with the reference `standardwebhooks` package."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook


def signed_headers(secret: str, msg_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """Headers for one POST of `body`: `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256
    over `id.timestamp.body` with the API key's secret, `whsec_…` or raw base64)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    timestamp = int(moment.timestamp())
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
    return {
        "content-type": "application/json",
        "user-agent": "sdapi-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
