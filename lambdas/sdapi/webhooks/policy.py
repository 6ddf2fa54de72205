"""What to do after one delivery attempt: delivered, retry later (and when), or give up.

Retry schedule (SQS `DelaySeconds` between tries, so at most 900 s a hop): the n-th retry waits
`min(900, 10 · 3^(n-1))` seconds with equal jitter (a uniform draw from the upper half), i.e. about
5-10 s, 15-30 s, 45-90 s, 135-270 s, 405-810 s, then 450-900 s per hop; a `Retry-After` header (seconds or
HTTP date) is honoured up to the 900 s cap. Retries stop after `webhook_max_attempts` tries or when the next
try would fall outside `webhook_window_s` from the first one, whichever comes first.

Connection errors, timeouts, 408, 429 and 5xx are retried; 2xx is delivered; 410 stops (the receiver
unsubscribed); 3xx (redirects are never followed) and other 4xx fail at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum

BASE_DELAY_S = 10.0
FACTOR = 3.0
HOP_CAP_S = 900
"""SQS's largest DelaySeconds."""


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAIL = "fail"


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST: an HTTP status (with its Retry-After) or a transport error."""

    status: int | None = None
    retry_after: str | None = None
    error: str | None = None
    retryable_error: bool = True
    """False for errors no retry can fix (the URL was refused by the SSRF guard)."""

    def describe(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}"
        return self.error or "unknown error"


def classify(attempt: Attempt) -> Verdict:
    if attempt.status is None:
        return Verdict.RETRY if attempt.retryable_error else Verdict.FAIL
    if 200 <= attempt.status < 300:
        return Verdict.DELIVERED
    if attempt.status in (408, 429) or attempt.status >= 500:
        return Verdict.RETRY
    return Verdict.FAIL


def explain(attempt: Attempt) -> str:
    """The error recorded on the job (`webhook_error`) for a failed attempt."""
    if attempt.status is None:
        return attempt.error or "delivery failed"
    if 300 <= attempt.status < 400:
        return f"HTTP {attempt.status}: redirects are not followed"
    if attempt.status == 410:
        return "HTTP 410: the receiver is gone; no more retries"
    return f"HTTP {attempt.status}"


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def backoff_s(retry_number: int, rng: random.Random | None = None) -> float:
    """Jittered delay before retry `retry_number` (1 = the first retry)."""
    ceiling = min(HOP_CAP_S, BASE_DELAY_S * FACTOR ** (retry_number - 1))
    draw = (rng or random).uniform(0.5, 1.0)
    return ceiling * draw


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    delay_s: int = 0
    """For RETRY: seconds before the next try (0..900)."""
    error: str | None = None


def decide(
    attempt: Attempt,
    *,
    delivery: int,
    first_try_at: float,
    now: float,
    max_attempts: int,
    window_s: float,
    rng: random.Random | None = None,
) -> Decision:
    """After try number `delivery`: delivered, retry after a delay, or fail for good."""
    verdict = classify(attempt)
    if verdict is Verdict.DELIVERED:
        return Decision(Verdict.DELIVERED)
    error = explain(attempt)
    if verdict is Verdict.FAIL:
        return Decision(Verdict.FAIL, error=error)
    if delivery >= max_attempts:
        return Decision(Verdict.FAIL, error=f"{error} (gave up after {delivery} attempts)")
    delay = backoff_s(delivery, rng)
    asked = retry_after_s(attempt.retry_after, now)
    if asked is not None:
        delay = max(delay, asked)
    delay_s = min(HOP_CAP_S, round(delay))
    if now + delay_s > first_try_at + window_s:
        return Decision(Verdict.FAIL, error=f"{error} (retry window of {int(window_s)} s exhausted)")
    return Decision(Verdict.RETRY, delay_s=delay_s, error=error)
