"""Webhook benchmark: deliveries per second from one Lambda container, and the latency from a completion
notification to the webhook arriving.

    .venv/bin/python bench/webhook_bench.py [--deliveries 300] [--latency-runs 30]

- Throughput: the unchanged `sdapi.handlers.webhooks.handler` invoked in-process with SQS batches of 10
  (Lambda's default batch size) against moto (`mock_aws`, in-process) and a local HTTP receiver on
  127.0.0.1 (a threading `http.server` answering 204). Each delivery: read the job, render the native body,
  sign it (Standard Webhooks), POST it through the SSRF guard, record `webhook_status`. Also reported: the
  sign + POST part alone (`Dispatcher` with a no-op store), i.e. the ceiling without AWS calls.
- Latency: completion handler (SageMaker notification) → jobs-table stream record → events handler →
  webhook queue → webhook handler → receiver, each hop driven in-process as soon as the previous one is
  done. Measured first, on a small table: moto deep-copies a table for every item of a transaction, so
  its transaction times grow with the item count. On AWS the event-source pollers add their own delays
  (stream polling about 4 times a second, SQS long polling), which this does not include.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]

from bench.fake_aws import use_fake_aws  # noqa: E402


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arrivals: dict[str, float] = {}
        self.count = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.arrivals[self.headers["webhook-id"]] = time.perf_counter()
        self.server.count += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(deliveries: int, latency_runs: int) -> dict[str, Any]:
    use_fake_aws(log_level="ERROR")
    import boto3
    from moto import mock_aws

    from local.catalog import local_catalog
    from local.lambda_context import LambdaContext
    from local.pollers import StreamPoller
    from local.resources import create_resources
    from sdapi.auth import create_key
    from sdapi.aws import clients
    from sdapi.aws.bucket import Bucket
    from sdapi.aws.jobs_table import JobsTable
    from sdapi.aws.keys_table import KeysTable
    from sdapi.aws.sagemaker import SageMaker, SageMakerRuntime
    from sdapi.config import Settings
    from sdapi.ids import new_id
    from sdapi.schema.job import Job, JobState
    from sdapi.service.jobs import JobService
    from sdapi.webhooks.dispatcher import Dispatcher
    from sdapi.webhooks.message import WebhookMessage
    from sdapi.webhooks.transport import GuardedSender

    receiver = Receiver()
    base = Settings(
        jobs_table="bench-jobs",
        keys_table="bench-keys",
        bucket="bench-data",
        catalog=local_catalog(),
        allow_loopback_urls=True,
        allow_http_urls=True,
    )
    clients.reset()
    with mock_aws():
        res = create_resources(base)
        os.environ.update(res.env)
        from sdapi.handlers import completion, events, webhooks

        events.wiring.reset()  # built again from this environment on the first invocation
        webhooks.wiring.reset()
        key = create_key(KeysTable(res.keys_table), owner="bench")
        table = JobsTable(res.jobs_table)
        service = JobService(
            res.settings, table, Bucket(res.bucket), SageMakerRuntime(res.bucket), SageMaker()
        )
        sqs = boto3.client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=res.webhook_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

        def job() -> Job:
            job_id = new_id()
            return Job.model_validate(
                {
                    "id": job_id,
                    "owner": "bench",
                    "key_id": key.key_id,
                    "dialect": "native",
                    "pool": "sdxl",
                    "task": "txt2img",
                    "model": "sd_xl_base_1.0",
                    "prompt": "a lighthouse at dusk",
                    "seed": 1,
                    "output": {"prefix": f"outputs/{job_id}/"},
                    "webhook": {"url": receiver.url},
                    "created_at": time.time(),
                }
            )

        def sqs_records(bodies: list[str], ids: list[str] | None = None) -> dict[str, Any]:
            from tests.lambda_events import sqs_event  # SQS records as Lambda builds them

            messages = [
                {"MessageId": ids[i] if ids else f"m{i}", "ReceiptHandle": f"r{i}", "Body": body}
                for i, body in enumerate(bodies)
            ]
            return sqs_event(queue_arn, messages)

        # -- latency: completion notification → webhook at the receiver ---------------------------------
        streams = boto3.client(
            "dynamodbstreams", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com/"
        )
        poller = StreamPoller(streams, res.jobs_stream_arn, None, function_name="sdapi-events")
        shard = streams.describe_stream(StreamArn=res.jobs_stream_arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        iterator = streams.get_shard_iterator(
            StreamArn=res.jobs_stream_arn, ShardId=shard, ShardIteratorType="LATEST"
        )["ShardIterator"]
        hops: dict[str, list[float]] = {
            "completion": [],
            "stream+events": [],
            "queue+webhook": [],
            "total": [],
        }
        for run_number in range(latency_runs + 1):  # run 0 warms the handlers up and is not counted
            record = service.submit(job())
            while True:  # skip the submit's stream records
                answer = streams.get_records(ShardIterator=iterator)
                iterator = answer["NextShardIterator"]
                if not answer["Records"]:
                    break
            note = json.dumps(
                {
                    "invocationStatus": "Completed",
                    "inferenceId": record.id,
                    "responseParameters": {
                        "contentType": "application/json",
                        "responseBody": {
                            "content": json.dumps(
                                {
                                    "job_id": record.id,
                                    "images": [f"outputs/{record.id}/0.png"],
                                    "n_generated": 1,
                                }
                            ),
                            "encoding": "UTF-8",
                        },
                    },
                }
            )
            t0 = time.perf_counter()
            completion.handler(sqs_records([note]), LambdaContext("sdapi-completion"))
            t1 = time.perf_counter()
            answer = streams.get_records(ShardIterator=iterator)
            iterator = answer["NextShardIterator"]
            events.handler(
                {"Records": [poller.record(r) for r in answer["Records"]]}, LambdaContext("sdapi-events")
            )
            t2 = time.perf_counter()
            got = sqs.receive_message(QueueUrl=res.webhook_queue_url, MaxNumberOfMessages=10)["Messages"]
            event = sqs_records([m["Body"] for m in got], [m["MessageId"] for m in got])
            webhooks.handler(event, LambdaContext("sdapi-webhooks"))
            for m in got:
                sqs.delete_message(QueueUrl=res.webhook_queue_url, ReceiptHandle=m["ReceiptHandle"])
            arrived = receiver.arrivals[f"{record.id}.completed.0"]
            if run_number == 0:
                continue
            hops["completion"].append(t1 - t0)
            hops["stream+events"].append(t2 - t1)
            hops["queue+webhook"].append(arrived - t2)
            hops["total"].append(arrived - t0)

        # -- throughput: completed jobs, one webhook message each, handler batches of 10 ------------------
        messages = []
        for _ in range(deliveries):
            record = service.submit(job())
            table.transition(
                record.id, JobState.COMPLETED, expected=[JobState.QUEUED], updates={"outputs": []}
            )
            messages.append(
                WebhookMessage(
                    webhook_id=f"{record.id}.completed.0",
                    job_id=record.id,
                    event="completed",
                    occurred_at=time.time(),
                ).model_dump(mode="json")
            )
        context = LambdaContext("sdapi-webhooks")
        webhooks.handler(
            sqs_records([json.dumps(m) for m in messages[:10]]), context
        )  # warm: secret cache, connection code paths
        before = receiver.count
        started = time.perf_counter()
        for i in range(10, deliveries, 10):
            answer = webhooks.handler(sqs_records([json.dumps(m) for m in messages[i : i + 10]]), context)
            assert not answer["batchItemFailures"], answer
        handler_s = time.perf_counter() - started
        delivered = receiver.count - before

        # the same deliveries without AWS calls: render + sign + POST only
        class NoStore:
            def get(self, job_id: str):
                return snapshot

            def update(self, job_id: str, updates: dict) -> None:
                pass

        snapshot = table.get(messages[0]["job_id"])
        bare = Dispatcher(
            store=NoStore(),
            queue=None,
            secrets=type("S", (), {"secret_for": lambda self, k: key.webhook_secret})(),
            render=webhooks.wiring().render,
            send=GuardedSender(res.settings),
            max_attempts=8,
            window_s=3600,
        )
        plain = [WebhookMessage.model_validate(m) for m in messages[: min(200, deliveries)]]
        started = time.perf_counter()
        for m in plain:
            bare.handle(m.model_copy(update={"webhook_id": m.webhook_id + ".bare"}))
        bare_s = time.perf_counter() - started
    clients.reset()
    receiver.shutdown()
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "deliveries": delivered,
        "handler_per_s": round(delivered / handler_s, 1),
        "handler_ms_each": round(handler_s / delivered * 1000, 2),
        "sign_post_per_s": round(len(plain) / bare_s, 1),
        "sign_post_ms_each": round(bare_s / len(plain) * 1000, 2),
        "latency_runs": latency_runs,
        "latency_ms": {
            name: {
                "median": round(statistics.median(values) * 1000, 1),
                "p95": round(percentile(values, 0.95) * 1000, 1),
            }
            for name, values in hops.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--latency-runs", type=int, default=30)
    args = parser.parse_args()
    result = run(args.deliveries, args.latency_runs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
