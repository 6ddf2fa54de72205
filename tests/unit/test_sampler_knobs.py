"""The sampler-knob rule the door and the worker share: a knob is applied where A1111's sampler and the
diffusers scheduler both take it, refused where only A1111's does (unless at its default), dropped where
A1111 ignores it too."""

from __future__ import annotations

import math

import pytest

from sdapi.schema.sampler_knobs import KNOBS, resolve
from sdapi.schema.samplers import SAMPLERS


@pytest.mark.parametrize(
    ("sampler", "values", "applied"),
    [
        ("Euler", {"s_churn": 1.0}, {"s_churn": 1.0}),
        (
            "Euler",
            {"s_churn": 1.0, "s_tmax": 5.0, "s_noise": 0.9},
            {"s_churn": 1.0, "s_tmax": 5.0, "s_noise": 0.9},
        ),
        ("DPM++ SDE", {"s_noise": 0.5}, {"s_noise": 0.5}),
        ("DDIM", {"eta": 0.7}, {"eta": 0.7}),
    ],
)
def test_a_knob_both_take_is_applied(sampler, values, applied):
    assert resolve(sampler, values) == (applied, [])


@pytest.mark.parametrize(
    ("sampler", "values"),
    [
        ("Euler a", {"eta": 1.0, "s_noise": 1.0}),
        ("DDIM", {"eta": 0.0}),
        ("Euler", {"s_churn": 0.0, "s_tmin": 0.0, "s_tmax": 0.0, "s_noise": 1.0}),
        ("Euler", {"s_tmax": math.inf}),
    ],
)
def test_a_knob_at_a1111s_default_is_neither_applied_nor_refused(sampler, values):
    assert resolve(sampler, values) == ({}, [])


@pytest.mark.parametrize(("sampler", "values"), [("Euler", {"eta": 0.3}), ("DPM++ 2M", {"s_noise": 0.5})])
def test_a_knob_a1111_ignores_too_is_dropped(sampler, values):
    assert resolve(sampler, values) == ({}, [])


@pytest.mark.parametrize(
    ("sampler", "knob", "value"),
    [
        ("Euler a", "eta", 0.5),
        ("Euler a", "s_noise", 0.9),
        ("Heun", "s_churn", 1.0),
        ("DPM++ SDE", "eta", 0.3),
    ],
)
def test_a_knob_only_a1111_applies_is_refused_naming_it_and_the_sampler(sampler, knob, value):
    _, problems = resolve(sampler, {knob: value})

    assert [problem.knob for problem in problems] == [knob]
    assert f"sampler {sampler!r}" in problems[0].reason


@pytest.mark.parametrize("knob", KNOBS)
def test_only_samplers_the_container_runs_apply_a_knob(knob):
    for sampler in SAMPLERS:
        applied, _ = resolve(sampler, {knob: 0.123})
        assert SAMPLERS[sampler].supported or applied == {}
