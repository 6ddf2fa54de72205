"""`EventPublisher` on SNS: one job event per message, with string message attributes for filter policies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sdapi.aws.clients import client


class EventsTopic:
    """The public events topic (`Settings.events_topic_arn`)."""

    def __init__(self, topic_arn: str):
        self.topic_arn = topic_arn

    def publish(self, event: Mapping[str, Any], attributes: Mapping[str, str]) -> None:
        client("sns").publish(
            TopicArn=self.topic_arn,
            Message=json.dumps(event, separators=(",", ":"), default=str),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": str(value)}
                for name, value in attributes.items()
                if value not in (None, "")
            },
        )
