"""The local stack's cheap moto transactions (`local.moto_transactions`, installed by the `aws` fixture and
`make local`) keep DynamoDB's all-or-nothing semantics: a cancelled transaction leaves no item, no changed
attribute and no stream record behind."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ddb(aws):
    return boto3.client("dynamodb", region_name="us-east-1")


def put(table: str, key: str, **attributes: str) -> dict:
    item = {"id": {"S": key}, **{k: {"S": v} for k, v in attributes.items()}}
    return {"Put": {"TableName": table, "Item": item}}


def must_not_exist(table: str, key: str) -> dict:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": {"id": {"S": key}},
            "ConditionExpression": "attribute_not_exists(id)",
        }
    }


def stream_keys(aws) -> list[str]:
    """The job ids of every record on the jobs table's stream, oldest first."""
    streams = boto3.client(  # moto's in-process mock matches the streams endpoint only with a trailing slash
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com/",
    )
    arn = aws.jobs_stream_arn
    keys: list[str] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            keys += [r["dynamodb"]["Keys"]["id"]["S"] for r in answer["Records"]]
            iterator = answer.get("NextShardIterator") if answer["Records"] else None
    return keys


def test_a_committed_transaction_writes_every_item(ddb, aws):
    ddb.transact_write_items(TransactItems=[put(aws.jobs_table, "a"), put(aws.jobs_table, "b")])

    assert "Item" in ddb.get_item(TableName=aws.jobs_table, Key={"id": {"S": "b"}})
    assert stream_keys(aws)[-2:] == ["a", "b"]


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(ddb, aws):
    ddb.put_item(TableName=aws.jobs_table, Item={"id": {"S": "taken"}})
    before = stream_keys(aws)

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[put(aws.jobs_table, "new"), must_not_exist(aws.jobs_table, "taken")]
        )

    assert "Item" not in ddb.get_item(TableName=aws.jobs_table, Key={"id": {"S": "new"}})
    assert stream_keys(aws) == before


def test_a_cancelled_transaction_keeps_the_old_attributes_of_an_item_it_changed(ddb, aws):
    ddb.put_item(TableName=aws.jobs_table, Item={"id": {"S": "job"}, "state": {"S": "QUEUED"}})
    ddb.put_item(TableName=aws.jobs_table, Item={"id": {"S": "taken"}})
    change = {
        "Update": {
            "TableName": aws.jobs_table,
            "Key": {"id": {"S": "job"}},
            "UpdateExpression": "SET #s = :s",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":s": {"S": "CANCELLED"}},
        }
    }

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(TransactItems=[change, must_not_exist(aws.jobs_table, "taken")])

    item = ddb.get_item(TableName=aws.jobs_table, Key={"id": {"S": "job"}})["Item"]
    assert item["state"] == {"S": "QUEUED"}


def test_items_the_transaction_does_not_name_are_kept_after_a_rollback(ddb, aws):
    ddb.put_item(TableName=aws.jobs_table, Item={"id": {"S": "bystander"}, "v": {"S": "1"}})
    ddb.put_item(TableName=aws.jobs_table, Item={"id": {"S": "taken"}})

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[put(aws.jobs_table, "x"), must_not_exist(aws.jobs_table, "taken")]
        )

    assert ddb.get_item(TableName=aws.jobs_table, Key={"id": {"S": "bystander"}})["Item"]["v"] == {"S": "1"}
