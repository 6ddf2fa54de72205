"""Shared by the webhook/event/sweeper/fault tests (no tests here): drives the event hops in-process
against moto the way Lambda would — the jobs table's stream into the `events` handler, the webhook queue
into the `webhooks` handler, SageMaker notifications into the `completion` handler — and a Standard
Webhooks receiver on pytest-httpserver.
"""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from local.lambda_context import LambdaContext
from local.pollers import StreamPoller
from sdapi.config import Settings
from sdapi.schema.catalog import Catalog
from tests.lambda_events import sqs_event

REGION = "us-east-1"


def webhook_settings(catalog: Catalog, **overrides: Any) -> Settings:
    """Settings for tests with a receiver on 127.0.0.1 (local mode's loopback/http switches on)."""
    values: dict[str, Any] = {
        "jobs_table": "sdapi-jobs",
        "keys_table": "sdapi-keys",
        "bucket": "sdapi-data",
        "catalog": catalog,
        "allow_loopback_urls": True,
        "allow_http_urls": True,
        "webhook_timeout_s": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Pipeline:
    """The event-side Lambdas wired to moto, pumped by hand."""

    resources: Any
    monkeypatch: Any
    handlers: dict[str, Any] = field(default_factory=dict)
    _iterators: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.resources.env.items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        for name in ("events", "webhooks", "sweeper", "completion"):
            module = importlib.import_module(f"sdapi.handlers.{name}")
            module.wiring.reset()  # built again from this environment on the first invocation
            self.handlers[name] = module
        self.sqs = boto3.client("sqs", region_name=REGION)
        # moto's in-process mock matches the streams endpoint only with a trailing slash
        self.streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com/",
        )
        self._stream = StreamPoller(
            self.streams, self.resources.jobs_stream_arn, None, function_name="events"
        )
        self.skip_stream()

    # -- the stream --------------------------------------------------------------------------------------

    def stream_records(self) -> list[dict[str, Any]]:
        """New stream records since the last call, as Lambda would pass them."""
        description = self.streams.describe_stream(StreamArn=self.resources.jobs_stream_arn)
        records: list[dict[str, Any]] = []
        for shard in description["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=self.resources.jobs_stream_arn,
                    ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON",
                )["ShardIterator"]
            )
            while True:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records += [self._stream.record(r) for r in answer["Records"]]
                iterator = answer.get("NextShardIterator") or iterator
                if not answer["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records

    def skip_stream(self) -> None:
        self.stream_records()

    def pump_stream(self) -> dict[str, Any]:
        """Hand every new stream record to the events handler (one batch); returns its answer."""
        records = self.stream_records()
        if not records:
            return {"batchItemFailures": []}
        return self.handlers["events"].handler({"Records": records}, LambdaContext("sdapi-events"))

    # -- queues ------------------------------------------------------------------------------------------

    def _queue(self, url: str):
        return sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[url.rsplit("/", 1)[1]]

    def release_delayed(self, url: str | None = None) -> list[tuple[dict[str, Any], int]]:
        """Make delayed messages deliverable now (time travel); returns (body, seconds it was delayed)."""
        queue = self._queue(url or self.resources.webhook_queue_url)
        now_ms = time.time() * 1000
        released = []
        for message in queue._messages:
            if message.delayed_until > now_ms:
                released.append((json.loads(message.body), round((message.delayed_until - now_ms) / 1000)))
                message.delayed_until = 0
        return released

    def receive(self, url: str, limit: int = 10) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < limit:
            answer = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=min(10, limit - len(messages))
            )
            if not answer.get("Messages"):
                break
            messages += answer["Messages"]
        return messages

    def pump_webhooks(self, limit: int = 10) -> dict[str, Any]:
        """Run the webhook handler on the visible messages; delete those it acknowledged (as Lambda does)."""
        url = self.resources.webhook_queue_url
        messages = self.receive(url, limit)
        if not messages:
            return {"batchItemFailures": []}
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        answer = self.handlers["webhooks"].handler(sqs_event(arn, messages), LambdaContext("sdapi-webhooks"))
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return answer

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self.receive(self.resources.webhook_dlq_url)]

    def deliver(self, rounds: int = 10) -> None:
        """Pump stream → events → webhooks until nothing moves (retries released at once)."""
        for _ in range(rounds):
            self.pump_stream()
            moved = self.pump_webhooks(limit=100)
            released = self.release_delayed()
            if not released and not self.receive_count() and not moved.get("batchItemFailures"):
                return

    def receive_count(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.resources.webhook_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    # -- completion ----------------------------------------------------------------------------------------

    def complete(self, bodies: list[str]) -> dict[str, Any]:
        """Run the completion handler on SQS messages with these bodies (SageMaker notifications)."""
        messages = [
            {"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": body} for i, body in enumerate(bodies)
        ]
        arn = f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:completion"
        return self.handlers["completion"].handler(
            sqs_event(arn, messages), LambdaContext("sdapi-completion")
        )

    def sweep(self) -> dict[str, Any]:
        return self.handlers["sweeper"].handler({"source": "aws.events"}, LambdaContext("sdapi-sweeper"))


def notification(job_id: str, status: str = "Completed", manifest: dict | None = None, **extra: Any) -> str:
    """A SageMaker async notification as the completion queue receives it (SNS raw message)."""
    body: dict[str, Any] = {
        "awsRegion": REGION,
        "eventTime": "2026-11-21T20:00:00.000Z",
        "receivedTime": "2026-11-21T19:59:50.000Z",
        "invocationStatus": status,
        "inferenceId": job_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "requestParameters": {
            "endpointName": "sdapi-sdxl",
            "inputLocation": f"s3://sdapi-data/inputs/{job_id}.json",
        },
        "responseParameters": {"contentType": "application/json"},
    }
    if manifest is not None:
        body["responseParameters"]["responseBody"] = {"content": json.dumps(manifest), "encoding": "UTF-8"}
    body.update(extra)
    return json.dumps(body)


def manifest(job_id: str, images: int = 1, attempt: int = 0) -> dict[str, Any]:
    now = time.time()
    return {
        "job_id": job_id,
        "attempt": attempt,
        "status": "completed",
        "images": [f"outputs/{job_id}/{i}.png" for i in range(images)],
        "n_generated": images,
        "info": json.dumps({"seed": 1234, "all_seeds": [1234]}),
        "started_at": now - 2.0,
        "finished_at": now,
    }
