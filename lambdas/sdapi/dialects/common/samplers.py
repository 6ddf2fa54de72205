"""A1111's sampler and schedule choice from a sampler name and a `scheduler` field, and the sampler knobs a
job carries."""

from __future__ import annotations

from collections.abc import Mapping

from sdapi.errors import FieldProblem, InvalidRequest
from sdapi.schema import sampler_knobs
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


def second_pass_sampler(
    first: tuple[str, str], sampler: str | None, scheduler: str | None
) -> tuple[str | None, str | None]:
    """Hires fix's second-pass (sampler, schedule) by A1111's rule, None where it is the first pass's:
    a named sampler takes the named schedule, else the first pass's (a suffix of its name wins); a
    schedule alone keeps the first pass's sampler."""
    if sampler:
        return resolve_sampler(sampler, scheduler or first[1])
    if scheduler:
        return None, resolve_sampler(first[0], scheduler)[1]
    return None, None


def knob_fields(
    values: Mapping[str, float | None],
    sampler: str,
    *,
    second_pass: str | None = None,
    strict: bool = False,
) -> dict[str, float]:
    """The sampler knobs a job carries (`sdapi.schema.sampler_knobs`, the rule the worker runs): those
    away from A1111's default that the sampler's diffusers scheduler takes, for the first pass and for
    hires fix's `second_pass` sampler (the worker drives both with the job's knobs, as A1111 uses the
    request's for both). A knob a pass's sampler would use upstream but cannot here is a 400 naming it;
    with `strict` (the native API), so is a knob away from its default that neither pass uses."""
    passes = [sampler] if second_pass in (None, sampler) else [sampler, second_pass]
    carried: dict[str, float] = {}
    problems: list[sampler_knobs.KnobProblem] = []
    for name in passes:
        applied, found = sampler_knobs.resolve(name, values)
        carried.update(applied)
        problems += [p for p in found if p.knob not in {q.knob for q in problems}]
    if strict:
        problems += _unused(values, passes)
    if problems:
        raise InvalidRequest(
            "; ".join(f"{p.knob}: {p.reason}" for p in problems),
            [FieldProblem(p.knob, p.reason) for p in problems],
        )
    return carried


def _unused(values: Mapping[str, float | None], passes: list[str]) -> list[sampler_knobs.KnobProblem]:
    found = []
    for knob in sampler_knobs.KNOBS:
        value = sampler_knobs.normalise(knob, values.get(knob))
        users = [name for name in passes if name in sampler_knobs.UPSTREAM_USES[knob]]
        if value is None or users or value == sampler_knobs.default(knob, passes[0]):
            continue
        takers = ", ".join(sorted(sampler_knobs.DIFFUSERS_TAKES[knob]))
        reason = f"sampler {' / '.join(map(repr, passes))} does not use {knob}; drop it or use {takers}"
        found.append(sampler_knobs.KnobProblem(knob, reason))
    return found
