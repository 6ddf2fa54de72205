"""events Lambda: the jobs table's DynamoDB stream → job events on the events topic + webhook messages.

Partial batch failures (Powertools `BatchProcessor`, `ReportBatchItemFailures` on the event source): a
record that fails is retried from its sequence number; the records before it are not repeated.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from sdapi.aws.events_topic import EventsTopic
from sdapi.aws.webhook_queue import WebhookQueue
from sdapi.config import Settings
from sdapi.service.events import EventRouter

logger = Logger(service="sdapi-events")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def router() -> EventRouter:
    settings = Settings.from_env()
    return EventRouter(
        EventsTopic(settings.events_topic_arn) if settings.events_topic_arn else None,
        WebhookQueue(settings.webhook_queue_url) if settings.webhook_queue_url else None,
        settings.bucket,
    )


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return
    router().handle(change.old_image or None, change.new_image or None)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
