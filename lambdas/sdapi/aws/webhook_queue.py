"""`WebhookQueue` on SQS: the webhook queue, delayed re-sends for retries, and its dead-letter queue.

The dead-letter queue is the one named in the webhook queue's own `RedrivePolicy` (set by the
infrastructure), looked up once per process, so a webhook that exhausted its retries is moved there
explicitly and a crash of the webhook Lambda still reaches it through the redrive policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sdapi.aws.clients import client

MAX_DELAY_S = 900


class WebhookQueue:
    def __init__(self, queue_url: str):
        self.queue_url = queue_url
        self._dlq_url: str | None = None

    def send(self, message: Mapping[str, Any], delay_s: int = 0) -> None:
        client("sqs").send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(message, separators=(",", ":"), default=str),
            DelaySeconds=max(0, min(MAX_DELAY_S, int(delay_s))),
        )

    def dead_letter(self, message: Mapping[str, Any]) -> None:
        """Put a message that will not be retried on the dead-letter queue."""
        client("sqs").send_message(
            QueueUrl=self.dead_letter_url(),
            MessageBody=json.dumps(message, separators=(",", ":"), default=str),
        )

    def dead_letter_url(self) -> str:
        if self._dlq_url is None:
            sqs = client("sqs")
            attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"])
            policy = attributes.get("Attributes", {}).get("RedrivePolicy")
            if not policy:
                raise RuntimeError(f"webhook queue {self.queue_url} has no RedrivePolicy (no DLQ)")
            arn = json.loads(policy)["deadLetterTargetArn"]
            _, _, _, _, account, name = arn.split(":", 5)
            self._dlq_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return self._dlq_url
