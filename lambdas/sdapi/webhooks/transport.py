"""One webhook POST through the SSRF guard (`sdapi.urlguard.guarded_request`): the URL is checked again at
delivery (DNS may have changed since submit), the connection goes to the checked address, no redirects."""

from __future__ import annotations

from collections.abc import Mapping

from sdapi.config import Settings
from sdapi.errors import UrlRefused
from sdapi.urlguard import UrlPolicy, UrlUnreachable, guarded_request
from sdapi.webhooks.policy import Attempt

MAX_RESPONSE_BYTES = 1024 * 1024
"""Receivers' answers are read (and dropped) up to this size."""


class GuardedSender:
    def __init__(self, settings: Settings):
        self.policy = UrlPolicy.from_settings(settings)
        self.timeout_s = settings.webhook_timeout_s

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        try:
            response = guarded_request(
                "POST",
                url,
                "webhook",
                body=body,
                headers=headers,
                policy=self.policy,
                timeout_s=self.timeout_s,
                max_bytes=MAX_RESPONSE_BYTES,
            )
        except UrlRefused as refused:
            return Attempt(error=f"webhook URL refused: {refused.reason}", retryable_error=False)
        except UrlUnreachable as error:
            return Attempt(error=error.reason)
        return Attempt(status=response.status, retry_after=response.headers.get("retry-after"))
