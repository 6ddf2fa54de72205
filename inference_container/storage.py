"""The container's only AWS side effects: PNGs to S3 (PutObject under its job's output prefix, tagged for the
outputs retention), its job item in DynamoDB (UpdateItem, and TransactWriteItems made of Update actions;
progress writes carry the live preview) and the pool's portable compile cache (`SDAPI_COMPILE_CACHE_PREFIX`,
`compile-cache/<pool>/`: fetched at start, uploaded after a warm-up that compiled). Nothing else is read from
AWS: the job arrives as the request body. Endpoints come from AWS_ENDPOINT_URL* (boto3 reads them), so the
local stack can point at moto.

`OutputWriter` takes PNG encoding and the upload off the critical path: images are handed over as soon as
they are final and encoded and stored on worker threads while the GPU goes on with the next batch; the job
waits for its writes (in order; the first failure fails the job) before it answers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from inference_container import png
from inference_container.errors import JobError
from sdapi.schema import items, job_writes
from sdapi.schema.job import Job, JobState
from sdapi.schema.job_writes import TransitionWrite
from sdapi.schema.layout import OUTPUT_TAGGING, key_problem

log = logging.getLogger(__name__)

Encoder = Callable[[Any, "str | None"], bytes]
"""(image, infotext or None) -> PNG bytes."""


PREVIEW_INTERVAL_S = 1.0
"""At most one live preview (`preview.py`) per job per this many seconds."""

SIGNAL_RETRIES = 2
"""How many times one progress write is sent again after a new interrupt or skip refused it."""


class JobNotRunnable(Exception):
    """The job item is not QUEUED for this attempt (cancelled, timed out, finished, or a stale attempt)."""

    def __init__(self, state: str | None):
        super().__init__(f"job is {state or 'missing'}")
        self.state = state


@dataclass
class JobTracker:
    """State and progress of one job item, throttled to one progress write per `interval_s`, the live
    preview riding on at most one write per `preview_interval_s`.

    The requests come from `sdapi.schema.job_writes` (the same builder the Lambdas use); this class only
    sends them and reads the answers.
    """

    dynamodb: object
    table: str
    job: Job
    interval_s: float = 1.0
    preview_interval_s: float = PREVIEW_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    """The throttles' clock (seconds)."""
    _last_write: float = field(default=0.0, init=False)
    _last_step: int = field(default=-1, init=False)
    _last_preview: float = field(default=-math.inf, init=False)
    cancelled: bool = field(default=False, init=False)
    signals: job_writes.Signals = field(default_factory=job_writes.Signals, init=False)
    """The job's A1111 interrupt and skips, as the last refused progress write read them."""

    def start(self, total: int) -> float:
        """QUEUED → IN_PROGRESS with the pool counters, in one transaction; returns the start time. Raises
        JobNotRunnable when the job is not QUEUED for this attempt."""
        now = time.time()
        job = self.job
        write = TransitionWrite(
            table=self.table,
            job_id=job.id,
            pool=job.pool,
            old=JobState.QUEUED,
            new=JobState.IN_PROGRESS,
            attempt=job.attempt,
            now=now,
            updates={
                items.STARTED_AT: now,
                items.DEADLINE_AT: now + job.timeouts.execution_s,
                items.PROGRESS_STEP: 0,
                items.PROGRESS_TOTAL: total,
            },
        )
        client = self.dynamodb
        try:
            client.transact_write_items(TransactItems=write.transact_items())
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            first = reasons[0] if reasons else {}
            if first.get("Code") != "ConditionalCheckFailed":
                raise
            state, attempt = job_writes.refused_state(first.get("Item"))
            attempt = job.attempt if attempt is None else attempt
            if state == JobState.IN_PROGRESS and attempt == job.attempt:
                # SageMaker re-delivered an invocation whose first run died: run again (the counters have
                # moved already).
                log.warning("job %s already IN_PROGRESS (re-delivery); running it again", job.id)
                self.progress(0, total, force=True)
                return now
            raise JobNotRunnable(state if attempt == job.attempt else f"{state} (attempt {attempt})") from exc
        self._last_write = self.clock()
        return now

    def progress(
        self, step: int, total: int, *, force: bool = False, preview: Callable[[], str | None] | None = None
    ) -> bool:
        """Write progress if `interval_s` has passed, with `preview()` (the base64 live preview; only called
        when it is written) if `preview_interval_s` has passed too. False means the job is no longer
        IN_PROGRESS: stop working on it. A write refused by an interrupt or skip the tracker had not seen
        updates `signals` and is sent again (`job_writes.progress_update`); an accepted one returns
        nothing."""
        if self.cancelled:
            return False
        now = self.clock()
        if not force and (now - self._last_write < self.interval_s or step == self._last_step):
            return True
        image = None
        if preview is not None and now - self._last_preview >= self.preview_interval_s:
            image = preview()
        for _ in range(1 + SIGNAL_RETRIES):
            refused = self._write(step, total, image)
            if refused is None:
                break
            if not self._read_signals(refused):
                return False
        else:
            log.warning("job %s: progress refused %d times; written later", self.job.id, 1 + SIGNAL_RETRIES)
            return True
        self._last_write, self._last_step = now, step
        if image is not None:
            self._last_preview = now
        return True

    def _write(self, step: int, total: int, image: str | None) -> dict[str, Any] | None:
        """Send one progress write: None when accepted, else the item that refused it."""
        job, client = self.job, self.dynamodb
        request = job_writes.progress_update(
            self.table, job.id, job.attempt, (step, total), time.time(), image, self.signals
        )
        try:
            client.update_item(**request)
        except client.exceptions.ConditionalCheckFailedException as exc:
            return exc.response.get("Item") or {}
        return None

    def _read_signals(self, refused: dict[str, Any]) -> bool:
        """A refused progress write's item: False when the job is no longer IN_PROGRESS for this attempt
        (stop working on it), else it refused a new interrupt or skip, now in `signals`."""
        state, attempt = job_writes.refused_state(refused)
        if state != JobState.IN_PROGRESS or (attempt is not None and attempt != self.job.attempt):
            log.info("job %s is no longer IN_PROGRESS: stopping", self.job.id)
            self.cancelled = True
            return False
        self.signals = job_writes.Signals.of(refused)
        return True


