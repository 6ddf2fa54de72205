"""Record → the native answers: the job view (`GET /v1/jobs/{id}`), the load and model listings, and the
webhook body `{type, timestamp, data}` whose `data` is the job view."""

from __future__ import annotations

import json
from typing import Any

from sdapi.dialects.common import Outputs, OutputSource, WebhookEvent
from sdapi.dialects.native.models import JobView, Progress
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import JobState
from sdapi.schema.upscaling import BUILTIN_UPSCALERS, LATENT_UPSCALE_MODES
from sdapi.timestamps import iso


def job_view(record: JobRecord, images: list[str]) -> dict[str, Any]:
    """Return the job view; `images` are the outputs (URLs or base64) in stored order: generated, then
    maps."""
    total = record.progress_total or 0
    step = total if record.state == JobState.COMPLETED else record.progress_step
    generated = record.n_generated if record.n_generated else len(images)
    view = JobView(
        id=record.id,
        state=record.state,
        task=record.task.value,
        pool=record.pool,
        model=record.model,
        created_at=record.created_at,
        started_at=record.started_at,
        completed_at=record.completed_at,
        progress=Progress(step=step, total=total, fraction=round(step / total, 4) if total else 0.0),
        queue_ms=record.delay_ms,
        execution_ms=record.execution_ms if record.terminal else None,
        images=images[:generated],
        control_maps=images[generated:],
        nsfw=record.nsfw,
        info=_info(record.info),
        error=record.error,
        webhook_status=record.webhook_status,
        track_id=record.track_id,
        context=record.context,
    )
    return view.model_dump(mode="json")


def _info(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def answer(record: JobRecord, source: OutputSource, *, base64: bool = False) -> dict[str, Any]:
    """Return the job view with the job's images (URLs, or base64 when asked and they fit), and a
    `warning` when they did not fit."""
    out = source.outputs(record, base64=base64) if record.outputs else Outputs([])
    view = job_view(record, out.images)
    if out.warning:
        view["warning"] = out.warning
    return view


def load_view(load: SystemLoad) -> dict[str, Any]:
    """Return `GET /v1/system/load`: every pool's counters, instances and estimated wait."""
    return load.model_dump(mode="json")


def models_view(catalog: Catalog) -> dict[str, Any]:
    """Return `GET /v1/models`: the deployment's pools and catalog entries, its prompt styles, and the
    upscalers that need no catalog entry (hires fix's Latent modes, A1111's built-ins)."""
    return {
        "default_pool": catalog.default_pool,
        "pools": [
            {"name": p.name, "default_model": p.default_model, "models": list(p.models)}
            for p in catalog.pools
        ],
        "models": [
            {
                "name": m.name,
                "family": m.family.value,
                "base": m.base.value if m.base else None,
                "hash": m.hash,
                "title": m.title or m.name,
                "aliases": list(m.aliases),
            }
            for m in catalog.models
        ],
        "styles": [s.model_dump() for s in catalog.styles],
        "latent_upscale_modes": list(LATENT_UPSCALE_MODES),
        "builtin_upscalers": list(BUILTIN_UPSCALERS),
    }


def webhook_body(record: JobRecord, event: WebhookEvent, source: OutputSource) -> dict[str, Any]:
    """Return the native webhook body: `{type, timestamp, data}` with `data` the job view (image URLs)."""
    return {
        "type": f"job.{event.event}",
        "timestamp": iso(event.occurred_at),
        "data": job_view(record, source.outputs(record, base64=False).images),
    }
