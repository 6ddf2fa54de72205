"""Shared helpers of the dialect tests: the local catalog, a submit context with fixed seeds, and the stored
record of a freshly queued job."""

from __future__ import annotations

import io
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


def png_with_text(text: dict[str, str]) -> bytes:
    """An 8x8 PNG carrying `text` as its text chunks (A1111 writes its infotext as `parameters`)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    for key, value in text.items():
        meta.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=meta)
    return buffer.getvalue()
