"""Standard Webhooks signatures, checked with the reference verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sdapi.auth import new_webhook_secret
from sdapi.webhooks.signing import signed_headers

BODY = '{"id":"123","status":"COMPLETED"}'


def test_given_a_key_secret_when_signed_then_the_reference_verifier_accepts_the_body():
    secret = new_webhook_secret()
    headers = signed_headers(secret, "123.completed.0", BODY)
    assert Webhook(secret).verify(BODY, headers) == {"id": "123", "status": "COMPLETED"}
    assert headers["webhook-id"] == "123.completed.0"
    assert headers["webhook-signature"].startswith("v1,")


def test_given_another_secret_then_verification_fails():
    headers = signed_headers(new_webhook_secret(), "123.completed.0", BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(BODY, headers)


def test_given_a_tampered_body_then_verification_fails():
    secret = new_webhook_secret()
    headers = signed_headers(secret, "123.completed.0", BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("COMPLETED", "FAILED"), headers)


def test_a_signature_older_than_five_minutes_is_rejected_by_receivers():
    secret = new_webhook_secret()
    headers = signed_headers(secret, "1.completed.0", BODY, now=datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_the_signature_is_hmac_sha256_over_id_timestamp_body():
    raw = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(raw).decode()
    moment = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    headers = signed_headers(secret, "m1", BODY, now=moment)
    expected = hmac.new(raw, f"m1.{int(moment.timestamp())}.{BODY}".encode(), hashlib.sha256).digest()
    assert headers["webhook-timestamp"] == str(int(moment.timestamp()))
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
