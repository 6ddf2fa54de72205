"""The container's only AWS side effects: PNGs to S3 (PutObject under outputs/) and its job item in DynamoDB
(UpdateItem, and TransactWriteItems made of Update actions). Nothing is read from AWS: the job arrives as the
request body. Endpoints come from AWS_ENDPOINT_URL* (boto3 reads them), so the local stack can point at
moto."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from inference_container.errors import JobError
from sdapi.schema import items
from sdapi.schema.job import Job, JobState

log = logging.getLogger(__name__)


class JobNotRunnable(Exception):
    """The job item is not QUEUED for this attempt (cancelled, timed out, finished, or a stale attempt)."""

    def __init__(self, state: str | None):
        super().__init__(f"job is {state or 'missing'}")
        self.state = state


def _n(value: float | int) -> dict:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


@dataclass
class JobTracker:
    """State and progress of one job item, throttled to one progress write per `interval_s`."""

    dynamodb: object
    table: str
    job: Job
    interval_s: float = 1.0
    _last_write: float = field(default=0.0, init=False)
    _last_step: int = field(default=-1, init=False)
    cancelled: bool = field(default=False, init=False)

    def _key(self, job_id: str) -> dict:
        return {items.JOBS_TABLE_KEY: {"S": job_id}}

    def start(self, total: int) -> float:
        """QUEUED → IN_PROGRESS with the pool counters, in one transaction. Raises JobNotRunnable
        otherwise."""
        now = time.time()
        job = self.job
        update = {
            "TableName": self.table,
            "Key": self._key(job.id),
            "UpdateExpression": (
                "SET #state = :running, #started = :now, #updated = :now, #deadline = :deadline, "
                "#step = :zero, #total = :total"
            ),
            "ConditionExpression": (
                "#state = :queued AND (attribute_not_exists(#attempt) OR #attempt = :attempt)"
            ),
            "ExpressionAttributeNames": {
                "#state": items.STATE,
                "#started": items.STARTED_AT,
                "#updated": items.UPDATED_AT,
                "#deadline": items.DEADLINE_AT,
                "#step": items.PROGRESS_STEP,
                "#total": items.PROGRESS_TOTAL,
                "#attempt": items.ATTEMPT,
            },
            "ExpressionAttributeValues": {
                ":running": {"S": JobState.IN_PROGRESS.value},
                ":queued": {"S": JobState.QUEUED.value},
                ":now": _n(now),
                ":deadline": _n(now + job.timeouts.execution_s),
                ":zero": _n(0),
                ":total": _n(total),
                ":attempt": _n(job.attempt),
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        counters = {
            "TableName": self.table,
            "Key": self._key(items.counters_id(job.pool)),
            "UpdateExpression": "ADD #queued :minus, #running :one",
            "ExpressionAttributeNames": {
                "#queued": items.COUNTER_FIELDS["QUEUED"],
                "#running": items.COUNTER_FIELDS["IN_PROGRESS"],
            },
            "ExpressionAttributeValues": {":minus": _n(-1), ":one": _n(1)},
        }
        client = self.dynamodb
        try:
            client.transact_write_items(TransactItems=[{"Update": update}, {"Update": counters}])
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            first = reasons[0] if reasons else {}
            if first.get("Code") != "ConditionalCheckFailed":
                raise
            old = first.get("Item") or {}
            state = old.get(items.STATE, {}).get("S")
            attempt = int(old.get(items.ATTEMPT, {}).get("N", job.attempt))
            if state == JobState.IN_PROGRESS.value and attempt == job.attempt:
                # SageMaker re-delivered an invocation whose first run died: run again, counters already
                # moved.
                log.warning("job %s already IN_PROGRESS (re-delivery); running it again", job.id)
                self.progress(0, total, force=True)
                return now
            raise JobNotRunnable(state if attempt == job.attempt else f"{state} (attempt {attempt})") from exc
        self._last_write = time.monotonic()
        return now

    def progress(self, step: int, total: int, *, force: bool = False) -> bool:
        """Write progress if `interval_s` has passed; False once the job is no longer IN_PROGRESS (stop
        work)."""
        if self.cancelled:
            return False
        now = time.monotonic()
        if not force and (now - self._last_write < self.interval_s or step == self._last_step):
            return True
        client = self.dynamodb
        try:
            client.update_item(
                TableName=self.table,
                Key=self._key(self.job.id),
                UpdateExpression="SET #step = :step, #total = :total, #updated = :now",
                ConditionExpression=(
                    "#state = :running AND (attribute_not_exists(#attempt) OR #attempt = :attempt)"
                ),
                ExpressionAttributeNames={
                    "#step": items.PROGRESS_STEP,
                    "#total": items.PROGRESS_TOTAL,
                    "#updated": items.UPDATED_AT,
                    "#state": items.STATE,
                    "#attempt": items.ATTEMPT,
                },
                ExpressionAttributeValues={
                    ":step": _n(step),
                    ":total": _n(total),
                    ":now": _n(time.time()),
                    ":running": {"S": JobState.IN_PROGRESS.value},
                    ":attempt": _n(self.job.attempt),
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            log.info("job %s is no longer IN_PROGRESS: stopping", self.job.id)
            self.cancelled = True
            return False
        self._last_write, self._last_step = now, step
        return True


@dataclass
class OutputStore:
    s3: object
    bucket: str

    def put_png(self, key: str, data: bytes) -> None:
        segments = key.split("/")
        if segments[0] != "outputs" or any(part in ("", ".", "..") for part in segments[1:]):
            raise ValueError(f"output key {key!r} is outside outputs/ (the container may write only there)")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="image/png")
        except (ClientError, BotoCoreError) as exc:
            # botocore's text names the role, account id and bucket: log it, tell the caller only the code
            log.error("writing %s failed: %s", key, exc)
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            raise JobError(f"storing an output image failed ({code or type(exc).__name__})") from exc


def clients(region: str | None = None):
    """boto3 S3 and DynamoDB clients (endpoints from AWS_ENDPOINT_URL*, credentials from the role)."""
    import boto3

    session = boto3.session.Session(region_name=region)
    return session.client("s3"), session.client("dynamodb")
