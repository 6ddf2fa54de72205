"""Every job state change is published on the events topic with `type` / `owner` attributes, so an SNS → SQS
consumer with a filter policy sees exactly what it asked for."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.schema.job import JobState
from tests.integration.events_harness import Pipeline, manifest, notification, webhook_settings


@pytest.fixture
def settings(catalog):
    return webhook_settings(catalog)


def consumer(aws, filter_policy: dict | None = None) -> str:
    """An SQS queue subscribed to the events topic (raw delivery, optional filter policy)."""
    sqs, sns = boto3.client("sqs", region_name="us-east-1"), boto3.client("sns", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"consumer-{time.monotonic_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "true"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    sns.subscribe(TopicArn=aws.events_topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return url


def drain(url: str) -> list[dict]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    events = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not answer.get("Messages"):
            return events
        for message in answer["Messages"]:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run_job_to_completion(pipeline: Pipeline, service, make_job) -> str:
    record = service.submit(make_job())
    table = JobsTable(pipeline.resources.jobs_table)
    table.transition(
        record.id, JobState.IN_PROGRESS, expected=[JobState.QUEUED], updates={"started_at": time.time()}
    )
    table.update(record.id, {"progress_step": 10})
    table.update(record.id, {"progress_step": 20})
    pipeline.complete([notification(record.id, manifest=manifest(record.id, images=2))])
    assert pipeline.pump_stream() == {"batchItemFailures": []}
    return record.id


def test_every_state_change_is_published_in_order_with_a_summary(aws, pipeline, service, make_job):
    everything = consumer(aws)
    job_id = run_job_to_completion(pipeline, service, make_job)

    events = drain(everything)
    assert [e["type"] for e in events] == [
        "job.queued",
        "job.started",
        "job.progress",
        "job.progress",
        "job.completed",
    ]
    assert {e["id"] for e in events} == {job_id}
    assert {e["owner"] for e in events} == {"alice"}
    done = events[-1]
    assert done["state"] == "COMPLETED"
    assert done["dialect"] == "native"
    assert done["data"]["outputs"] == [f"outputs/{job_id}/0.png", f"outputs/{job_id}/1.png"]
    assert done["data"]["output_uris"][0] == f"s3://{aws.bucket}/outputs/{job_id}/0.png"
    assert done["data"]["parameters"]["prompt"] == "an astronaut riding a horse"
    assert [e["data"]["progress"]["step"] for e in events[2:4]] == [10, 20]


def test_a_filter_policy_on_type_and_owner_selects_events(aws, pipeline, service, make_job):
    completions = consumer(aws, {"type": ["job.completed", "job.failed"], "owner": ["alice"]})
    someone_else = consumer(aws, {"owner": ["bob"]})
    job_id = run_job_to_completion(pipeline, service, make_job)

    assert [(e["type"], e["id"]) for e in drain(completions)] == [("job.completed", job_id)]
    assert drain(someone_else) == []


def test_a_webhook_status_write_publishes_nothing(aws, pipeline, service, make_job):
    record = service.submit(make_job())
    pipeline.pump_stream()
    listener = consumer(aws)
    JobsTable(pipeline.resources.jobs_table).update(record.id, {"webhook_status": "delivered"})
    pipeline.pump_stream()
    assert drain(listener) == []


def test_a_cancelled_job_and_a_retried_one_publish_their_changes(aws, pipeline, service, make_job):
    listener = consumer(aws)
    record = service.submit(make_job())
    service.cancel(record.id, "alice")
    pipeline.pump_stream()
    assert [e["type"] for e in drain(listener)] == ["job.queued", "job.cancelled"]

    failed = service.submit(make_job())
    pipeline.complete([notification(failed.id, status="Failed", failureReason="boom")])
    service.retry(failed.id, "alice")
    pipeline.pump_stream()
    events = drain(listener)
    assert [e["type"] for e in events] == ["job.queued", "job.failed", "job.queued"]
    assert events[-1]["data"]["attempt"] == 1


def test_a_finished_task_publishes_the_queue_agents_callback_and_writes_its_out_document(
    aws, pipeline, service, make_job
):
    # given a consumer of the SD-on-EKS callback only
    callbacks = consumer(aws, {"type": ["task.callback"]})
    job = make_job(id="t1.0123456789abcdef", dialect="tasks", task_id="t1", context={"user": "u-1"})

    # when the task runs to completion
    record = service.submit(job)
    JobsTable(pipeline.resources.jobs_table).transition(
        record.id, JobState.IN_PROGRESS, expected=[JobState.QUEUED], updates={"started_at": time.time()}
    )
    pipeline.complete([notification(record.id, manifest=manifest(record.id, images=1))])
    assert pipeline.pump_stream() == {"batchItemFailures": []}

    # then exactly the agent's callback arrives, and the document its output_url names exists
    (message,) = drain(callbacks)
    assert (message["id"], message["result"], message["context"]) == ("t1", True, {"user": "u-1"})
    assert message["image_url"] == [f"s3://{aws.bucket}/outputs/{record.id}/0.png"]
    key = message["output_url"].removeprefix(f"s3://{aws.bucket}/")
    document = json.loads(
        boto3.client("s3", region_name="us-east-1").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    )
    assert document["parameters"]["id_task"] == "t1"
