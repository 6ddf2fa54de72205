"""local.resources: every resource of the design, created idempotently."""

from __future__ import annotations

import boto3

from local.resources import create_resources


def test_creating_twice_reuses_everything(aws, settings):
    again = create_resources(settings)

    assert again == aws
    table = boto3.client("dynamodb").describe_table(TableName=aws.jobs_table)["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_deadline"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=aws.jobs_table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    subscriptions = boto3.client("sns").list_subscriptions()["Subscriptions"]
    topics = sorted(s["TopicArn"] for s in subscriptions)
    assert topics == sorted([aws.success_topic_arn, aws.error_topic_arn])
    assert aws.settings.webhook_queue_url == aws.webhook_queue_url
    assert aws.settings.events_topic_arn == aws.events_topic_arn


def test_names_can_come_from_a_catalog_alone(aws_credentials, catalog):
    from moto import mock_aws

    with mock_aws():
        made = create_resources(catalog=catalog, region="us-east-1")
    assert (made.jobs_table, made.keys_table, made.bucket) == ("sdapi-jobs", "sdapi-keys", "sdapi-data")
    assert made.settings.catalog == catalog
