"""The door knows the prompt's names: LoRAs (`<lora:…>` tags and v3 `lora_model`), embeddings (v3
`embeddings_model`) and styles are checked against the deployment's catalog before anything is queued.

Problems use canonical `Job` paths (`prompt`, `loras[0]`, `embeddings[0]`, `styles[0]`) like the rest of
`sdapi.validation`. `resolve_styles` replaces the style names a dialect put on the job with the deployment's
style definitions (the container applies them: A1111's `{prompt}` rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sdapi.schema.catalog import Catalog, Family, ModelEntry, Pool
from sdapi.schema.job import Job
from sdapi.schema.prompt import apply_styles, loras_of
from sdapi.schema.prompt.networks import InvalidTag

AND = re.compile(r"\bAND\b")
TRAILING_WEIGHT = re.compile(r"\s*:\s*[-+]?(?:\d+\.?|\d*\.\d+)\s*$")
"""A1111 reads a positive prompt ending in `:number` as a composable-diffusion weight, not as text."""

Add = Callable[[str, str], None]


def check_prompt_names(
    job: Job, catalog: Catalog, pool: Pool, checkpoint: ModelEntry | None, add: Add
) -> None:
    styles = []
    for i, style in enumerate(job.styles):
        found = catalog.style(style.name)
        if found is None:
            known = ", ".join(s.name for s in catalog.styles) or "none are configured"
            add(f"styles[{i}]", f"unknown style {style.name!r} (styles: {known})")
        else:
            styles.append(found)
    prompt, _ = apply_styles(job.prompt, job.negative_prompt, styles)
    if AND.search(prompt):
        add("prompt", "AND (composable diffusion) is not supported")
    try:
        text, tagged = loras_of(prompt)
        if TRAILING_WEIGHT.search(text):
            add("prompt", "a trailing ':weight' is a composable-diffusion weight in A1111 and not supported")
    except InvalidTag as error:
        add("prompt", str(error))
        tagged = []
    for request in tagged:
        _addon(catalog, pool, checkpoint, request.name, "prompt", Family.LORA, "LoRA", add)
        if request.dyn_dim is not None:
            add("prompt", f"<lora:{request.name}:…:dyn> (DyLoRA rank) is not supported")
    for i, request in enumerate(job.loras):
        _addon(catalog, pool, checkpoint, request.name, f"loras[{i}]", Family.LORA, "LoRA", add)
    for i, name in enumerate(job.embeddings):
        _addon(catalog, pool, checkpoint, name, f"embeddings[{i}]", Family.EMBEDDING, "embedding", add)


def resolve_styles(job: Job, catalog: Catalog) -> Job:
    """The job with each named style replaced by the deployment's definition (call after validation)."""
    if not job.styles:
        return job
    styles = tuple(catalog.style(s.name) or s for s in job.styles)
    return job.model_copy(update={"styles": styles})


def _addon(catalog, pool, checkpoint, name, field, family, what, add) -> None:
    entry = catalog.find(name)
    if entry is None or entry.family != family:
        add(field, f"{what} {name!r} is not in this deployment's catalog")
    elif checkpoint is not None and not entry.fits(checkpoint.family):
        base = entry.base.value if entry.base else "any"
        add(
            field,
            f"{what} {entry.name} is for {base} checkpoints but {checkpoint.name} is {checkpoint.family}",
        )
    elif entry.name not in pool.models:
        add(field, f"{what} {entry.name} is not served by pool {pool.name}")
