"""The long-wait URL's per-key rate: `burst` requests per window of `burst / rate` seconds."""

from __future__ import annotations

import pytest

from sdapi.errors import TooManyRequests
from sdapi.throttle import KeyRate, KeyThrottle


class Counters:
    def __init__(self):
        self.hits: dict[str, int] = {}
        self.expiries: dict[str, int] = {}

    def hit(self, counter: str, limit: int, expires_at: int) -> bool:
        if self.hits.get(counter, 0) >= limit:
            return False
        self.hits[counter] = self.hits.get(counter, 0) + 1
        self.expiries[counter] = expires_at
        return True


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


RATE = KeyRate(rate_per_s=20.0, burst=40)


def test_the_window_is_burst_over_rate():
    assert RATE.window_s == 2.0


def test_a_burst_passes_at_once():
    throttle = KeyThrottle(Counters(), RATE, Clock())

    for _ in range(40):
        throttle.admit("key_a")


def test_one_past_the_burst_is_refused():
    throttle = KeyThrottle(Counters(), RATE, Clock())
    for _ in range(40):
        throttle.admit("key_a")

    with pytest.raises(TooManyRequests):
        throttle.admit("key_a")


def test_the_refusal_says_when_to_retry():
    clock = Clock(1000.5)
    throttle = KeyThrottle(Counters(), RATE, clock)
    for _ in range(40):
        throttle.admit("key_a")

    with pytest.raises(TooManyRequests, match="retry in 2 s"):
        throttle.admit("key_a")


def test_the_next_window_admits_again():
    clock = Clock()
    throttle = KeyThrottle(Counters(), RATE, clock)
    for _ in range(40):
        throttle.admit("key_a")
    clock.now += RATE.window_s

    throttle.admit("key_a")


def test_keys_are_counted_apart():
    throttle = KeyThrottle(Counters(), RATE, Clock())
    for _ in range(40):
        throttle.admit("key_a")

    throttle.admit("key_b")


def test_a_counter_expires_after_its_window():
    counters = Counters()
    KeyThrottle(counters, RATE, Clock(1000.5)).admit("key_a")

    assert counters.expiries == {"key_a#500": 1002 + 60}
