"""The stream and queue pollers hand handlers the Lambda event shapes and honour partial batch failures."""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from local.moto_server import MotoServer
from local.pollers import SqsPoller, StreamPoller

pytestmark = pytest.mark.e2e


@pytest.fixture
def moto(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    server = MotoServer()
    url = server.start()
    yield boto3.session.Session(region_name="us-east-1"), url
    server.stop()


def _collect(poller, received, count, timeout_s=10.0):
    poller.start()
    deadline = time.monotonic() + timeout_s
    try:
        while len(received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()


def test_stream_records_keep_flowing_after_a_cancelled_transaction(moto):
    # given a table with a stream and a poller on it
    session, url = moto
    ddb = session.client("dynamodb", endpoint_url=url)
    ddb.create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = ddb.describe_table(TableName="jobs")["Table"]["LatestStreamArn"]
    received: list[dict] = []
    lock = threading.Lock()

    def handler(event, _context):
        with lock:
            received.extend(event["Records"])
        return {"batchItemFailures": []}

    poller = StreamPoller(
        session.client("dynamodbstreams", endpoint_url=url), arn, handler, function_name="t"
    )

    # when a write, a transaction whose condition fails (moto then swaps in a copy of the table) and another
    # write happen
    ddb.put_item(TableName="jobs", Item={"id": {"S": "1"}, "state": {"S": "QUEUED"}, "b": {"B": b"\x00"}})
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "jobs",
                        "Key": {"id": {"S": "1"}},
                        "UpdateExpression": "SET #s = :s",
                        "ConditionExpression": "#s = :other",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "X"}, ":other": {"S": "NOPE"}},
                    }
                }
            ]
        )
    ddb.update_item(
        TableName="jobs",
        Key={"id": {"S": "1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "DONE"}},
    )
    _collect(poller, received, 2)

    # then both changes arrive as Lambda stream records (binary base64, epoch creation time)
    assert [r["eventName"] for r in received] == ["INSERT", "MODIFY"]
    modify = received[1]
    assert modify["eventSource"] == "aws:dynamodb"
    assert modify["eventSourceARN"] == arn
    assert modify["dynamodb"]["OldImage"]["state"] == {"S": "QUEUED"}
    assert modify["dynamodb"]["NewImage"]["state"] == {"S": "DONE"}
    assert modify["dynamodb"]["NewImage"]["b"] == {"B": "AA=="}
    assert isinstance(modify["dynamodb"]["ApproximateCreationDateTime"], float)


def test_sqs_batch_item_failures_are_redelivered_and_successes_deleted(moto):
    session, url = moto
    sqs = session.client("sqs", endpoint_url=url)
    queue = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    for body in ("ok", "fail-once"):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    seen: list[str] = []
    failed: set[str] = set()

    def handler(event, _context):
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            assert record["receiptHandle"]
            body = json.loads(record["body"])
            seen.append(body)
            if body == "fail-once" and body not in failed:
                failed.add(body)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    poller = SqsPoller(sqs, queue, handler, function_name="t")
    _collect(poller, seen, 3, timeout_s=15)

    assert sorted(seen) == ["fail-once", "fail-once", "ok"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
