"""Lambda event records as AWS builds them, for tests that call handlers or validate records (no tests
here)."""

from __future__ import annotations

import json
import time
from typing import Any

REGION = "us-east-1"


def sqs_record(queue_arn: str, message: dict[str, Any]) -> dict[str, Any]:
    """One SQS event record, as Lambda builds it from a received message (`MessageId`, `ReceiptHandle`,
    `Body`)."""
    now_ms = str(int(time.time() * 1000))
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now_ms,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": now_ms,
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def sqs_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS event of these received messages."""
    return {"Records": [sqs_record(queue_arn, m) for m in messages]}


def sns_envelope(message: dict | str, topic_arn: str = f"arn:aws:sns:{REGION}:123456789012:sdapi") -> str:
    """An SQS message body as SNS delivers it without raw delivery: the published message in its envelope."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": topic_arn,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": "2026-11-21T20:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertURL": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0000.pem",
            "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe",
        }
    )
