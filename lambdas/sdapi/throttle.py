"""Per-key request rate for the long-wait function URL, the path API Gateway's throttling does not cover.

The REST path is throttled by API Gateway: the stage's rate and burst (`throttle_rate`, `throttle_burst`)
and, with `api_keys_required`, the usage plan's per-key rate. A function URL has neither, so the long-wait
function counts each key's requests itself, in fixed windows shared by all its execution environments (one
conditional DynamoDB update per request): a window of `burst / rate` seconds admits `burst` requests, so a
key's sustained rate is `rate` per second and a burst of `burst` passes at once (at a window's edge up to
twice that, the price of one write per request instead of a read-modify-write). Its reserved concurrency
bounds the function as a whole.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sdapi.errors import TooManyRequests

EXPIRY_MARGIN_S = 60
"""A window's counter outlives its window by this much before the table's TTL may remove it."""


class RateCounters(Protocol):
    def hit(self, counter: str, limit: int, expires_at: int) -> bool:
        """Count one request against `counter`; False (and nothing counted) when it already holds `limit`."""
        ...


@dataclass(frozen=True)
class KeyRate:
    """A key's allowance: `rate_per_s` sustained, `burst` at once."""

    rate_per_s: float
    burst: int

    @property
    def window_s(self) -> float:
        return self.burst / self.rate_per_s


class KeyThrottle:
    """Admits a key's request while its current window holds fewer than `burst` requests."""

    def __init__(self, counters: RateCounters, rate: KeyRate, clock: Callable[[], float] = time.time):
        self.counters = counters
        self.rate = rate
        self.clock = clock

    def admit(self, key_id: str) -> None:
        """Count the request, or raise TooManyRequests (429) naming when the key may send again."""
        now = self.clock()
        window = math.floor(now / self.rate.window_s)
        ends_at = (window + 1) * self.rate.window_s
        counter = f"{key_id}#{window}"
        if not self.counters.hit(counter, self.rate.burst, int(ends_at) + EXPIRY_MARGIN_S):
            retry_s = max(1, math.ceil(ends_at - now))
            raise TooManyRequests(
                f"this API key sent more than {self.rate.burst} requests in {self.rate.window_s:g} s "
                f"(its rate is {self.rate.rate_per_s:g}/s); retry in {retry_s} s"
            )
