"""webhooks Lambda: SQS batch of webhook messages → one signed delivery attempt each.

A retry is a re-send of the message with `delivery + 1` and `DelaySeconds`; the last failure goes to the
dead-letter queue explicitly (and the job records `webhook_status=failed`). A message whose processing
raises (our own dependency failed) is reported as a batch item failure, retried by SQS, and reaches the
dead-letter queue through the queue's redrive policy if it keeps failing; so does a message that the batch
processor cannot validate into a `WebhookRecord`.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.aws.keys_table import KeysTable
from sdapi.aws.webhook_queue import WebhookQueue
from sdapi.config import Settings
from sdapi.event_records import WebhookRecord
from sdapi.handlers.wiring import Wiring
from sdapi.webhooks.bodies import WebhookBodies
from sdapi.webhooks.dispatcher import Dispatcher, KeySecrets
from sdapi.webhooks.transport import GuardedSender

logger = Logger(service="sdapi-webhooks")
processor = BatchProcessor(event_type=EventType.SQS, model=WebhookRecord)


def build(settings: Settings) -> Dispatcher:
    if not settings.webhook_queue_url:
        raise RuntimeError(f"{Settings.variable('webhook_queue_url')} is not set")
    return Dispatcher(
        store=JobsTable(settings.jobs_table),
        queue=WebhookQueue(settings.webhook_queue_url),
        secrets=KeySecrets(KeysTable(settings.keys_table).by_key_id),
        render=WebhookBodies(Bucket(settings.bucket), settings),
        send=GuardedSender(settings),
        max_attempts=settings.webhook_max_attempts,
        window_s=settings.webhook_window_s,
    )


wiring = Wiring(build)


def record_handler(record: WebhookRecord) -> None:
    wiring().handle(record.body)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
