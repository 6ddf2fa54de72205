"""A1111 sampler + schedule type → a configured diffusers scheduler; unknown or unsupported names are
refused with InvalidJob."""

from __future__ import annotations

import inspect
from typing import Any

import diffusers

from inference_container.errors import InvalidJob
from sdapi.schema.samplers import SAMPLERS, SCHEDULES, SamplerSpec, find_sampler, resolve_schedule

_SIGMA_FLAGS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")


def supported_samplers() -> list[str]:
    return [name for name, spec in SAMPLERS.items() if spec.supported]


def resolve(sampler: str, schedule: str) -> tuple[SamplerSpec, str]:
    """The sampler spec and the concrete schedule key, or InvalidJob naming what is available."""
    spec = find_sampler(sampler)
    if spec is None:
        raise InvalidJob(f"sampler {sampler!r} is unknown; available: {supported_samplers()}")
    if not spec.supported:
        raise InvalidJob(
            f"sampler {spec.name!r} has no diffusers counterpart in this container; "
            f"use one of {supported_samplers()}"
        )
    key = resolve_schedule(spec, schedule)
    if key not in SCHEDULES:
        raise InvalidJob(f"schedule type {schedule!r} is unknown; available: {sorted(SCHEDULES)}")
    if SCHEDULES[key] is None:
        supported = sorted(k for k, v in SCHEDULES.items() if v is not None)
        raise InvalidJob(f"schedule type {key!r} has no diffusers counterpart; use one of {supported}")
    return spec, key


def build_scheduler(base_config: dict[str, Any], sampler: str, schedule: str, *, seed: int):
    """A fresh scheduler (one per job) configured like A1111's sampler and schedule type."""
    spec, key = resolve(sampler, schedule)
    cls = getattr(diffusers, spec.scheduler_class)
    accepted = set(inspect.signature(cls.__init__).parameters)
    overrides: dict[str, Any] = {flag: False for flag in _SIGMA_FLAGS if flag in accepted}
    overrides.update(spec.config)
    schedule_overrides = SCHEDULES[key] or {}
    for option in schedule_overrides:
        if option not in accepted:
            raise InvalidJob(
                f"sampler {spec.name!r} cannot use the {key!r} schedule type in diffusers "
                f"({spec.scheduler_class} has no {option}); pick another schedule type or 'automatic'"
            )
    overrides.update(schedule_overrides)
    if "noise_sampler_seed" in accepted:
        overrides["noise_sampler_seed"] = int(
            seed
        )  # DPM++ SDE's Brownian tree: seeded like A1111, not random
    config = {k: v for k, v in base_config.items() if not k.startswith("_")}
    config.update(overrides)
    return cls.from_config(config)
