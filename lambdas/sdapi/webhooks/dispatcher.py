"""Deliver one webhook message: render the body, sign it, POST it once, then record the outcome, re-queue a
retry with a delay, or dead-letter it. No state is kept between messages; the attempt count rides on the
message (`WebhookMessage.delivery`)."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sdapi.ports import JobStore, WebhookQueue
from sdapi.records import JobRecord
from sdapi.schema.job import TERMINAL_STATES
from sdapi.webhooks.message import WebhookMessage
from sdapi.webhooks.policy import Attempt, Decision, Verdict, decide
from sdapi.webhooks.signing import signed_headers

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """POST once (through the SSRF guard, no redirects) and report what happened."""


class BodyRenderer(Protocol):
    def __call__(self, record: JobRecord, message: WebhookMessage) -> Mapping[str, Any]:
        """The webhook body for this event in the job's dialect."""


class SecretSource(Protocol):
    def secret_for(self, key_id: str | None) -> str | None:
        """The webhook signing secret of an API key (None: no such key)."""


class KeySecrets:
    """Webhook secrets from the keys table (`by_key_id`), cached per process."""

    def __init__(self, lookup: Callable[[str], Mapping[str, Any] | None], cache_s: float = 300.0):
        self.lookup = lookup
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, str | None]] = {}

    def secret_for(self, key_id: str | None) -> str | None:
        if not key_id:
            return None
        now = time.monotonic()
        hit = self._cache.get(key_id)
        if hit and hit[0] > now:
            return hit[1]
        record = self.lookup(key_id)
        secret = str(record["webhook_secret"]) if record and record.get("webhook_secret") else None
        self._cache[key_id] = (now + self.cache_s, secret)
        return secret


def encode(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


class Dispatcher:
    def __init__(
        self,
        *,
        store: JobStore,
        queue: WebhookQueue,
        secrets: SecretSource,
        render: BodyRenderer,
        send: Sender,
        max_attempts: int,
        window_s: float,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.queue = queue
        self.secrets = secrets
        self.render = render
        self.send = send
        self.max_attempts = max_attempts
        self.window_s = window_s
        self.clock = clock
        self.rng = rng

    def handle(self, message: WebhookMessage) -> Decision | None:
        """Try one delivery. Returns the decision taken, or None when there was nothing to deliver.
        Raises only for failures of our own dependencies (the SQS message is then retried)."""
        record = message.snapshot()
        if record is None or record.state in TERMINAL_STATES:
            current = self.store.get(message.job_id)
            if current is None:
                logger.warning("webhook for a job that no longer exists", extra={"job_id": message.job_id})
                return None
            if current.webhook_id == message.webhook_id and current.webhook_status == "delivered":
                logger.info("webhook already delivered", extra={"webhook_id": message.webhook_id})
                return None
            record = record or current
        if not record.webhook_url:
            return None
        now = self.clock()
        first_try_at = message.first_try_at or now
        secret = self.secrets.secret_for(record.key_id)
        if secret is None:
            attempt = Attempt(
                error="the job's API key no longer exists (no signing secret)", retryable_error=False
            )
        else:
            body = encode(self.render(record, message))
            headers = signed_headers(secret, message.webhook_id, body)
            attempt = self.send(record.webhook_url, body.encode("utf-8"), headers)
        decision = decide(
            attempt,
            delivery=message.delivery,
            first_try_at=first_try_at,
            now=now,
            max_attempts=self.max_attempts,
            window_s=self.window_s,
            rng=self.rng,
        )
        self._act(message, decision, first_try_at)
        return decision

    def _act(self, message: WebhookMessage, decision: Decision, first_try_at: float) -> None:
        log = {"job_id": message.job_id, "webhook_id": message.webhook_id, "delivery": message.delivery}
        if decision.verdict is Verdict.DELIVERED:
            logger.info("webhook delivered", extra=log)
            if message.event != "progress":
                self._record(message, "delivered", None)
            return
        if decision.verdict is Verdict.RETRY:
            retry = message.model_copy(
                update={
                    "delivery": message.delivery + 1,
                    "first_try_at": first_try_at,
                    "last_error": decision.error,
                }
            )
            self.queue.send(retry.model_dump(mode="json"), delay_s=decision.delay_s)
            logger.info(
                "webhook retry scheduled", extra={**log, "delay_s": decision.delay_s, "error": decision.error}
            )
            if message.event != "progress":
                self._record(message, "pending", decision.error)
            return
        failed = message.model_copy(update={"first_try_at": first_try_at, "last_error": decision.error})
        self.queue.dead_letter(failed.model_dump(mode="json"))
        logger.warning("webhook failed, dead-lettered", extra={**log, "error": decision.error})
        self._record(message, "failed", decision.error)

    def _record(self, message: WebhookMessage, status: str, error: str | None) -> None:
        self.store.update(
            message.job_id,
            {"webhook_status": status, "webhook_error": error, "webhook_id": message.webhook_id},
        )
