"""What Lambda's event-source mappings and EventBridge schedules do, for the embedded stack.

- `SqsPoller`: long-polls a queue, hands batches to a handler as an SQS event (the exact record shape Lambda
  builds), deletes the records that succeeded and leaves `batchItemFailures` (or the whole batch, when the
  handler raises) to come back after the visibility timeout; the queue's own redrive policy dead-letters them.
- `StreamPoller`: reads a DynamoDB table's stream through the `dynamodbstreams` API (moto implements it,
  transactions included) and hands records to a handler as a DynamoDB stream event. On
  `batchItemFailures` (itemIdentifier = SequenceNumber) it retries from the first failed record, up to
  `max_retries` times, then moves on (Lambda's MaximumRetryAttempts without an on-failure destination).
  Each poll asks for a fresh iterator after the last sequence number it delivered instead of following
  `NextShardIterator`: moto replaces a table with a deep copy when a transaction is cancelled (a failed
  condition, which this product does routinely), and iterators into the old copy's shard would never see
  another record.
- `Timer`: calls a handler with a scheduled event every `interval_s` seconds (the sweeper).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.lambda_context import LambdaContext

log = logging.getLogger("local.pollers")

Handler = Callable[[dict[str, Any], Any], Any]


def _failed_ids(result: Any) -> set[str] | None:
    """The itemIdentifiers of a partial batch response; None when the handler reported none."""
    if isinstance(result, dict) and isinstance(result.get("batchItemFailures"), list):
        return {
            str(item.get("itemIdentifier")) for item in result["batchItemFailures"] if isinstance(item, dict)
        }
    return None


class _Loop:
    """A daemon thread that calls `tick()` until stopped."""

    name = "poller"

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self) -> bool:
        """Running, or stopped on purpose (a stopped loop is not restarted by `local.supervisor`)."""
        return self._stopping.is_set() or (self._thread is not None and self._thread.is_alive())

    def restart(self) -> None:
        self.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("%s: poll failed", self.name)
                self._stopping.wait(1.0)

    def tick(self) -> None:
        raise NotImplementedError


class SqsPoller(_Loop):
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 10,
        wait_s: int = 1,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        super().__init__()
        self.name = f"sqs-{function_name}"
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._function_name = function_name
        self._batch_size = batch_size
        self._wait_s = wait_s
        self._region = region
        queue_name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        self._queue_arn = f"arn:aws:sqs:{region}:{account}:{queue_name}"

    def tick(self) -> None:
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages") or []
        if not messages:
            return
        event = {"Records": [self.record(m) for m in messages]}
        try:
            result = self._handler(event, LambdaContext(self._function_name, timeout_s=60))
        except Exception:
            log.exception("%s: handler raised; %d message(s) will be redelivered", self.name, len(messages))
            return
        failed = _failed_ids(result) or set()
        done = [m for m in messages if m["MessageId"] not in failed]
        if failed:
            log.warning(
                "%s: %d of %d message(s) failed and will be redelivered",
                self.name,
                len(failed),
                len(messages),
            )
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        """One SQS event record, as Lambda builds it from a ReceiveMessage result."""
        body = message.get("Body", "")
        attributes = dict(message.get("Attributes") or {})
        attributes.setdefault("ApproximateReceiveCount", "1")
        attributes.setdefault("SentTimestamp", str(int(time.time() * 1000)))
        attributes.setdefault("SenderId", "AIDAIENQZJOLO23YVJ4VO")
        attributes.setdefault("ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000)))
        message_attributes: dict[str, Any] = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            binary = value.get("BinaryValue")
            message_attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value.get("DataType", "String"),
            }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """boto3 decodes binary attributes to bytes; Lambda stream events carry them base64-encoded."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode() if isinstance(inner, bytes | bytearray) else inner}
    if kind == "BS":
        return {
            "BS": [base64.b64encode(v).decode() if isinstance(v, bytes | bytearray) else v for v in inner]
        }
    if kind == "M":
        return {"M": {k: _lambda_attribute(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_lambda_attribute(v) for v in inner]}
    return {kind: inner}


def _lambda_image(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else {k: _lambda_attribute(v) for k, v in image.items()}


class StreamPoller(_Loop):
    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 100,
        idle_s: float = 0.2,
        max_retries: int = 3,
    ) -> None:
        super().__init__()
        self.name = f"stream-{function_name}"
        self._streams = streams
        self._stream_arn = stream_arn
        self._handler = handler
        self._function_name = function_name
        self._batch_size = batch_size
        self._idle_s = idle_s
        self._max_retries = max_retries
        self._shards: list[str] = []
        self._last_seq: dict[str, str] = {}
        self._pending: list[dict[str, Any]] = []
        self._attempts = 0

    def _iterator(self, shard_id: str) -> str:
        last = self._last_seq.get(shard_id)
        kwargs: dict[str, Any] = {"StreamArn": self._stream_arn, "ShardId": shard_id}
        if last is None:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=last)
        return self._streams.get_shard_iterator(**kwargs)["ShardIterator"]

    def tick(self) -> None:
        if not self._pending:
            if not self._shards:
                description = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
                self._shards = [shard["ShardId"] for shard in description.get("Shards", [])]
            for shard_id in self._shards:
                answer = self._streams.get_records(
                    ShardIterator=self._iterator(shard_id), Limit=self._batch_size
                )
                records = answer.get("Records", [])
                if records:
                    self._last_seq[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                self._pending.extend(self.record(r) for r in records)
            self._attempts = 0
        if not self._pending:
            self._stopping.wait(self._idle_s)
            return
        batch = self._pending[: self._batch_size]
        try:
            result = self._handler({"Records": batch}, LambdaContext(self._function_name, timeout_s=60))
            failed = _failed_ids(result) or set()
        except Exception:
            log.exception("%s: handler raised on a batch of %d record(s)", self.name, len(batch))
            failed = {batch[0]["dynamodb"]["SequenceNumber"]}
        if not failed:
            del self._pending[: len(batch)]
            return
        first = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), 0)
        self._attempts += 1
        if self._attempts > self._max_retries:
            log.error(
                "%s: dropping %d record(s) after %d retries", self.name, len(batch) - first, self._max_retries
            )
            del self._pending[: len(batch)]
            self._attempts = 0
            return
        del self._pending[:first]
        self._stopping.wait(min(2.0, 0.2 * 2**self._attempts))

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        """One DynamoDB stream event record, as Lambda builds it from GetRecords."""
        data = dict(record.get("dynamodb") or {})
        created = data.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            created = created.timestamp()
        dynamodb: dict[str, Any] = {
            "ApproximateCreationDateTime": float(created) if created is not None else time.time(),
            "Keys": _lambda_image(data.get("Keys")) or {},
            "SequenceNumber": data.get("SequenceNumber"),
            "SizeBytes": data.get("SizeBytes", 0),
            "StreamViewType": data.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
        }
        for image in ("NewImage", "OldImage"):
            if data.get(image) is not None:
                dynamodb[image] = _lambda_image(data[image])
        return {
            "eventID": record.get("eventID") or uuid.uuid4().hex,
            "eventName": record.get("eventName"),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", "us-east-1"),
            "dynamodb": dynamodb,
            "eventSourceARN": self._stream_arn,
        }


class Timer(_Loop):
    def __init__(
        self, handler: Handler, *, function_name: str, interval_s: float, region: str = "us-east-1"
    ) -> None:
        super().__init__()
        self.name = f"timer-{function_name}"
        self._handler = handler
        self._function_name = function_name
        self._interval_s = interval_s
        self._region = region

    def tick(self) -> None:
        if self._stopping.wait(self._interval_s):
            return
        now = datetime.now(UTC)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [f"arn:aws:events:{self._region}:123456789012:rule/{self._function_name}"],
            "detail": {},
        }
        try:
            self._handler(event, LambdaContext(self._function_name, timeout_s=60))
        except Exception:
            log.exception("%s: handler raised", self.name)
