"""The retry policy: what one delivery attempt's outcome leads to."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from sdapi.webhooks.policy import HOP_CAP_S, Attempt, Verdict, backoff_s, classify, decide, retry_after_s

NOW = 1_800_000_000.0


def after(
    attempt: Attempt, delivery: int = 1, first_try_at: float = NOW, max_attempts: int = 8, window_s=3600
):
    return decide(
        attempt,
        delivery=delivery,
        first_try_at=first_try_at,
        now=NOW,
        max_attempts=max_attempts,
        window_s=window_s,
        rng=random.Random(7),
    )


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_given_a_2xx_answer_then_the_webhook_is_delivered(status):
    assert classify(Attempt(status=status)) is Verdict.DELIVERED


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_given_a_transient_answer_then_it_is_retried(status):
    decision = after(Attempt(status=status))
    assert decision.verdict is Verdict.RETRY
    assert 1 <= decision.delay_s <= HOP_CAP_S
    assert decision.error == f"HTTP {status}"


def test_given_a_connection_error_or_timeout_then_it_is_retried():
    assert after(Attempt(error="timed out after 10 s")).verdict is Verdict.RETRY
    assert after(Attempt(error="connection refused")).verdict is Verdict.RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_given_another_4xx_then_it_fails_at_once(status):
    decision = after(Attempt(status=status))
    assert decision.verdict is Verdict.FAIL
    assert decision.error == f"HTTP {status}"


def test_given_410_then_retries_stop_and_the_error_says_why():
    decision = after(Attempt(status=410))
    assert decision.verdict is Verdict.FAIL
    assert "410" in decision.error
    assert "no more retries" in decision.error


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_given_a_redirect_then_it_is_not_followed_and_fails(status):
    decision = after(Attempt(status=status))
    assert decision.verdict is Verdict.FAIL
    assert "redirects are not followed" in decision.error


def test_given_a_url_the_guard_refuses_then_it_fails_without_retry():
    decision = after(Attempt(error="webhook: address 10.0.0.1 is private", retryable_error=False))
    assert decision.verdict is Verdict.FAIL
    assert "private" in decision.error


def test_when_the_last_attempt_fails_then_it_gives_up():
    decision = after(Attempt(status=500), delivery=8, max_attempts=8)
    assert decision.verdict is Verdict.FAIL
    assert "gave up after 8 attempts" in decision.error


def test_when_the_next_try_would_leave_the_window_then_it_gives_up():
    decision = after(Attempt(status=503), delivery=2, first_try_at=NOW - 3590, window_s=3600)
    assert decision.verdict is Verdict.FAIL
    assert "window" in decision.error


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    rng = random.Random(1)
    for n in range(1, 12):
        ceiling = min(HOP_CAP_S, 10 * 3 ** (n - 1))
        for _ in range(20):
            assert ceiling / 2 <= backoff_s(n, rng) <= ceiling
    draws = {round(backoff_s(3, rng), 3) for _ in range(20)}
    assert len(draws) > 1, "jitter spreads retries"


def test_retry_after_in_seconds_is_honoured():
    decision = after(Attempt(status=429, retry_after="120"))
    assert decision.verdict is Verdict.RETRY
    assert decision.delay_s == 120


def test_retry_after_as_http_date_is_honoured():
    assert retry_after_s(formatdate(NOW + 60, usegmt=True), NOW) == pytest.approx(60)
    assert retry_after_s("Thu, 01 Jan 1970 00:00:00 GMT", NOW) == 0.0


def test_retry_after_longer_than_a_hop_is_capped_at_the_sqs_limit():
    decision = after(Attempt(status=503, retry_after="7200"), window_s=86400)
    assert decision.delay_s == HOP_CAP_S


def test_an_unparseable_retry_after_falls_back_to_backoff():
    decision = after(Attempt(status=503, retry_after="soon"))
    assert decision.verdict is Verdict.RETRY
    assert 5 <= decision.delay_s <= 10
