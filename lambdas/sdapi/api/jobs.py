"""Shared steps of the routes: resolve URL/upload inputs through the guard, build the job in a submit
context, submit it with the caller's idempotency key, and give the dialects a job's outputs in the form
they ask for (`ServiceOutputs`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aws_lambda_powertools.event_handler.request import Request

from sdapi.api.deps import Deps, time_left_s
from sdapi.api.fingerprint import request_fingerprint
from sdapi.auth import Principal
from sdapi.dialects.common import Outputs, PathMapper, SubmitContext, caller_paths
from sdapi.errors import Conflict
from sdapi.ids import new_id
from sdapi.images import to_base64
from sdapi.records import JobRecord
from sdapi.schema.job import MAX_SEED, Job
from sdapi.urlguard import fetch_image

GENERATED_ID_ATTEMPTS = 3
RESPONSE_BUDGET_BYTES = 5_500_000
"""Base64 images beyond this would push a response past Lambda's 6 MB limit: URLs are returned instead."""

TOO_LARGE_WARNING = (
    "the images are too large to return inline (Lambda's 6 MB response limit): "
    "`images` holds presigned URLs instead of base64"
)

IDEMPOTENCY_HEADER = "idempotency-key"

ANSWER_MARGIN_S = 3.0
"""What a synchronous route keeps of the invocation's time after its wait: the last job read, presigning or
reading the images and writing the answer."""


def sync_wait_s(deps: Deps, request: Request, asked_s: float | None = None) -> float:
    """How long a synchronous route waits for its job: the deployment's cap (`SDAPI_SYNC_WAIT_S`) or the
    caller's shorter ask, and never past the invocation's remaining time less `ANSWER_MARGIN_S`, so the
    answer is written before Lambda (or the integration in front of it) cuts the request off."""
    cap = deps.settings.sync_wait_s if asked_s is None else min(asked_s, deps.settings.sync_wait_s)
    return max(0.0, min(cap, time_left_s(request) - ANSWER_MARGIN_S))


def resolve_inputs(deps: Deps, references: Mapping[str, str], owner: str) -> dict[str, str]:
    """Return the base64 of each URL (fetched through the SSRF guard) or upload reference, keyed by caller
    path. A refusal is a 400 naming that path."""
    resolved: dict[str, str] = {}
    for path, reference in references.items():
        if deps.service.is_upload_reference(reference):
            resolved[path] = deps.service.read_upload(reference, owner, path)
        else:
            resolved[path] = to_base64(fetch_image(reference, path, policy=deps.url_policy))
    return resolved


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    fingerprint: str
    """Of the normalised request (`sdapi.api.fingerprint`): a reused key with another request is a 422."""


def idempotency_key(request: Request) -> IdempotencyKey | None:
    """Return the request's `Idempotency-Key` header (any letter case), if it was sent, with the request's
    fingerprint."""
    event = request.resolved_event
    key = event.get_header_value(IDEMPOTENCY_HEADER, case_sensitive=False)
    if not key:
        return None
    return IdempotencyKey(key, request_fingerprint(event.http_method, event.path, event.json_body))


def submit(
    deps: Deps,
    build: Callable[[SubmitContext], Job],
    caller: Principal,
    to_caller: PathMapper,
    *,
    images: Mapping[str, str] | None = None,
    job_id: str | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> JobRecord:
    """Build the canonical job and submit it; domain errors come back in the caller's own field paths.
    A generated id that another job drew in the same millisecond (a Conflict) is drawn again."""
    attempts = 1 if job_id else GENERATED_ID_ATTEMPTS
    for attempt in range(attempts):
        ctx = SubmitContext(
            job_id=job_id or new_id(),
            owner=caller.owner,
            key_id=caller.key_id,
            catalog=deps.settings.catalog,
            now=time.time(),
            seed=secrets.randbelow(MAX_SEED),
            subseed=secrets.randbelow(MAX_SEED),
            images=dict(images or {}),
        )
        try:
            with caller_paths(to_caller):
                job = build(ctx)
                if idempotency_key is None:
                    return deps.service.submit(job)
                return deps.service.submit(
                    job, idempotency_key=idempotency_key.key, fingerprint=idempotency_key.fingerprint
                )
        except Conflict:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class ServiceOutputs:
    """A job's outputs for the api Lambda's answers: presigned URLs, or base64 that falls back to URLs (with
    a warning saying so) when it would not fit in a Lambda response."""

    def __init__(self, deps: Deps):
        self.deps = deps

    @property
    def bucket(self) -> str:
        """The bucket holding the outputs."""
        return self.deps.settings.bucket

    def outputs(self, record: JobRecord, *, base64: bool) -> Outputs:
        """Return the job's images (generated, then ControlNet maps) as base64 or presigned URLs."""
        service = self.deps.service
        if not base64:
            return Outputs(service.image_urls(record))
        encoded = service.images_base64(record)
        if sum(len(i) for i in encoded) > RESPONSE_BUDGET_BYTES:
            return Outputs(service.image_urls(record), TOO_LARGE_WARNING)
        return Outputs(encoded)


def future_urls(deps: Deps, record: JobRecord) -> list[str]:
    """Return presigned URLs of the keys the job's generated images will have (v3 `future_links`)."""
    count = int(record.summary.get("batch_size", 1)) * int(record.summary.get("n_iter", 1))
    expiry = deps.settings.presign_expiry_s
    return [deps.service.blobs.presign_get(f"{record.output_prefix}{i}.png", expiry) for i in range(count)]
