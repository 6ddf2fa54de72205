"""Shared helpers of the dialect tests: the local catalog, a submit context with fixed seeds, and the stored
record of a freshly queued job."""

from __future__ import annotations

from typing import Any

from local.catalog import local_catalog
from sdapi.dialects.common import SubmitContext
from sdapi.records import JobRecord
from sdapi.schema.job import Job, JobState

CATALOG = local_catalog()
NOW = 1_763_700_000.0


def ctx(**overrides: Any) -> SubmitContext:
    """A submit context for job `1234567890` of alice, with drawn seeds fixed; `overrides` win."""
    values: dict[str, Any] = {
        "job_id": "1234567890",
        "owner": "alice",
        "key_id": "key_1",
        "catalog": CATALOG,
        "now": NOW,
        "seed": 1629676606,
        "subseed": 3939751520,
    }
    values.update(overrides)
    return SubmitContext(**values)


def record_for(job: Job, **fields: Any) -> JobRecord:
    """The stored record of a freshly queued `job`, with `fields` overriding (for response-shape tests)."""
    values = {
        "id": job.id,
        "owner": job.owner,
        "dialect": job.dialect,
        "pool": job.pool,
        "task": job.task,
        "model": job.model,
        "state": JobState.QUEUED,
        "created_at": job.created_at,
        "request": job.request,
        "output_prefix": job.output.prefix,
    }
    values.update(fields)
    return JobRecord(**values)