@dataclass(frozen=True)
class JobTracking:
    """The jobs table, as the worker's tracking of its jobs: one `JobTracker` per job."""

    dynamodb: object
    table: str
    interval_s: float = 1.0
    """At most one progress write per this many seconds."""
    preview_interval_s: float = PREVIEW_INTERVAL_S
    """At most one live preview per job per this many seconds."""
    clock: Callable[[], float] = time.monotonic

    def for_job(self, job: Job) -> JobTracker:
        return JobTracker(
            self.dynamodb, self.table, job, self.interval_s, self.preview_interval_s, self.clock
        )


@dataclass
class OutputStore:
    """The bucket the container writes its PNGs to (never under a reserved root: `sdapi.schema.layout`)."""

    s3: object
    bucket: str

    def put_png(self, key: str, data: bytes) -> None:
        """Write one PNG; JobError (naming only the error code) when S3 refuses."""
        problem = key_problem(key)
        if problem:
            raise ValueError(f"output key {key!r} {problem} (the container may not write there)")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType="image/png", Tagging=OUTPUT_TAGGING
            )
        except (ClientError, BotoCoreError) as exc:
            # botocore's text names the role, account id and bucket: log it, tell the caller only the code
            log.error("writing %s failed: %s", key, exc)
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            raise JobError(f"storing an output image failed ({code or type(exc).__name__})") from exc


WRITER_THREADS = 4
"""The encoders release the GIL (zlib-ng's and Pillow's), so a batch's images encode in parallel."""


class OutputWriter:
    """Encodes and stores PNGs on worker threads; one `JobOutputs` per job collects that job's writes.

    `encode(image, infotext) -> bytes` is the container's PNG encoder (`inference_container.png`, chosen by
    `bench/png_bench.py`) unless a benchmark gives another."""

    def __init__(self, store: OutputStore, *, threads: int = WRITER_THREADS, encode: Encoder | None = None):
        self.store = store
        self.encode = encode or png.encode
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="png-writer")

    def job(self) -> JobOutputs:
        return JobOutputs(self)

    def _write(self, key: str, image, parameters: str | None) -> str:
        self.store.put_png(key, self.encode(image, parameters))
        return key

    def close(self) -> None:
        """Finish every queued write, then stop the threads (nothing queued is dropped)."""
        self._pool.shutdown(wait=True)


@dataclass
class JobOutputs:
    """The writes of one job, in the order they were handed over."""

    writer: OutputWriter
    _futures: list[Future] = field(default_factory=list)

    def add(self, key: str, image, parameters: str | None) -> None:
        """Queue one image (the caller must not change it afterwards)."""
        self._futures.append(self.writer._pool.submit(self.writer._write, key, image, parameters))

    def settle(self) -> None:
        """Wait for every write to end, failed or not (a cancelled or failed job)."""
        for future in self._futures:
            future.exception()

    def wait(self) -> list[str]:
        """The stored keys in hand-over order, once all are stored; the first failure (in that order) is
        raised after every write has ended, so nothing is left running behind a failed job."""
        self.settle()
        keys = []
        for future in self._futures:
            error = future.exception()
            if error is not None:
                if isinstance(error, JobError):
                    raise error
                raise JobError(
                    f"encoding or storing an output image failed ({type(error).__name__}: {error})"
                )
            keys.append(future.result())
        return keys


@dataclass
class S3Files:
    """The pool's compile cache files under `prefix` of `bucket` (`SDAPI_COMPILE_CACHE_PREFIX`): fetched at
    start, uploaded after a warm-up that compiled."""

    s3: object
    bucket: str
    prefix: str

    def fetch(self, name: str) -> bytes | None:
        """The file's bytes, or None when there is none (or it cannot be read: the warm-up then compiles)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}{name}")["Body"].read()
        except ClientError as exc:
            # without s3:ListBucket a missing key reads as AccessDenied, not NoSuchKey: both are a miss
            log.info("no compile cache at %s%s (%s)", self.prefix, name, exc.response["Error"].get("Code"))
        except BotoCoreError as exc:
            log.warning("compile cache %s%s not fetched: %s", self.prefix, name, exc)
        return None

    def upload(self, name: str, data: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=f"{self.prefix}{name}", Body=data, ContentType="application/octet-stream"
        )


def clients(region: str | None = None):
    """boto3 S3 and DynamoDB clients (endpoints from AWS_ENDPOINT_URL*, credentials from the role)."""
    import boto3

    session = boto3.session.Session(region_name=region)
    return session.client("s3"), session.client("dynamodb")
