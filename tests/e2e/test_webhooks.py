"""Signed webhooks reach a receiver on 127.0.0.1 (loopback URLs are allowed in local mode only)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

pytestmark = pytest.mark.e2e


def test_native_job_webhook_is_delivered_and_signed_with_the_keys_secret(stack, httpserver: HTTPServer):
    from standardwebhooks import Webhook

    # given a receiver that records what it gets
    received: list[tuple[bytes, dict[str, str]]] = []
    arrived = threading.Event()

    def receive(request: Request) -> Response:
        received.append((request.get_data(), {k.lower(): v for k, v in request.headers.items()}))
        arrived.set()
        return Response("ok", status=200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)

    # when a job subscribes to its terminal events
    answer = stack.post(
        "/v1/jobs",
        {"prompt": "a webhook test", "steps": 3, "webhook": {"url": httpserver.url_for("/hook")}},
    )
    assert answer.status_code in (200, 201, 202), answer.text
    job_id = answer.json()["id"]

    # then the completion is POSTed once, signed per Standard Webhooks with the dev key's secret
    assert arrived.wait(420), f"no webhook arrived\n{stack.log_tail()}"
    body, headers = received[0]
    payload = Webhook(stack.webhook_secret).verify(body, headers)
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    text = json.dumps(payload)
    assert job_id in text
    assert "completed" in text.lower()
