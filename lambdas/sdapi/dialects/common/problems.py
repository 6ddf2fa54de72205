"""Request problems: pydantic's complaints as `FieldProblem`s and an `InvalidRequest` naming each field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sdapi.dialects.common.paths import loc_to_path
from sdapi.errors import FieldProblem, InvalidRequest
from sdapi.schema.handling import refused_fields

M = TypeVar("M", bound=BaseModel)

ROUTE_PARTS = ("body", "query", "path", "header")
"""The first `loc` part of a Powertools route-validation error: where in the request the field is."""


def problems_from_validation(error: ValidationError, *, skip: int = 0) -> list[FieldProblem]:
    """Return pydantic's errors as FieldProblems, dropping the first `skip` loc parts (e.g. "body")."""
    problems = []
    for item in error.errors(include_url=False):
        path = loc_to_path(tuple(item["loc"])[skip:])
        if not path:  # the body as a whole: missing, or not a JSON object
            missing = item.get("type") == "missing"
            problems.append(FieldProblem("body", "a JSON body is required" if missing else _reason(item)))
            continue
        problems.append(FieldProblem(path, _reason(item)))
    return problems


def _reason(item: Mapping[str, Any]) -> str:
    message = str(item.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def invalid(problems: list[FieldProblem]) -> InvalidRequest:
    """Return one InvalidRequest whose message lists every problem."""
    message = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    return InvalidRequest(message or "invalid request", problems)


def refuse_declared(model: BaseModel) -> None:
    """Refuse (one 400 naming each field) every field `model` declares refused that is set away from its
    default (`sdapi.schema.handling`)."""
    problems = [FieldProblem(path, reason) for path, reason in refused_fields(model)]
    if problems:
        raise invalid(problems)


def route_validation_error(errors: list[dict[str, Any]]) -> InvalidRequest:
    """Return a Powertools route-validation failure (body or query not matching the route's schema) as an
    InvalidRequest whose paths leave out the leading `body`/`query` part."""
    problems = [FieldProblem(_route_path(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in errors]
    return invalid(problems)


def _route_path(loc: Any) -> str:
    parts = list(loc)
    if parts and parts[0] in ROUTE_PARTS:
        parts = parts[1:]
    return loc_to_path(parts)


def parse(cls: type[M], data: Any, prefix: str = "") -> M:
    """Validate `data` as `cls`; errors come back as an InvalidRequest with paths under `prefix` (already
    the caller's own paths, so raise it outside `caller_paths`)."""
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        raise invalid(_under(prefix, problems_from_validation(error))) from None


def sub_model(cls: type[M], path: str, **fields: Any) -> M:
    """Build a canonical sub-model, reporting pydantic's complaints under its canonical path."""
    try:
        return cls(**fields)
    except ValidationError as error:
        raise invalid(_under(f"{path}.", problems_from_validation(error))) from None


def _under(prefix: str, problems: list[FieldProblem]) -> list[FieldProblem]:
    return [FieldProblem(f"{prefix}{p.field}" if p.field else prefix.rstrip("."), p.reason) for p in problems]
