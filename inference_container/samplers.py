"""A1111 sampler + schedule type → a configured diffusers scheduler; unknown or unsupported names are
refused with InvalidJob."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import diffusers

from inference_container.errors import InvalidJob
from inference_container.seeds import ImageNoise
from sdapi.schema import sampler_knobs
from sdapi.schema.job import Job
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


def job_knobs(job: Job) -> dict[str, float]:
    """The knobs the job's sampler applies away from A1111's default, as the scheduler's `step` keyword
    arguments (`sdapi.schema.sampler_knobs`, the rule the door runs); InvalidJob naming each knob A1111's
    sampler would apply but the diffusers scheduler cannot."""
    spec, _ = resolve(job.sampler, job.scheduler)
    values = {knob: getattr(job, knob) for knob in sampler_knobs.KNOBS}
    applied, problems = sampler_knobs.resolve(spec.name, values)
    if problems:
        raise InvalidJob("; ".join(problem.reason for problem in problems))
    return applied


def build_scheduler(base_config: dict[str, Any], sampler: str, schedule: str, *, seeds: list[int]):
    """A fresh scheduler (one per batch) configured like A1111's sampler and schedule type; `seeds` are the
    batch's image seeds (DPM++ SDE's Brownian noise: one tree per image, seeded with the image's seed, as
    A1111 seeds k-diffusion's BrownianTreeNoiseSampler)."""
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
        overrides["noise_sampler_seed"] = [int(seed) for seed in seeds]
    config = {k: v for k, v in base_config.items() if not k.startswith("_")}
    config.update(overrides)
    return cls.from_config(config)


def drive(scheduler, noise: ImageNoise, step_arguments: dict[str, float]) -> None:
    """Make `scheduler.step` run with the job's knobs and draw its noise from the batch's own streams.

    The knobs (`job_knobs`) go to `step` as keyword arguments (the
    pipelines pass only `eta` and `generator`). The noise a step adds (ancestral, SDE, churn and DDIM-eta
    steps call diffusers' `randn_tensor` in the scheduler's module) is `noise.next()`: one draw from each
    image's stream, as A1111's samplers draw theirs, so each image depends on its own seed only. The
    module's `randn_tensor` is swapped only while `step` runs (the worker runs one job at a time). What the
    last `step` returned is kept as `scheduler.last_step` (the live preview reads the denoised estimate
    from it: `preview.denoised`).
    """
    module = sys.modules[type(scheduler).__module__]
    original_step = scheduler.step
    accepted = set(inspect.signature(original_step).parameters)
    extra = {name: value for name, value in step_arguments.items() if name in accepted}
    expected = (len(noise.seeds), *noise.spec.shape)

    def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
        if tuple(shape) != expected:
            raise RuntimeError(
                f"{type(scheduler).__name__} drew noise of shape {tuple(shape)}, not the batch's {expected}"
            )
        return noise.next().to(device=device, dtype=dtype)

    def step(*args, **kwargs):
        kwargs.update(extra)
        drawn = getattr(module, "randn_tensor", None)
        if drawn is None:
            scheduler.last_step = original_step(*args, **kwargs)
            return scheduler.last_step
        module.randn_tensor = randn_tensor
        try:
            scheduler.last_step = original_step(*args, **kwargs)
        finally:
            module.randn_tensor = drawn
        return scheduler.last_step

    scheduler.step = step
