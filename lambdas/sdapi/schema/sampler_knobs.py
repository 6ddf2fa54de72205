"""Which sampler takes which knob (`eta`, `s_churn`, `s_tmin`, `s_tmax`, `s_noise`): the one rule the door and
the worker share.

A1111 hands a knob to a sampler only when the k-diffusion (or DDIM) function takes it
(`modules/sd_samplers_kdiffusion.py`: `eta` to the ancestral and SDE samplers and DDIM, `s_churn`/`s_tmin`/
`s_tmax` to Euler, Heun and DPM2, `s_noise` to those and the ancestral/SDE ones); every other sampler ignores
it, upstream too. diffusers takes fewer: `DDIMScheduler.step(eta=)`, `EulerDiscreteScheduler.step(s_churn=,
s_tmin=, s_tmax=, s_noise=)` and `DPMSolverSDEScheduler.step(s_noise=)`. So a knob is

- applied where both take it (the worker passes it to the scheduler's `step`);
- refused (400 naming the field and the sampler) where A1111 would use it and diffusers cannot, unless it is
  at A1111's default for that sampler;
- dropped where A1111 ignores it too (as upstream: no effect by definition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KNOBS = ("eta", "s_churn", "s_tmin", "s_tmax", "s_noise")

_ANCESTRAL = frozenset(
    {"Euler a", "DPM2 a", "DPM++ 2S a", "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 3M SDE"}
)
_CHURN = frozenset({"Euler", "Heun", "DPM2"})

UPSTREAM_USES: dict[str, frozenset[str]] = {
    "eta": _ANCESTRAL | {"DDIM"},
    "s_churn": _CHURN,
    "s_tmin": _CHURN,
    "s_tmax": _CHURN,
    "s_noise": _CHURN | _ANCESTRAL,
}
"""Knob → the A1111 samplers that use it."""

DIFFUSERS_TAKES: dict[str, frozenset[str]] = {
    "eta": frozenset({"DDIM"}),
    "s_churn": frozenset({"Euler"}),
    "s_tmin": frozenset({"Euler"}),
    "s_tmax": frozenset({"Euler"}),
    "s_noise": frozenset({"Euler", "DPM++ SDE"}),
}
"""Knob → the samplers whose diffusers scheduler takes it in `step` (the worker applies it there)."""

ETA_DDIM = 0.0
"""A1111 option `eta_ddim`: DDIM's eta when the request gives none."""
ETA_ANCESTRAL = 1.0
"""A1111 option `eta_ancestral`: the ancestral/SDE samplers' eta when the request gives none."""
DEFAULTS: dict[str, float] = {"s_churn": 0.0, "s_tmin": 0.0, "s_tmax": math.inf, "s_noise": 1.0}
"""A1111's defaults of the other knobs (`s_tmax` 0 or none means infinity, as A1111 reads it)."""


def default(knob: str, sampler: str) -> float:
    """A1111's value of `knob` for `sampler` when the request gives none."""
    if knob == "eta":
        return ETA_DDIM if sampler == "DDIM" else ETA_ANCESTRAL
    return DEFAULTS[knob]


def normalise(knob: str, value: float | None) -> float | None:
    """Read a knob as A1111 does: `s_tmax` 0 means infinity."""
    if knob == "s_tmax" and value is not None and value == 0:
        return math.inf
    return value


@dataclass(frozen=True)
class KnobProblem:
    knob: str
    reason: str


def resolve(sampler: str, values: dict[str, float | None]) -> tuple[dict[str, float], list[KnobProblem]]:
    """Return the knobs the worker must apply for `sampler` (only those away from A1111's default that the
    diffusers scheduler takes) and the problems (a knob away from its default that A1111 would use but the
    diffusers scheduler cannot)."""
    applied: dict[str, float] = {}
    problems: list[KnobProblem] = []
    for knob in KNOBS:
        value = normalise(knob, values.get(knob))
        if value is None or sampler not in UPSTREAM_USES[knob] or value == default(knob, sampler):
            continue
        if sampler in DIFFUSERS_TAKES[knob]:
            applied[knob] = value
            continue
        takes = ", ".join(sorted(DIFFUSERS_TAKES[knob]))
        reason = (
            f"{knob}={value:g} cannot be applied with sampler {sampler!r} (its diffusers scheduler has no "
            f"{knob}); leave it at {default(knob, sampler):g} or use {takes}"
        )
        problems.append(KnobProblem(knob, reason))
    return applied, problems
