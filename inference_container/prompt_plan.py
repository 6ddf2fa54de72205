"""The prompt side of a job's plan: styles merged, LoRA tags read, every LoRA and named embedding resolved
against the container's catalog and the checkpoint's family (InvalidJob before any work if one is off)."""

from __future__ import annotations

from inference_container import conditioning
from inference_container.catalog import ModelCatalog
from inference_container.errors import InvalidJob
from inference_container.loras import LoraUse
from sdapi.schema.catalog import Family, ModelEntry
from sdapi.schema.job import Job


def plan_prompt(
    job: Job, checkpoint: ModelEntry, catalog: ModelCatalog
) -> tuple[conditioning.JobText, list[LoraUse]]:
    try:
        text = conditioning.job_text(job)
    except ValueError as exc:
        raise InvalidJob(f"prompt: {exc}") from exc
    uses = []
    for request in (*job.loras, *text.loras):
        entry = _fitting(catalog, request.name, Family.LORA, "lora", checkpoint)
        if request.dyn_dim is not None:
            raise InvalidJob(f"lora {entry.name!r}: dyn (DyLoRA rank) is not supported")
        uses.append(LoraUse(entry, request))
    for name in job.embeddings:
        _fitting(catalog, name, Family.EMBEDDING, "embedding", checkpoint)
    return text, uses


def _fitting(catalog: ModelCatalog, name: str, family: Family, what: str, checkpoint: ModelEntry):
    entry = catalog.require(name, {family}, what)
    if not entry.fits(checkpoint.family):
        raise InvalidJob(
            f"{what} {entry.name!r} is for {entry.base} models; "
            f"model {checkpoint.name!r} is {checkpoint.family}"
        )
    return entry
