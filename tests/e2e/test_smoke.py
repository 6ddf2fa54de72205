"""`sdapi smoke` against the local stack: every dialect's check and the webhook round trip pass, and the
command prints the table and exits 0."""

from __future__ import annotations

import pytest

from local.stack import free_port
from sdapi.cli import smoke

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def checks(stack):
    runner = smoke.Smoke(stack.url, stack.key, timeout_s=420)
    return smoke.run_all(runner, webhook_listen=f"127.0.0.1:{free_port()}")


def test_every_check_passes_against_the_local_stack(checks):
    assert [(c.name, c.detail) for c in checks if not c.ok] == []


def test_one_check_per_dialect_and_the_webhook(checks):
    assert [c.name for c in checks] == [
        "models",
        "native",
        "runpod runsync",
        "a1111 txt2img",
        "v3 text2img",
        "tasks v1alpha2",
        "webhook",
    ]


def test_the_webhook_check_really_received_a_signed_delivery(checks):
    (webhook,) = [c for c in checks if c.name == "webhook"]
    assert "received, signed" in webhook.detail


@pytest.fixture(scope="module")
def synchronous_checks(stack):
    # given the stack's long-wait URL as --sync-url, when the synchronous checks run
    runner = smoke.Smoke(stack.url, stack.key, timeout_s=420, sync_url=stack.sync_url)
    return [
        runner.run("a1111 txt2img", runner.a1111),
        runner.run("runpod runsync", lambda: runner.runpod(runner.default_pool())),
    ]


def test_the_synchronous_checks_pass_with_a_sync_url(synchronous_checks):
    assert [(c.name, c.detail) for c in synchronous_checks if not c.ok] == []


def test_the_synchronous_checks_are_answered_on_the_long_wait_url(synchronous_checks):
    assert all(c.detail.endswith("(long-wait URL)") for c in synchronous_checks), synchronous_checks


def test_a_wrong_key_fails_every_dialect(stack):
    runner = smoke.Smoke(stack.url, "sd_wrong_key", timeout_s=10)
    results = smoke.run_all(runner, webhook_listen=None)
    assert [c.name for c in results if c.ok] == ["webhook"]  # only the skipped webhook check "passes"
