"""events Lambda: the jobs table's DynamoDB stream → job events on the events topic + webhook messages.

Each record is validated into Powertools' `DynamoDBStreamRecordModel` (images deserialized) by the batch
processor. Partial batch failures (`ReportBatchItemFailures` on the event source): a record that fails is
retried from its sequence number; the records before it are not repeated.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from sdapi.aws.bucket import Bucket
from sdapi.aws.events_topic import EventsTopic
from sdapi.aws.webhook_queue import WebhookQueue
from sdapi.config import Settings
from sdapi.event_records import DynamoDBStreamRecordModel
from sdapi.handlers.wiring import Wiring
from sdapi.service.events import EventRouter

logger = Logger(service="sdapi-events")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=DynamoDBStreamRecordModel)


def build(settings: Settings) -> EventRouter:
    return EventRouter(
        EventsTopic(settings.events_topic_arn) if settings.events_topic_arn else None,
        WebhookQueue(settings.webhook_queue_url) if settings.webhook_queue_url else None,
        settings.bucket,
        Bucket(settings.bucket) if settings.bucket else None,
    )


wiring = Wiring(build)


def record_handler(record: DynamoDBStreamRecordModel) -> None:
    wiring().handle_change(record.dynamodb)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
