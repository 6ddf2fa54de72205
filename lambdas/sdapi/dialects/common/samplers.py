"""A1111's sampler and schedule choice from a sampler name and a `scheduler` field."""

from __future__ import annotations

from sdapi.schema.samplers import find_sampler, schedule_key, split_sampler_name

DEFAULT_SAMPLER = "Euler a"
"""The sampler a request gets when it names none (the community RunPod worker's default)."""

AUTOMATIC = "automatic"
"""The schedule that means "the sampler's own default"."""


def resolve_sampler(
    name: str | None, scheduler: str | None, default: str = DEFAULT_SAMPLER
) -> tuple[str, str]:
    """Return (sampler, schedule) by A1111's rule: a schedule word at the end of the sampler name ("DPM++ 2M
    Karras") sets the schedule and wins over the `scheduler` field; otherwise the `scheduler` field;
    otherwise `automatic`. Names are normalised here; unknown or unsupported ones are refused by
    `sdapi.validation` (400)."""
    base, suffix = split_sampler_name(name or default)
    spec = find_sampler(base)
    chosen = suffix or (schedule_key(scheduler) if scheduler else AUTOMATIC)
    return (spec.name if spec else base), chosen
