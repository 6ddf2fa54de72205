"""What a DynamoDB item can hold, as one rule on plain JSON values.

The jobs table stores some request fields as the caller sent them (`context`, the caller's parameters
echoed as A1111 `parameters` / v3 `meta`, which include `alwayson_scripts`, `override_settings`, …). A value
DynamoDB cannot hold would be accepted and then fail every later write or read of the job, so it is refused
at the door (400 naming the field) instead:

- object keys must be non-empty (DynamoDB attribute names are 1+ characters);
- numbers must be finite, within ±9.9999…E+125 and not smaller in magnitude than 1E-130, with at most 38
  significant digits (DynamoDB's number type);
- nesting at most `MAX_DEPTH` levels (DynamoDB nests 32 levels; the item itself is one);
- a free-form field's JSON at most `MAX_FREEFORM_BYTES`.

Pure stdlib: the container image copies this package.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DEPTH = 30
"""Levels of nesting a free-form field may have (DynamoDB allows 32 in an item, which is one, and the field's
own attribute another)."""
MAX_FREEFORM_BYTES = 64 * 1024
"""Largest JSON of one free-form field (`context`); the whole item must stay under DynamoDB's 400 KB."""
MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
MIN_NUMBER = Decimal("1E-130")
MAX_DIGITS = 38


class NotStorable(ValueError):
    """`path` (dotted, below the checked value; "" for the value itself) breaks the rule for `reason`."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


def number_problem(value: int | float) -> str | None:
    """Why DynamoDB cannot store this number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    try:
        number = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    except (InvalidOperation, ValueError):  # pragma: no cover - every int/float converts
        return "is not a number DynamoDB can store"
    if number == 0:
        return None
    magnitude = abs(number)
    if magnitude > MAX_NUMBER:
        return "is too large (numbers must be within ±9.9E+125)"
    if magnitude < MIN_NUMBER:
        return "is too small (non-zero numbers must be at least 1E-130 in magnitude)"
    if len(number.as_tuple().digits) > MAX_DIGITS:
        return f"has more than {MAX_DIGITS} significant digits"
    return None


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise NotStorable for the first part of `value` (JSON types) that DynamoDB cannot hold.
    Iterative: a hostile nesting depth cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list | tuple) and depth > max_depth:
            raise NotStorable(path, f"is nested more than {max_depth} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or key == "":
                    raise NotStorable(path, "has an empty object key (keys must be non-empty)")
                stack.append((child, _join(path, key), depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, _join(path, i), depth + 1) for i, child in enumerate(item))
        elif isinstance(item, int | float):
            reason = number_problem(item)
            if reason:
                raise NotStorable(path, reason)


def check_stored(value: Any) -> Any:
    """A pydantic validator for a field stored as given (no size limit of its own): `check`."""
    try:
        check(value)
    except NotStorable as problem:
        raise ValueError(f"{problem.path}: {problem.reason}" if problem.path else problem.reason) from None
    return value


def check_freeform(value: Any) -> Any:
    """A pydantic validator for a free-form field: `check`, then the size limit. Returns the value."""
    if value is None:
        return value
    check_stored(value)
    size = len(json.dumps(value, separators=(",", ":"), default=str))
    if size > MAX_FREEFORM_BYTES:
        raise ValueError(f"is {size} bytes as JSON; the limit is {MAX_FREEFORM_BYTES}")
    return value
