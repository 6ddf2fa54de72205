"""The submit context (what an adapter needs besides the request) and the one builder of a canonical `Job`.

Everything here is pure: no I/O, no clock, no randomness (the caller passes `now`, the random seeds and any
fetched image bytes in the `SubmitContext`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sdapi.dialects.common.problems import invalid, problems_from_validation
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import Job, OutputOptions
from sdapi.schema.layout import OUTPUTS_ROOT

RANDOM = -1
"""A1111's "pick a random seed"."""


@dataclass(frozen=True)
class SubmitContext:
    """What an adapter needs besides the request to build a canonical job."""

    job_id: str
    owner: str
    catalog: Catalog
    now: float
    seed: int
    """Random seed used when the request asks for a random one (drawn by the caller)."""
    subseed: int
    """Random variation seed used when the request asks for a random one."""
    key_id: str | None = None
    images: Mapping[str, str] = field(default_factory=dict)
    """Base64 of inputs fetched by the caller (URLs, uploads), keyed by the caller's field path."""


def output_prefix(job_id: str, folder: str | None = None, root: str = OUTPUTS_ROOT) -> str:
    """Return where a job's images go: `{root}{id}/`, or `{root}{folder}/{id}/` under a caller's folder
    (root `outputs/`; SD-on-EKS tasks use the bucket's root, as the queue agent does)."""
    cleaned = (folder or "").strip("/")
    return f"{root}{cleaned}/{job_id}/" if cleaned else f"{root}{job_id}/"


def resolve_seed(value: int | None, drawn: int) -> int:
    """Apply A1111's rule: -1 (or None) means the drawn random seed; anything else is used as is (its range
    is checked by `Job`)."""
    if value is None or value == RANDOM:
        return drawn
    return value


def build_job(
    ctx: SubmitContext, *, base64: bool, folder: str | None = None, root: str = OUTPUTS_ROOT, **fields: Any
) -> Job:
    """Return the canonical job for `fields`, filled from the submit context (id, owner, key id, creation
    time, output prefix `{root}{folder}/{id}/`); pydantic's complaints become an InvalidRequest in canonical
    paths."""
    try:
        return Job(
            id=ctx.job_id,
            owner=ctx.owner,
            key_id=ctx.key_id,
            created_at=ctx.now,
            output=OutputOptions(prefix=output_prefix(ctx.job_id, folder, root), base64=base64),
            **fields,
        )
    except ValidationError as error:
        raise invalid(problems_from_validation(error)) from None
