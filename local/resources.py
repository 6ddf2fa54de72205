"""Every AWS resource of the design, created with boto3 against whatever endpoint the environment names
(`AWS_ENDPOINT_URL`: moto in tests and `make local`). Idempotent: existing resources are reused.

Jobs table (key `id`, GSI `by_deadline`, stream NEW_AND_OLD_IMAGES, TTL `expires_at`), keys table (key
`key_hash`, GSI `by_key_id`), rate table (key `counter`, TTL `expires_at`: the long-wait function's per-key
throttle), the bucket, SNS topics (inference success, inference error, job events), SQS
queues (completion + DLQ, subscribed to both inference topics; webhooks + DLQ).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sdapi.aws import clients
from sdapi.config import Settings
from sdapi.schema import items as I
from sdapi.schema.catalog import Catalog


@dataclass(frozen=True)
class ResourceNames:
    """Resource names derived from one prefix (the CDK stack names its own)."""

    prefix: str = "sdapi"

    @property
    def jobs_table(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def keys_table(self) -> str:
        return f"{self.prefix}-keys"

    @property
    def rate_table(self) -> str:
        return f"{self.prefix}-rate"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-data"

    @property
    def success_topic(self) -> str:
        return f"{self.prefix}-inference-success"

    @property
    def error_topic(self) -> str:
        return f"{self.prefix}-inference-error"

    @property
    def events_topic(self) -> str:
        return f"{self.prefix}-job-events"

    @property
    def completion_queue(self) -> str:
        return f"{self.prefix}-completion"

    @property
    def completion_dlq(self) -> str:
        return f"{self.prefix}-completion-dlq"

    @property
    def webhook_queue(self) -> str:
        return f"{self.prefix}-webhooks"

    @property
    def webhook_dlq(self) -> str:
        return f"{self.prefix}-webhooks-dlq"


@dataclass(frozen=True)
class LocalResources:
    """What `create_resources` made: names, ARNs and URLs, and the Lambda `settings` that use them."""

    jobs_table: str
    jobs_stream_arn: str
    keys_table: str
    rate_table: str
    bucket: str
    success_topic_arn: str
    error_topic_arn: str
    events_topic_arn: str
    completion_queue_url: str
    completion_dlq_url: str
    webhook_queue_url: str
    webhook_dlq_url: str
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        return self.settings.to_env()


def create_resources(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    names: ResourceNames | None = None,
    region: str | None = None,
    session: Any = None,
) -> LocalResources:
    """Create (or reuse) every resource. Table and bucket names come from `settings` when given, else from
    `names` (prefix "sdapi"); the returned `settings` carry the names, topic ARN and queue URL, and
    `catalog` (or the one in `settings`)."""
    names = names or ResourceNames()
    session = session or clients.session(region)
    jobs_table = settings.jobs_table if settings else names.jobs_table
    keys_table = settings.keys_table if settings else names.keys_table
    bucket = settings.bucket if settings else names.bucket
    ddb = session.client("dynamodb")
    stream_arn = _jobs_table(ddb, jobs_table)
    _keys_table(ddb, keys_table)
    _rate_table(ddb, names.rate_table)
    _bucket(session.client("s3"), bucket, session.region_name or "us-east-1")
    sns = session.client("sns")
    sqs = session.client("sqs")
    success = sns.create_topic(Name=names.success_topic)["TopicArn"]
    error = sns.create_topic(Name=names.error_topic)["TopicArn"]
    events = sns.create_topic(Name=names.events_topic)["TopicArn"]
    completion_dlq, completion_dlq_arn = _queue(sqs, names.completion_dlq)
    completion, completion_arn = _queue(
        sqs, names.completion_queue, dlq_arn=completion_dlq_arn, visibility=60
    )
    webhook_dlq, webhook_dlq_arn = _queue(sqs, names.webhook_dlq)
    webhooks, _ = _queue(sqs, names.webhook_queue, dlq_arn=webhook_dlq_arn, visibility=60)
    for topic in (success, error):
        _subscribe(sns, topic, completion_arn)
    _allow_topics(sqs, completion, completion_arn, [success, error])
    base = settings or Settings(
        jobs_table=jobs_table, keys_table=keys_table, bucket=bucket, catalog=_require(catalog)
    )
    updates: dict[str, Any] = {"events_topic_arn": events, "webhook_queue_url": webhooks}
    if catalog is not None:
        updates["catalog"] = catalog
    return LocalResources(
        jobs_table=jobs_table,
        jobs_stream_arn=stream_arn,
        keys_table=keys_table,
        rate_table=names.rate_table,
        bucket=bucket,
        success_topic_arn=success,
        error_topic_arn=error,
        events_topic_arn=events,
        completion_queue_url=completion,
        completion_dlq_url=completion_dlq,
        webhook_queue_url=webhooks,
        webhook_dlq_url=webhook_dlq,
        settings=base.model_copy(update=updates),
    )


def _require(catalog: Catalog | None) -> Catalog:
    if catalog is None:
        raise ValueError("create_resources needs `settings` or `catalog`")
    return catalog


def _jobs_table(ddb: Any, name: str) -> str:
    try:
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": I.JOBS_TABLE_KEY, "AttributeType": "S"},
                {"AttributeName": I.ACTIVE_POOL, "AttributeType": "S"},
                {"AttributeName": I.DEADLINE_AT, "AttributeType": "N"},
            ],
            KeySchema=[{"AttributeName": I.JOBS_TABLE_KEY, "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": I.DEADLINE_INDEX,
                    "KeySchema": [
                        {"AttributeName": I.ACTIVE_POOL, "KeyType": "HASH"},
                        {"AttributeName": I.DEADLINE_AT, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        _expire_items(ddb, name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    return ddb.describe_table(TableName=name)["Table"].get("LatestStreamArn", "")


def _expire_items(ddb: Any, name: str) -> None:
    """Once the new table exists: TTL on `expires_at`."""
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": I.EXPIRES_AT}
    )


def _keys_table(ddb: Any, name: str) -> None:
    try:
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": I.KEYS_TABLE_KEY, "AttributeType": "S"},
                {"AttributeName": "key_id", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": I.KEYS_TABLE_KEY, "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": I.KEY_ID_INDEX,
                    "KeySchema": [{"AttributeName": "key_id", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise


def _rate_table(ddb: Any, name: str) -> None:
    try:
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": I.RATE_TABLE_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": I.RATE_TABLE_KEY, "KeyType": "HASH"}],
        )
        _expire_items(ddb, name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise


def _bucket(s3: Any, name: str, region: str) -> None:
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _queue(sqs: Any, name: str, dlq_arn: str | None = None, visibility: int = 30) -> tuple[str, str]:
    attributes = {"VisibilityTimeout": str(visibility)}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _allow_topics(sqs: Any, queue_url: str, queue_arn: str, topic_arns: list[str]) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})


def _subscribe(sns: Any, topic_arn: str, queue_arn: str) -> None:
    existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])
    if any(s.get("Endpoint") == queue_arn for s in existing):
        return
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
