"""Completion: SageMaker notifications (SNS → SQS → the completion Lambda) finish jobs exactly once."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest

from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.errors import UpstreamUnavailable
from sdapi.event_records import CompletionRecord
from sdapi.schema.job import JobState
from sdapi.schema.manifest import InvocationError, Manifest
from sdapi.service.completion import CompletionService, Outcome
from tests.lambda_events import sns_envelope, sqs_event, sqs_record

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sdapi-completion"


@dataclass
class Context:
    function_name: str = "sdapi-completion"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sdapi-completion"
    aws_request_id: str = "req-1"


@pytest.fixture
def completion(aws):
    return CompletionService(JobsTable(aws.jobs_table), Bucket(aws.bucket))


@pytest.fixture
def handler_module(aws, monkeypatch):
    for name, value in aws.settings.to_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    import sdapi.handlers.completion as module

    module.wiring.reset()
    yield module
    module.wiring.reset()


def carried(notification: dict | str):
    """What the completion queue's message carries, as the handler's batch processor validates it."""
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": sns_envelope(notification)}
    return CompletionRecord.model_validate(sqs_record(QUEUE_ARN, message)).notification


def manifest(job, **changes) -> str:
    values = dict(
        job_id=job.id,
        images=[f"{job.output.prefix}0.png", f"{job.output.prefix}1.png"],
        n_generated=1,
        info='{"seed": 1234}',
        nsfw=[False],
        started_at=100.0,
        finished_at=103.5,
        timings={"total_s": 3.5, "inference_s": 3.0},
    )
    values.update(changes)
    return Manifest(**values).model_dump_json()


def success(aws, job, body: str | None, inference_id: str | None = None, inline: bool = True) -> dict:
    output = f"s3://{aws.bucket}/async-output/{job.id}.out"
    params: dict = {"contentType": "application/json", "outputLocation": output}
    if body is not None:
        if inline:
            params["responseBody"] = {"content": body, "encoding": "UTF-8"}
        else:
            boto3.client("s3").put_object(Bucket=aws.bucket, Key=f"async-output/{job.id}.out", Body=body)
    return {
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-21T20:00:00.000Z",
        "invocationStatus": "Completed",
        "requestParameters": {"endpointName": "sdapi-sdxl", "inputLocation": f"s3://{aws.bucket}/inputs/x"},
        "responseParameters": params,
        "inferenceId": inference_id or job.id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }


def failure(aws, job, reason: str, error: InvocationError | None = None) -> dict:
    location = f"s3://{aws.bucket}/async-failure/{job.id}.err"
    if error is not None:
        boto3.client("s3").put_object(
            Bucket=aws.bucket, Key=f"async-failure/{job.id}.err", Body=error.model_dump_json()
        )
    return {
        "awsRegion": "us-east-1",
        "invocationStatus": "Failed",
        "failureReason": reason,
        "requestParameters": {"endpointName": "sdapi-sdxl"},
        "responseParameters": {"contentType": "application/json", "failureLocation": location},
        "inferenceId": job.id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
    }


def deliver(aws, *messages: dict | str) -> dict:
    """Publish on the inference topics and receive from the completion queue: a real SQS Lambda event."""
    sns = boto3.client("sns")
    for message in messages:
        failed = isinstance(message, dict) and message.get("invocationStatus") == "Failed"
        topic = aws.error_topic_arn if failed else aws.success_topic_arn
        sns.publish(TopicArn=topic, Message=message if isinstance(message, str) else json.dumps(message))
    sqs = boto3.client("sqs")
    received = sqs.receive_message(QueueUrl=aws.completion_queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == len(messages)
    return sqs_event(QUEUE_ARN, received)


def test_inline_success_completes_the_job_through_the_handler(handler_module, service, aws, make_job):
    job = make_job()
    service.submit(job)

    result = handler_module.handler(deliver(aws, success(aws, job, manifest(job))), Context())

    assert result == {"batchItemFailures": []}
    record = service.get(job.id, "alice")
    assert record.state == JobState.COMPLETED
    assert record.outputs == [f"outputs/{job.id}/0.png", f"outputs/{job.id}/1.png"]
    assert record.images == [f"outputs/{job.id}/0.png"]
    assert (record.info, record.nsfw) == ('{"seed": 1234}', [False])
    assert (record.started_at, record.completed_at) == (100.0, 103.5)
    counters = service.store.counters(["sdxl"])[0]
    assert (counters.queued, counters.completed, counters.exec_ms_total) == (0, 1, 3500)


def test_success_read_from_the_output_location(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)

    outcome = completion.handle(carried(success(aws, job, manifest(job), inline=False)))

    assert outcome == Outcome.COMPLETED
    assert service.get(job.id, "alice").n_generated == 1


def test_base64_inline_body_and_top_level_response_body_are_read(completion, service, aws, make_job):
    import base64

    job = make_job()
    service.submit(job)
    note = success(aws, job, None)
    encoded = base64.b64encode(manifest(job).encode()).decode()
    note["responseBody"] = {"content": encoded, "encoding": "BASE64"}

    assert completion.handle(carried(note)) == Outcome.COMPLETED


def test_failure_takes_the_containers_reason(handler_module, service, aws, make_job):
    job = make_job()
    service.submit(job)
    error = InvocationError(error="CUDA out of memory at 2048x2048", type="OutOfMemory", job_id=job.id)

    handler_module.handler(
        deliver(aws, failure(aws, job, "ClientError: Received server error (500)", error)), Context()
    )

    record = service.get(job.id, "alice")
    assert record.state == JobState.FAILED
    assert record.error == "CUDA out of memory at 2048x2048"
    assert service.store.counters(["sdxl"])[0].failed == 1


def test_a_sagemaker_timeout_is_timed_out(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)

    outcome = completion.handle(carried(failure(aws, job, "Inference request timed out")))

    assert outcome == Outcome.TIMED_OUT
    record = service.get(job.id, "alice")
    assert record.state == JobState.TIMED_OUT
    assert "timed out" in record.error


def test_a_failure_without_details_uses_sagemakers_reason(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)

    assert completion.handle(carried(failure(aws, job, "ModelError: bad things"))) == Outcome.FAILED
    assert service.get(job.id, "alice").error == "ModelError: bad things"


def test_duplicate_notification_changes_nothing(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)
    body = success(aws, job, manifest(job))

    first, second = completion.handle(carried(body)), completion.handle(carried(body))

    assert (first, second) == (Outcome.COMPLETED, Outcome.NO_CHANGE)
    assert service.store.counters(["sdxl"])[0].completed == 1


def test_late_success_after_cancel_leaves_the_job_cancelled(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)
    service.cancel(job.id, "alice")

    outcome = completion.handle(carried(success(aws, job, manifest(job))))

    assert outcome == Outcome.NO_CHANGE
    assert service.get(job.id, "alice").state == JobState.CANCELLED


def test_a_cancelled_manifest_changes_nothing(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)

    outcome = completion.handle(carried(success(aws, job, manifest(job, status="cancelled"))))

    assert outcome == Outcome.CANCELLED
    assert service.get(job.id, "alice").state == JobState.QUEUED


def test_notifications_of_an_older_attempt_are_ignored(completion, service, aws, make_job):
    job = make_job()
    service.submit(job)
    service.store.transition(job.id, JobState.FAILED, expected=[JobState.QUEUED])
    service.retry(job.id, "alice")

    stale = completion.handle(carried(success(aws, job, manifest(job))))
    current = completion.handle(carried(success(aws, job, manifest(job), inference_id=f"{job.id}:1")))

    assert (stale, current) == (Outcome.STALE, Outcome.COMPLETED)


def test_test_notifications_and_unknown_jobs_are_acknowledged(handler_module, aws, make_job):
    unknown = make_job()
    event = deliver(
        aws,
        "This is a test notification from Amazon SageMaker.",
        {"eventSource": "aws:sagemaker", "eventName": "TestNotification"},
        success(aws, unknown, manifest(unknown)),
    )

    assert handler_module.handler(event, Context()) == {"batchItemFailures": []}


class FlakyStore:
    def __init__(self, inner, broken_id):
        self.inner, self.broken_id = inner, broken_id

    def get(self, job_id):
        if job_id == self.broken_id:
            raise UpstreamUnavailable("throttled")
        return self.inner.get(job_id)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_one_failing_message_is_reported_and_the_rest_complete(handler_module, service, aws, make_job):
    good, bad = make_job(), make_job()
    service.submit(good)
    service.submit(bad)
    store = FlakyStore(JobsTable(aws.jobs_table), bad.id)
    handler_module.wiring.install(CompletionService(store, Bucket(aws.bucket)))
    event = deliver(aws, success(aws, good, manifest(good)), success(aws, bad, manifest(bad)))
    bad_message = next(r["messageId"] for r in event["Records"] if bad.id in r["body"])

    result = handler_module.handler(event, Context())

    assert result == {"batchItemFailures": [{"itemIdentifier": bad_message}]}
    assert service.get(good.id, "alice").state == JobState.COMPLETED
    assert service.get(bad.id, "alice").state == JobState.QUEUED
