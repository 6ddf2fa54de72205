"""The event records the batch processors validate: what reaches the completion and webhook services."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from sdapi.event_records import AsyncNotification, CompletionRecord, WebhookRecord
from sdapi.webhooks.message import WebhookMessage
from tests.lambda_events import sns_envelope, sqs_record

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sdapi-completion"
RESULT = {"invocationStatus": "Completed", "inferenceId": "job-1", "responseParameters": {}}


def record(body: str) -> CompletionRecord:
    message = {"MessageId": "m", "ReceiptHandle": "r", "Body": body}
    return CompletionRecord.model_validate(sqs_record(QUEUE_ARN, message))


def test_a_notification_in_snss_envelope_is_read():
    notification = record(sns_envelope(RESULT)).notification

    assert isinstance(notification, AsyncNotification)
    assert notification.inference_id == "job-1"


def test_a_raw_delivery_notification_is_read():
    notification = record(json.dumps(RESULT)).notification

    assert notification is not None
    assert notification.is_result


@pytest.mark.parametrize(
    "body",
    [
        sns_envelope("This is a test notification from Amazon SageMaker."),
        "This is a test notification from Amazon SageMaker.",
        json.dumps([1, 2]),
        sns_envelope({"invocationStatus": 5}),
    ],
    ids=["text-in-envelope", "text", "json-list", "unreadable-in-envelope"],
)
def test_a_message_that_is_no_notification_carries_none(body):
    assert record(body).notification is None


def test_a_webhook_record_carries_its_message():
    message = WebhookMessage(webhook_id="j.completed.0", job_id="j", event="completed", occurred_at=1.0)
    raw = {"MessageId": "m", "ReceiptHandle": "r", "Body": message.model_dump_json()}

    assert WebhookRecord.model_validate(sqs_record(QUEUE_ARN, raw)).body == message


def test_a_webhook_record_that_is_no_message_is_refused():
    raw = {"MessageId": "m", "ReceiptHandle": "r", "Body": "{}"}

    with pytest.raises(ValidationError):
        WebhookRecord.model_validate(sqs_record(QUEUE_ARN, raw))
