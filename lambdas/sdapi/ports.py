"""The outside world, as the domain sees it. `sdapi.aws` implements these with boto3 (the only place boto3
is imported); tests may use the real adapters against moto.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sdapi.records import Counters, JobRecord, Recount
from sdapi.schema.job import Job, JobState


class JobStore(Protocol):
    def create(
        self,
        job: Job,
        record: JobRecord,
        *,
        idempotency_id: str | None = None,
        idempotency_expires_at: int | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Put the job item (fails with Conflict if the id is taken) and bump the pool's queued counter,
        in one transaction. With `idempotency_id`, a marker item is put in the same transaction; if it
        exists already, AlreadySubmitted (errors.py) names the job it created and the fingerprint of that
        request. Idempotent under retries of the same write (`record.submit_token`)."""

    def get(self, job_id: str) -> JobRecord | None: ...

    def transition(
        self,
        job_id: str,
        to: JobState,
        *,
        expected: Iterable[JobState],
        attempt: int | None = None,
        updates: Mapping[str, Any] | None = None,
        exec_ms: int | None = None,
    ) -> JobRecord | None:
        """Move a job to `to` if its state is one of `expected` (and its attempt matches, if given),
        setting `updates` and moving the counters in the same transaction. Returns the new record, or None
        when the condition did not hold (a duplicate or late event: nothing changed)."""

    def update(self, job_id: str, updates: Mapping[str, Any]) -> None:
        """Set non-state attributes (webhook status, …)."""

    def signal(self, job_id: str, *, skip: bool) -> bool:
        """Record A1111's interrupt (or, with `skip`, one more skip) on an IN_PROGRESS job; False when the
        job is not IN_PROGRESS (nothing recorded)."""

    def overdue(self, pool: str, now: float, limit: int = 100) -> list[JobRecord]:
        """Active jobs of a pool whose deadline has passed (GSI `by_deadline`)."""

    def queued(self, pool: str, owner: str | None = None) -> list[JobRecord]: ...

    def active(self, pool: str, owner: str | None = None) -> list[JobRecord]:
        """QUEUED and IN_PROGRESS jobs of a pool (optionally one owner's), from the sparse deadline index."""

    def key_options(self, key_id: str) -> dict[str, Any]:
        """The A1111 options stored for an API key (empty when none)."""

    def put_key_options(self, key_id: str, options: Mapping[str, Any]) -> None:
        """Store an API key's A1111 options (replacing the previous ones)."""

    def counters(self, pools: Iterable[str]) -> list[Counters]:
        """All pools' counters in one call."""

    def recount(self, pool: str, settled_before: float | None = None) -> Recount:
        """Recount the pool's active jobs from the table and correct the gauges that differ, unless the
        counters moved while counting (or after `settled_before`): then nothing is written."""


class BlobStore(Protocol):
    def put_json(self, key: str, data: Any, tagging: str | None = None) -> None: ...
    def get_json(self, key: str) -> Any: ...
    def get_bytes(self, key: str) -> bytes: ...
    def presign_get(self, key: str, expiry_s: int) -> str: ...
    def presign_put(self, key: str, expiry_s: int, content_type: str) -> str: ...
    def s3_uri(self, key: str) -> str: ...
    def key_from_uri(self, uri: str) -> str | None: ...


class Enqueuer(Protocol):
    def invoke_async(
        self, endpoint: str, input_key: str, inference_id: str, timeout_s: int, ttl_s: int
    ) -> str:
        """InvokeEndpointAsync; returns SageMaker's OutputLocation."""


class EndpointInfo(Protocol):
    def instance_count(self, endpoint: str) -> int | None: ...


class EventPublisher(Protocol):
    def publish(self, event: Mapping[str, Any], attributes: Mapping[str, str]) -> None:
        """Publish one job event on the public events topic."""


class WebhookQueue(Protocol):
    def send(self, message: Mapping[str, Any], delay_s: int = 0) -> None: ...

    def dead_letter(self, message: Mapping[str, Any]) -> None:
        """Put a webhook message that will not be retried on the webhook dead-letter queue."""
