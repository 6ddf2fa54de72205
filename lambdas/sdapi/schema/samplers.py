"""AUTOMATIC1111 sampler and schedule names, and their diffusers counterparts.

The front door uses this table to refuse unknown names (A1111 silently falls back; we answer 400), the
container uses it to build the scheduler. Names follow A1111 v1.9/1.10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SamplerSpec:
    """One A1111 sampler: the diffusers scheduler class and the config overrides that make it match."""

    name: str
    scheduler_class: str | None
    """diffusers scheduler class name; None means A1111 has it but diffusers has no counterpart."""
    config: dict[str, Any] = field(default_factory=dict)
    default_schedule: str = "normal"
    """The schedule type A1111 uses when the request says `automatic`."""
    approximate: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return self.scheduler_class is not None


_SPECS = [
    SamplerSpec(
        "DPM++ 2M",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2},
        "karras",
        aliases=("k_dpmpp_2m",),
    ),
    SamplerSpec("DPM++ SDE", "DPMSolverSDEScheduler", {}, "karras", aliases=("k_dpmpp_sde",)),
    SamplerSpec(
        "DPM++ 2M SDE",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2},
        "exponential",
        aliases=("k_dpmpp_2m_sde",),
    ),
    SamplerSpec(
        "DPM++ 2M SDE Heun",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "solver_type": "heun"},
        "exponential",
        aliases=("k_dpmpp_2m_sde_heun",),
    ),
    SamplerSpec(
        "DPM++ 2S a",
        "DPMSolverSinglestepScheduler",
        {"algorithm_type": "dpmsolver++"},
        "karras",
        approximate=True,
        aliases=("k_dpmpp_2s_a",),
    ),
    SamplerSpec(
        "DPM++ 3M SDE",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 3},
        "exponential",
        approximate=True,
        aliases=("k_dpmpp_3m_sde",),
    ),
    SamplerSpec("Euler a", "EulerAncestralDiscreteScheduler", {}, "normal", aliases=("k_euler_a",)),
    SamplerSpec("Euler", "EulerDiscreteScheduler", {}, "normal", aliases=("k_euler",)),
    SamplerSpec("LMS", "LMSDiscreteScheduler", {}, "normal", aliases=("k_lms",)),
    SamplerSpec("Heun", "HeunDiscreteScheduler", {}, "normal", aliases=("k_heun",)),
    SamplerSpec("DPM2", "KDPM2DiscreteScheduler", {}, "karras", aliases=("k_dpm_2",)),
    SamplerSpec("DPM2 a", "KDPM2AncestralDiscreteScheduler", {}, "karras", aliases=("k_dpm_2_a",)),
    SamplerSpec("DDIM", "DDIMScheduler", {}, "normal", aliases=("ddim",)),
    SamplerSpec("PLMS", "PNDMScheduler", {"skip_prk_steps": True}, "normal", aliases=("plms",)),
    SamplerSpec("UniPC", "UniPCMultistepScheduler", {}, "normal", aliases=("unipc",)),
    SamplerSpec("LCM", "LCMScheduler", {}, "normal", aliases=("k_lcm",)),
    SamplerSpec("DPM fast", None, aliases=("k_dpm_fast",)),
    SamplerSpec("DPM adaptive", None, aliases=("k_dpm_ad",)),
    SamplerSpec("Restart", None, aliases=("restart",)),
    SamplerSpec("DDIM CFG++", None, aliases=("ddim_cfgpp",)),
]

SAMPLERS: dict[str, SamplerSpec] = {spec.name: spec for spec in _SPECS}
"""A1111 sampler name → spec (including the names diffusers cannot serve, which are refused)."""

_BY_LOWER: dict[str, SamplerSpec] = {}
for _spec in _SPECS:
    _BY_LOWER[_spec.name.lower()] = _spec
    for _alias in _spec.aliases:
        _BY_LOWER[_alias.lower()] = _spec

SCHEDULES: dict[str, dict[str, Any] | None] = {
    # schedule type (A1111's `scheduler` field, lower-case) → diffusers config overrides; None = unsupported.
    "automatic": {},
    "uniform": {"timestep_spacing": "linspace"},
    "karras": {"use_karras_sigmas": True},
    "exponential": {"use_exponential_sigmas": True},
    "polyexponential": None,
    "sgm_uniform": {"timestep_spacing": "trailing"},
    "simple": {"timestep_spacing": "trailing"},
    "beta": {"use_beta_sigmas": True},
    "kl_optimal": None,
    "align_your_steps": None,
    "normal": {},
    "ddim": {"timestep_spacing": "leading"},
}
"""Schedule types A1111 knows. Those mapped to None have no diffusers counterpart and are refused."""

SCHEDULE_LABELS = {
    "automatic": "Automatic",
    "uniform": "Uniform",
    "karras": "Karras",
    "exponential": "Exponential",
    "polyexponential": "Polyexponential",
    "sgm_uniform": "SGM Uniform",
    "simple": "Simple",
    "beta": "Beta",
    "kl_optimal": "KL Optimal",
    "align_your_steps": "Align Your Steps",
    "normal": "Normal",
    "ddim": "DDIM",
}
"""Schedule type → the label A1111 prints in infotexts and `/sdapi/v1/schedulers`."""

_SUFFIXES = {label.lower(): key for key, label in SCHEDULE_LABELS.items()}


def find_sampler(name: str) -> SamplerSpec | None:
    """The spec for an A1111 sampler name or alias (case-insensitive); None if A1111 has no such sampler."""
    return _BY_LOWER.get(name.strip().lower())


def split_sampler_name(name: str) -> tuple[str, str | None]:
    """Split a trailing schedule word off a sampler name: "DPM++ SDE Karras" → ("DPM++ SDE", "karras").

    A name that is itself a sampler is returned whole with no schedule ("DPM++ 2M SDE" stays as it is).
    """
    cleaned = " ".join(name.split())
    if find_sampler(cleaned):
        return cleaned, None
    lowered = cleaned.lower()
    for suffix, key in sorted(_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(" " + suffix):
            return cleaned[: -len(suffix) - 1].strip(), key
    return cleaned, None


def schedule_key(name: str) -> str:
    """Normalise a schedule type ("Karras", "SGM Uniform", "sgm_uniform") to its key."""
    lowered = name.strip().lower()
    return _SUFFIXES.get(lowered, lowered.replace(" ", "_"))


def resolve_schedule(sampler: SamplerSpec, schedule: str) -> str:
    """The concrete schedule for a sampler: `automatic` becomes the sampler's default."""
    key = schedule_key(schedule)
    return sampler.default_schedule if key == "automatic" else key


def display_name(sampler: str, schedule: str) -> str:
    """A1111's combined display name ("DPM++ SDE Karras") as shown in `info.sampler_name`."""
    spec = find_sampler(sampler)
    if spec is None:
        return sampler
    key = resolve_schedule(spec, schedule)
    if key in ("normal", "automatic"):
        return spec.name
    return f"{spec.name} {SCHEDULE_LABELS.get(key, key)}"
