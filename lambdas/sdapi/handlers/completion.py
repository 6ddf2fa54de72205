"""completion Lambda: SQS (SageMaker success/error notifications via SNS) → job terminal states.

Each message is validated into a `CompletionRecord` by the batch processor. Partial batch failures
(`ReportBatchItemFailures`): a message whose handling hit an AWS error is retried (then dead-lettered); the
rest of the batch is acknowledged.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.config import Settings
from sdapi.event_records import CompletionRecord
from sdapi.handlers.wiring import Wiring
from sdapi.service.completion import CompletionService

logger = Logger(service="sdapi-completion")
tracer = Tracer(service="sdapi-completion")
processor = BatchProcessor(event_type=EventType.SQS, model=CompletionRecord)


def build(settings: Settings) -> CompletionService:
    return CompletionService(JobsTable(settings.jobs_table), Bucket(settings.bucket))


wiring = Wiring(build)


def record_handler(record: CompletionRecord) -> None:
    outcome = wiring().handle(record.notification)
    logger.info("notification handled", extra={"outcome": outcome.value, "message_id": record.messageId})


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
