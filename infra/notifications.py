"""Messaging: SageMaker's success/error topics → completion queue → completion Lambda; the jobs-table
stream → events Lambda → public events topic + webhook queue → webhook Lambda; the minute sweeper."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sdapi.schema import items as I

SNS_MANAGED_KEY = "alias/aws/sns"
EVENT_FILTER = {"dynamodb": {"NewImage": {I.STATE: {"S": [{"exists": True}]}}}}
"""Only job items reach the events Lambda: they are the only items with a `state` string; counter items
(`_counters#…`, numbers only) and idempotency items have none, so they cost no invocation. Only the `exists`
operator of Lambda's documented filter syntax is used (`anything-but` with `prefix` is EventBridge-only)."""


def secure_queue(
    scope: Construct,
    construct_id: str,
    *,
    visibility: Duration,
    dlq: sqs.IQueue | None = None,
    max_receive_count: int = 5,
) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=visibility,
        retention_period=Duration.days(14) if dlq is None else Duration.days(4),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=max_receive_count)
        if dlq
        else None,
    )


def acknowledge_dlq(queue: sqs.Queue, what: str) -> None:
    """cdk-nag recognises queues named in a RedrivePolicy; an event-source DLQ has to be acknowledged."""
    Validations.of(queue).acknowledge(
        Acknowledgment(id="AwsSolutions-SQS3", reason=f"This queue is the dead-letter queue of {what}.")
    )


class Topics(Construct):
    """SageMaker's success and error topics and the public job-events topic (SSE with the SNS-managed key:
    publishers are roles of this account, which that key serves)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        key = kms.Alias.from_alias_name(self, "SnsKey", SNS_MANAGED_KEY)
        self.success = sns.Topic(
            self,
            "Success",
            master_key=key,
            enforce_ssl=True,
            display_name="SageMaker async success notifications",
        )
        self.error = sns.Topic(
            self,
            "Error",
            master_key=key,
            enforce_ssl=True,
            display_name="SageMaker async error notifications",
        )
        self.events = sns.Topic(
            self,
            "Events",
            master_key=key,
            enforce_ssl=True,
            display_name="sdapi job events (attributes: type, owner)",
        )


class Completion(Construct):
    """Success + error topics → queue (+DLQ) → completion Lambda (partial batch failures)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topics: Topics, function: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        self.dlq = secure_queue(self, "DeadLetters", visibility=Duration.minutes(5))
        self.queue = secure_queue(self, "Queue", visibility=Duration.minutes(6), dlq=self.dlq)
        for topic in (topics.success, topics.error):
            topic.add_subscription(subscriptions.SqsSubscription(self.queue, raw_message_delivery=False))
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                report_batch_item_failures=True,
                max_batching_window=Duration.seconds(0),
            )
        )


class JobEvents(Construct):
    """Jobs-table stream (job items only) → events Lambda; failed batches go to a DLQ."""

    def __init__(self, scope: Construct, construct_id: str, *, table, function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        self.dlq = secure_queue(self, "DeadLetters", visibility=Duration.minutes(5))
        acknowledge_dlq(self.dlq, "the jobs-table stream mapping (records that failed every retry)")
        function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                max_batching_window=Duration.seconds(0),
                bisect_batch_on_error=True,
                retry_attempts=10,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.dlq),
                filters=[lambda_.FilterCriteria.filter(EVENT_FILTER)],
            )
        )


class Webhooks(Construct):
    """Webhook queue (+DLQ) → webhook Lambda (it re-sends with a delay for backoff; DLQ after that)."""

    def __init__(self, scope: Construct, construct_id: str, *, visibility: Duration) -> None:
        super().__init__(scope, construct_id)
        self.dlq = secure_queue(self, "DeadLetters", visibility=Duration.minutes(5))
        self.queue = secure_queue(self, "Queue", visibility=visibility, dlq=self.dlq, max_receive_count=3)

    def connect(self, function: lambda_.Function) -> None:
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                report_batch_item_failures=True,
                max_batching_window=Duration.seconds(0),
            )
        )


class Sweeper(Construct):
    """An EventBridge rule that runs the sweeper every minute."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "EveryMinute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[targets.LambdaFunction(function, retry_attempts=0)],
            description="sdapi sweeper: overdue jobs become TIMED_OUT; counters are reconciled",
        )
