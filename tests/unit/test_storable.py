"""What the jobs table can hold: the one rule on free-form values (`sdapi.schema.storable`)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sdapi.schema.storable import MAX_DEPTH, MAX_FREEFORM_BYTES, NotStorable, check, check_freeform


def nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_plain_json_is_storable():
    check({"a": [1, 2.5, "x", None, True, {"b": -3e-5}], "big": 10**37})


def test_an_empty_key_is_refused_with_its_path():
    with pytest.raises(NotStorable) as raised:
        check({"outer": [{"": {"a": True}}]})

    assert raised.value.path == "outer[0]"
    assert "empty object key" in raised.value.reason


@pytest.mark.parametrize(
    ("number", "words"),
    [(1e200, "too large"), (-1e200, "too large"), (1e-200, "too small"), (10**40, "38 significant digits")],
)
def test_numbers_dynamodb_cannot_hold_are_refused(number, words):
    with pytest.raises(NotStorable) as raised:
        check({"n": number})

    assert raised.value.path == "n"
    assert words in raised.value.reason


def test_an_infinite_float_is_refused():
    with pytest.raises(NotStorable, match="finite"):
        check([float("inf")])


def test_zero_and_booleans_are_storable():
    check([0, 0.0, True, False])


def test_nesting_is_limited():
    check(nested(MAX_DEPTH))

    with pytest.raises(NotStorable, match="nested more than"):
        check(nested(MAX_DEPTH + 1))


def test_a_hostile_depth_does_not_exhaust_the_stack():
    value: list = []
    for _ in range(100_000):
        value = [value]

    with pytest.raises(NotStorable):
        check(value)


def test_a_free_form_field_is_limited_in_size():
    with pytest.raises(ValueError, match="bytes as JSON"):
        check_freeform({"a": "x" * MAX_FREEFORM_BYTES})


def test_the_canonical_job_refuses_a_context_the_store_cannot_hold(make_job):
    with pytest.raises(ValidationError) as raised:
        make_job(context={"": {"a": True}})

    [error] = raised.value.errors()
    assert error["loc"] == ("context",)


def test_the_canonical_job_refuses_an_echoed_request_the_store_cannot_hold(make_job):
    with pytest.raises(ValidationError):
        make_job(request={"override_settings": {"x": 1e200}})
