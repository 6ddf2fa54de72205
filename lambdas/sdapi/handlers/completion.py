"""completion Lambda: SQS (SageMaker success/error notifications via SNS) → job terminal states.

Partial batch failures (`ReportBatchItemFailures`): a message whose handling hit an AWS error is retried
(then dead-lettered); the rest of the batch is acknowledged.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.config import Settings
from sdapi.service.completion import CompletionService

logger = Logger(service="sdapi-completion")
tracer = Tracer(service="sdapi-completion")
processor = BatchProcessor(event_type=EventType.SQS)
settings = Settings.from_env()
service = CompletionService(JobsTable(settings.jobs_table), Bucket(settings.bucket))


def record_handler(record: SQSRecord) -> None:
    outcome = service.handle_body(record.body)
    logger.info("notification handled", extra={"outcome": outcome.value, "message_id": record.message_id})


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
