"""The job lifecycle as the API sees it: submit, read, wait, cancel, retry, purge, load, outputs, uploads.

Happy-path AWS calls (what `bench/api_bench.py` counts):
- `submit`: 4 — S3 PutObject `inputs/{id}.json`, DynamoDB TransactWriteItems (job item QUEUED + the pool's
  counters, plus the idempotency marker in the SAME transaction when a key is given; with a
  `ClientRequestToken`), SageMaker runtime InvokeEndpointAsync, DynamoDB UpdateItem `enqueued_at` (what lets
  the sweeper tell a job nothing invoked from one waiting in the endpoint's queue). A webhook URL adds a
  DNS lookup (the SSRF check), no AWS call.
- `get`: 1 GetItem. `wait`: 1 GetItem per poll. `cancel`: 1 GetItem + 1 GetItem/TransactWriteItems pair.
- `load`: 1 BatchGetItem + 1 DescribeEndpoint per pool (instance counts cached for 10 s per process).
  `queue_size`: 1 BatchGetItem.
- `image_urls`: none (presigning is local). `images_base64`: 1 GetObject per image.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sdapi import ids
from sdapi.config import Settings
from sdapi.errors import (
    AlreadySubmitted,
    Conflict,
    Gone,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    UpstreamUnavailable,
)
from sdapi.images import check_image_bytes, to_base64
from sdapi.ports import BlobStore, EndpointInfo, Enqueuer, JobStore
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.items import ENQUEUED_AT
from sdapi.schema.job import ACTIVE_STATES, Job, JobState
from sdapi.service.load import estimate_queue_time
from sdapi.urlguard import UrlPolicy, check_url
from sdapi.validation import normalize, validate

logger = logging.getLogger(__name__)

ENQUEUE_FAILED = "the inference endpoint did not accept the job; submit it again"
"""The error a job records when SageMaker refused it (the AWS detail is logged, never shown)."""

DAY_S = 86400
IDEMPOTENCY_TTL_S = DAY_S
UPLOAD_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_INSTANCE_CACHE_S = 10.0


def input_key(job_id: str) -> str:
    """Where the job JSON the GPU reads is stored."""
    return f"inputs/{job_id}.json"


def idempotency_id(owner: str, key: str) -> str:
    """The jobs-table id of an idempotency marker ('#' never occurs in job ids)."""
    return f"idem#{owner}#{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


MAX_ITEM_BYTES = 350_000
"""Largest job item (its JSON) a submit may write: DynamoDB's item limit is 400 KB, and the item grows by
outputs, info and timings as the job runs."""


def _check_item_size(record: JobRecord) -> None:
    size = len(json.dumps(record.model_dump(mode="json"), separators=(",", ":"), default=str))
    if size > MAX_ITEM_BYTES:
        raise InvalidRequest(
            f"the request's parameters take {size} bytes to store with the job (images not counted); "
            f"the limit is {MAX_ITEM_BYTES}: shorten the prompts, context or scripts"
        )


def submit_token(job: Job) -> str:
    """The `ClientRequestToken` of the transaction that creates `job` (DynamoDB: 1-36 characters): the
    same for every retry of that write, different for any other submit (even one that drew the same id)."""
    material = f"{job.id}|{job.owner}|{job.attempt}|{job.created_at!r}|{job.seed}|{job.subseed}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Upload:
    """A presigned upload for `POST /v1/uploads`: PUT the bytes to `url` with `Content-Type: content_type`
    within `expires_in` seconds, then pass `reference` wherever an image is accepted."""

    url: str
    reference: str
    key: str
    content_type: str
    expires_in: int


class JobService:
    """Domain operations on jobs; every read checks the owner (another owner's job is NotFound)."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        blobs: BlobStore,
        enqueuer: Enqueuer,
        endpoints: EndpointInfo,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.enqueuer = enqueuer
        self.endpoints = endpoints
        self.clock = clock
        self.sleep = sleep
        self.url_policy = UrlPolicy.from_settings(settings)
        self._instances: dict[str, tuple[float, int | None]] = {}

    # -- submit ------------------------------------------------------------------------------------------

    def submit(
        self, job: Job, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> JobRecord:
        """Validate `job` against the deployment, store its input, record it QUEUED and enqueue it.

        Raises InvalidRequest (nothing written), UrlRefused for a bad webhook URL, Conflict for a taken id,
        UpstreamUnavailable when AWS fails (if the enqueue fails after the item was written, the job is
        recorded FAILED with the reason first: no QUEUED job is left that nothing will finish).
        With `idempotency_key`, a repeat by the same owner within a day returns the first job instead
        (IdempotencyKeyReused when `fingerprint`, the normalised request's, differs from the first one's);
        a first job that was recorded but never invoked (its submit was cut short) is invoked now.

        Idempotent end to end: the create transaction carries a `ClientRequestToken` derived from the job,
        and the invoke is recorded (`enqueued_at`), so no retry at any step leaves a QUEUED job that nothing
        will run (the sweeper fails those whose submit died between the two; `sdapi.service.sweeper`)."""
        validate(job, self.settings)
        job = normalize(job, self.settings.catalog)
        if job.webhook is not None:
            check_url(job.webhook.url, "webhook.url", policy=self.url_policy)
        pool = self.settings.catalog.pool(job.pool)
        assert pool is not None  # validate() checked it
        now = self.clock()
        record = self._record(job, now)
        _check_item_size(record)
        key = input_key(job.id)
        self.blobs.put_json(key, job.model_dump(mode="json"))
        try:
            self.store.create(
                job,
                record,
                idempotency_id=idempotency_id(job.owner, idempotency_key) if idempotency_key else None,
                idempotency_expires_at=int(now) + IDEMPOTENCY_TTL_S,
                fingerprint=fingerprint,
            )
        except AlreadySubmitted as replay:
            if None not in (replay.fingerprint, fingerprint) and replay.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used for a different request (job "
                    f"{replay.job_id}); use a new key, or resend the original request to get that job"
                ) from None
            return self._resume(self.get(replay.job_id, job.owner))
        self._enqueue(record, pool.endpoint_name, key, job.inference_id)
        return self._mark_enqueued(record)

    def _resume(self, record: JobRecord) -> JobRecord:
        """A replayed submit: invoke the first job if its own submit stopped before the invoke (a worker
        skips a job that is no longer QUEUED for that attempt, so a second invoke cannot run it twice)."""
        pool = self.settings.catalog.pool(record.pool)
        if record.state != JobState.QUEUED or record.enqueued_at is not None or pool is None:
            return record
        inference_id = record.id if record.attempt == 0 else f"{record.id}:{record.attempt}"
        self._enqueue(record, pool.endpoint_name, input_key(record.id), inference_id)
        return self._mark_enqueued(record)

    def _mark_enqueued(self, record: JobRecord) -> JobRecord:
        """Record that the endpoint accepted the invoke (1 UpdateItem). A failure here is logged, not
        raised: the job is queued at the endpoint and runs; only the sweeper's never-invoked rule could
        then fail it, and only if it is still QUEUED after the grace period."""
        enqueued_at = self.clock()
        try:
            self.store.update(record.id, {ENQUEUED_AT: enqueued_at})
        except UpstreamUnavailable as error:
            logger.warning("could not record the invoke", extra={"job_id": record.id, "error": error.message})
            return record
        return record.model_copy(update={"enqueued_at": enqueued_at})

    def _enqueue(self, record: JobRecord, endpoint: str, key: str, inference_id: str) -> None:
        try:
            self.enqueuer.invoke_async(endpoint, key, inference_id, record.execution_timeout_s, record.ttl_s)
        except Exception as error:
            detail = error.message if isinstance(error, UpstreamUnavailable) else f"enqueue failed: {error}"
            logger.warning("enqueue failed", extra={"job_id": record.id, "error": detail})
            self.store.transition(
                record.id,
                JobState.FAILED,
                expected=[JobState.QUEUED],
                attempt=record.attempt,
                updates={"error": ENQUEUE_FAILED, "completed_at": self.clock()},
            )
            raise UpstreamUnavailable(f"the job could not be queued: {detail}") from error

    def _record(self, job: Job, now: float) -> JobRecord:
        summary = job.model_dump(
            mode="json",
            exclude={
                "init_images": True,
                "mask": {"image"},
                "controlnet": {"__all__": {"image"}},
                "request": True,
                "context": True,
                "webhook": True,
            },
        )
        summary["init_image_count"] = len(job.init_images)
        return JobRecord(
            id=job.id,
            owner=job.owner,
            key_id=job.key_id,
            dialect=job.dialect,
            pool=job.pool,
            task=job.task,
            model=job.model,
            state=JobState.QUEUED,
            attempt=job.attempt,
            created_at=job.created_at,
            updated_at=now,
            progress_total=job.steps,
            summary=summary,
            request=job.request,
            output_prefix=job.output.prefix,
            track_id=job.track_id,
            task_id=job.task_id,
            context=job.context,
            webhook_url=job.webhook.url if job.webhook else None,
            webhook_events=list(job.webhook.events) if job.webhook else [],
            webhook_status="pending" if job.webhook else None,
            execution_timeout_s=job.timeouts.execution_s,
            ttl_s=job.timeouts.ttl_s,
            deadline_at=now + job.timeouts.ttl_s,
            expires_at=int(now) + self.settings.job_retention_days * DAY_S,
            active_pool=job.pool,
            submit_token=submit_token(job),
        )

    # -- reads -------------------------------------------------------------------------------------------

    def get(self, job_id: str, owner: str) -> JobRecord:
        """The caller's job (1 GetItem). NotFound for unknown ids and other owners' jobs; Gone when the job
        is past its retention (its record expired, or a generated id older than the retention)."""
        record = self.store.get(job_id)
        now = self.clock()
        if record is None:
            created = ids.created_at(job_id)
            if created is not None and now - created > self.settings.job_retention_days * DAY_S:
                raise self._gone(job_id)
            raise NotFound(f"job {job_id} not found")
        if record.owner != owner:
            raise NotFound(f"job {job_id} not found")
        if record.expires_at is not None and record.expires_at < now:
            raise self._gone(job_id)
        return record

    def _gone(self, job_id: str) -> Gone:
        return Gone(f"job {job_id} has expired (jobs are kept {self.settings.job_retention_days} days)")

    def wait(self, job_id: str, owner: str, timeout_s: float, poll_s: float = 0.5) -> JobRecord:
        """Poll the job until it is terminal or `timeout_s` passes; returns the last record read."""
        deadline = self.clock() + max(0.0, timeout_s)
        while True:
            record = self.get(job_id, owner)
            remaining = deadline - self.clock()
            if record.terminal or remaining <= 0:
                return record
            self.sleep(min(poll_s, remaining))

    # -- changes -----------------------------------------------------------------------------------------

    def cancel(self, job_id: str, owner: str) -> JobRecord:
        """QUEUED/IN_PROGRESS → CANCELLED (the worker stops at its next progress write, or skips the job).
        A job that is already terminal is returned as it is (no error): callers see its final state."""
        record = self.get(job_id, owner)
        if record.terminal:
            return record
        changed = self.store.transition(
            job_id,
            JobState.CANCELLED,
            expected=ACTIVE_STATES,
            updates={"completed_at": self.clock()},
        )
        return changed or self.get(job_id, owner)

    def active_jobs(self, owner: str, pool: str | None = None) -> list[JobRecord]:
        """The owner's QUEUED and IN_PROGRESS jobs (on `pool`, or on every pool): one index query per pool,
        over active jobs only."""
        pools = [pool] if pool else [p.name for p in self.settings.catalog.pools]
        return [r for name in pools for r in self.store.active(name, owner)]

    def latest_active(self, owner: str, pool: str | None = None) -> JobRecord | None:
        """The owner's most recent running job, else its most recent queued one, else None."""
        records = self.active_jobs(owner, pool)
        running = [r for r in records if r.state == JobState.IN_PROGRESS]
        chosen = running or records
        if not chosen:
            return None
        return max(chosen, key=lambda r: (r.started_at or 0.0, r.created_at))

    def interrupt(self, owner: str, pool: str | None = None, *, skip: bool = False) -> JobRecord | None:
        """A1111's `/interrupt` (with `skip`, `/skip`) of the owner's running job: recorded on the job for
        its worker, which ends the denoising at its next progress write and keeps what it made (an interrupt
        runs no further batch iterations; a skip ends only the current one). The job still completes with
        its images: this is not a cancel. None when the owner has no running job (a queued one is left
        alone, as A1111's flags act on the generation running now)."""
        running = [r for r in self.active_jobs(owner, pool) if r.state == JobState.IN_PROGRESS]
        if not running:
            return None
        record = max(running, key=lambda r: (r.started_at or 0.0, r.created_at))
        return record if self.store.signal(record.id, skip=skip) else None

    def key_options(self, key_id: str) -> dict[str, Any]:
        """The A1111 options stored for an API key (`POST /sdapi/v1/options`)."""
        return self.store.key_options(key_id)

    def set_key_options(self, key_id: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `options` into the key's stored options and return the result."""
        merged = {**self.store.key_options(key_id), **options}
        self.store.put_key_options(key_id, merged)
        return merged

    def retry(self, job_id: str, owner: str) -> JobRecord:
        """FAILED/TIMED_OUT → QUEUED with `attempt + 1` (RunPod `/retry`), re-invoked with inference id
        `{id}:{attempt}` from the stored input. Conflict for any other state."""
        record = self.get(job_id, owner)
        if record.state not in (JobState.FAILED, JobState.TIMED_OUT):
            raise Conflict(f"job {job_id} is {record.state}; only FAILED or TIMED_OUT jobs can be retried")
        pool = self.settings.catalog.pool(record.pool)
        if pool is None:
            raise Conflict(f"job {job_id} ran on pool {record.pool}, which this deployment no longer has")
        key = input_key(job_id)
        try:
            stored = self.blobs.get_json(key)
        except NotFound as error:
            raise Gone(f"the input of job {job_id} has expired; submit it again") from error
        attempt = record.attempt + 1
        now = self.clock()
        changed = self.store.transition(
            job_id,
            JobState.QUEUED,
            expected=[record.state],
            attempt=record.attempt,
            updates={
                "attempt": attempt,
                "error": None,
                "started_at": None,
                "completed_at": None,
                "progress_step": 0,
                "outputs": [],
                "n_generated": 0,
                "deadline_at": now + record.ttl_s,
                "webhook_status": "pending" if record.webhook_url else None,
                ENQUEUED_AT: None,
            },
        )
        if changed is None:
            raise Conflict(f"job {job_id} changed while retrying; read it again")
        stored["attempt"] = attempt
        self.blobs.put_json(key, stored)
        inference_id = f"{job_id}:{attempt}"
        self._enqueue(changed, pool.endpoint_name, key, inference_id)
        return self._mark_enqueued(changed)

    def purge_queue(self, owner: str, pool: str) -> int:
        """Cancel every QUEUED job of `owner` on `pool`; returns how many were cancelled."""
        cancelled = 0
        for record in self.store.queued(pool, owner):
            done = self.store.transition(
                record.id,
                JobState.CANCELLED,
                expected=[JobState.QUEUED],
                updates={"completed_at": self.clock()},
            )
            cancelled += done is not None
        return cancelled

    # -- load --------------------------------------------------------------------------------------------

    def load(self, pool: str | None = None) -> SystemLoad:
        """Counters and instance counts of one pool (or all); `queue_time_s` is for the named pool, or for
        the default pool when none is named."""
        catalog = self.settings.catalog
        if pool is not None and catalog.pool(pool) is None:
            raise NotFound(f"no model pool named {pool}")
        pools = [catalog.pool(pool)] if pool else list(catalog.pools)
        counters = self.store.counters([p.name for p in pools])
        instances = {p.name: self._instance_count(p.endpoint_name) for p in pools}
        focus = pool or catalog.default_pool
        focus_pool = catalog.pool(focus)
        focus_counters = next(c for c in counters if c.pool == focus)
        queue_time = estimate_queue_time(
            focus_counters, instances[focus], focus_pool.max_concurrency, self.settings.cold_start_s
        )
        return SystemLoad(pools=counters, instances=instances, queue_time_s=queue_time)

    def queue_size(self, pool: str) -> int:
        """Jobs queued or running on `pool` (1 BatchGetItem: no endpoint read, unlike `load`)."""
        return sum(c.queued + c.in_progress for c in self.store.counters([pool]))

    def _instance_count(self, endpoint: str) -> int | None:
        now = self.clock()
        cached = self._instances.get(endpoint)
        if cached and cached[0] > now:
            return cached[1]
        count = self.endpoints.instance_count(endpoint)
        self._instances[endpoint] = (now + _INSTANCE_CACHE_S, count)
        return count

    # -- outputs and uploads -----------------------------------------------------------------------------

    def image_urls(self, record: JobRecord, include_maps: bool = True) -> list[str]:
        """Presigned GET URLs of the outputs (generated images, then ControlNet maps unless excluded)."""
        keys = record.outputs if include_maps else record.images
        return [self.blobs.presign_get(k, self.settings.presign_expiry_s) for k in keys]

    def images_base64(self, record: JobRecord, include_maps: bool = True) -> list[str]:
        """The outputs as bare base64 (1 GetObject each); Gone when they have expired."""
        keys = record.outputs if include_maps else record.images
        try:
            return [to_base64(self.blobs.get_bytes(k)) for k in keys]
        except NotFound as error:
            raise Gone(f"the images of job {record.id} have expired") from error

    def upload_url(self, owner: str, content_type: str) -> Upload:
        """A presigned PUT for a large input image under `uploads/{owner}/`."""
        ext = UPLOAD_TYPES.get(content_type.split(";")[0].strip().lower())
        if ext is None:
            raise InvalidRequest.field("content_type", "must be image/png, image/jpeg or image/webp")
        key = f"{_upload_prefix(owner)}{uuid.uuid4().hex}.{ext}"
        expiry = min(self.settings.presign_expiry_s, 3600)
        url = self.blobs.presign_put(key, expiry, f"image/{'jpeg' if ext == 'jpg' else ext}")
        return Upload(
            url=url, reference=self.blobs.s3_uri(key), key=key, content_type=content_type, expires_in=expiry
        )

    def read_upload(self, reference: str, owner: str, field: str) -> str:
        """The base64 of an uploaded image named by its `reference` (`s3://bucket/uploads/{owner}/…`),
        checked to be the caller's own and a valid image. InvalidRequest naming `field` otherwise."""
        key = self.blobs.key_from_uri(reference)
        if key is None:
            raise InvalidRequest.field(field, "is not an upload reference of this deployment")
        if not key.startswith(_upload_prefix(owner)) or ".." in key:
            raise InvalidRequest.field(field, "refers to an upload that is not yours")
        try:
            data = self.blobs.get_bytes(key)
        except NotFound as error:
            raise InvalidRequest.field(field, "upload not found (never uploaded, or expired)") from error
        check_image_bytes(data, field, self.settings.limits)
        return to_base64(data)

    @staticmethod
    def is_upload_reference(value: Any) -> bool:
        return isinstance(value, str) and value.startswith("s3://")


def _upload_prefix(owner: str) -> str:
    return f"uploads/{quote(owner, safe='')}/"
