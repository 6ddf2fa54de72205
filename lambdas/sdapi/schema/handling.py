"""How each request field is handled, declared next to the field (`Field(json_schema_extra=applied(...))`).

Every field of every dialect's request model says one of three things, and the docs table
(`docs/request-fields.md`, written by `python -m sdapi.dialects.inventory`) and the OpenAPI schema
(`x-handling`) are generated from it, so they cannot drift from the models:

- `applied(how)`: the value changes the job (mapped onto the canonical job, or used by the door);
- `refused(reason)`: the deployment cannot do it; a value away from the field's default is a 400 naming the
  field (enforced by `refused_fields`, so the declaration is the check);
- `no_effect(reason)`: accepted and deliberately without effect (the reason says why, e.g. upstream ignores
  it too, or it concerns the upstream server's own disk).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

HANDLING_KEY = "x-handling"


class Handling(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    NO_EFFECT = "no effect"


def _mark(handling: Handling, note: str) -> dict[str, Any]:
    return {HANDLING_KEY: {"handling": handling.value, "note": note}}


def applied(how: str = "") -> dict[str, Any]:
    """The field changes the job; `how` says how when the description does not."""
    return _mark(Handling.APPLIED, how)


def refused(reason: str, *neutral: Any) -> dict[str, Any]:
    """The field is refused (400 naming it) when set away from its default (or one of the `neutral` values
    that mean the same upstream); `reason` is the 400's text."""
    mark = _mark(Handling.REFUSED, reason)
    if neutral:
        mark[HANDLING_KEY]["neutral"] = list(neutral)
    return mark


def no_effect(reason: str) -> dict[str, Any]:
    """The field is accepted and has no effect, by design; `reason` says why."""
    return _mark(Handling.NO_EFFECT, reason)


def handling_of(info: FieldInfo) -> tuple[Handling, str] | None:
    """The declared handling of a field and its note, or None when the field declares none."""
    extra = info.json_schema_extra
    mark = extra.get(HANDLING_KEY) if isinstance(extra, dict) else None
    if not isinstance(mark, dict):
        return None
    return Handling(mark["handling"]), str(mark.get("note") or "")


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def is_default(info: FieldInfo, value: Any) -> bool:
    """Whether `value` leaves the field as if it were not sent (its default, null, or a declared neutral
    value)."""
    if value is None or value == _default(info):
        return True
    extra = info.json_schema_extra
    mark = extra.get(HANDLING_KEY) if isinstance(extra, dict) else None
    return isinstance(mark, dict) and value in mark.get("neutral", ())


def refused_fields(model: BaseModel, prefix: str = "") -> list[tuple[str, str]]:
    """Return (path, reason) of every field declared `refused` whose value is away from its default, in this
    model and the models nested in it (lists included)."""
    found: list[tuple[str, str]] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        marked = handling_of(info)
        if marked and marked[0] == Handling.REFUSED and not is_default(info, value):
            found.append((f"{prefix}{name}", marked[1]))
        if isinstance(value, BaseModel):
            found.extend(refused_fields(value, f"{prefix}{name}."))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found.extend(refused_fields(item, f"{prefix}{name}[{index}]."))
    return found
