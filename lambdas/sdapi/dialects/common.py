"""Helpers every dialect adapter shares: the submit context, model/pool choice, sampler checks, seed
resolution, building the canonical `Job` with errors in canonical paths, and mapping those paths back to
the caller's own field names.

Everything here is pure: no I/O, no clock, no randomness (the caller passes `now`, the random seeds and
any fetched image bytes in the `SubmitContext`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sdapi.errors import DomainError, FieldProblem, InvalidRequest
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family, Pool
from sdapi.schema.job import Job
from sdapi.schema.samplers import find_sampler, schedule_key, split_sampler_name

M = TypeVar("M", bound=BaseModel)

RANDOM = -1
"""A1111's "pick a random seed"."""


@dataclass(frozen=True)
class SubmitContext:
    """What an adapter needs besides the request to build a canonical job."""

    job_id: str
    owner: str
    catalog: Catalog
    now: float
    seed: int
    """Random seed used when the request asks for a random one (drawn by the caller)."""
    subseed: int
    """Random variation seed used when the request asks for a random one."""
    key_id: str | None = None
    images: Mapping[str, str] = field(default_factory=dict)
    """Base64 of inputs fetched by the caller (URLs, uploads), keyed by the caller's field path."""


# --------------------------------------------------------------------------------------------- paths


def loc_to_path(loc: Iterable[Any]) -> str:
    """A pydantic `loc` tuple as a dotted path: ("controlnet", 0, "model") → `controlnet[0].model`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_INDEXED = re.compile(r"^(?P<head>[A-Za-z_][A-Za-z0-9_]*)(?P<index>\[\d+\])?(?:\.(?P<rest>.*))?$")


def split_path(path: str) -> tuple[str, str, str]:
    """`controlnet[0].model` → ("controlnet", "[0]", "model"); `width` → ("width", "", "")."""
    match = _INDEXED.match(path)
    if not match:
        return path, "", ""
    return match["head"], match["index"] or "", match["rest"] or ""


def remap(error: DomainError, to_caller: Callable[[str], str]) -> DomainError:
    """The same error with every field path translated to the caller's own (message rewritten too)."""
    if not error.problems:
        return error
    problems = [FieldProblem(to_caller(p.field) if p.field else p.field, p.reason) for p in error.problems]
    message = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    mapped = type(error).__new__(type(error))
    DomainError.__init__(mapped, message, problems)
    for name, value in vars(error).items():
        if name not in ("message", "problems", "args"):
            setattr(mapped, name, value)
    return mapped


@contextmanager
def caller_paths(to_caller: Callable[[str], str]) -> Iterator[None]:
    """Within the block, domain errors (whose field paths are canonical) are re-raised in caller paths."""
    try:
        yield
    except DomainError as error:
        raise remap(error, to_caller) from None


def prefixed(prefix: str, inner: Callable[[str], str] | None = None) -> Callable[[str], str]:
    """A path mapper that translates with `inner` and then puts `prefix` in front."""

    def mapper(path: str) -> str:
        mapped = inner(path) if inner else path
        return f"{prefix}{mapped}" if mapped else prefix.rstrip(".")

    return mapper


def problems_from_validation(error: ValidationError, *, skip: int = 0) -> list[FieldProblem]:
    """pydantic errors as FieldProblems (dropping the first `skip` loc parts, e.g. Powertools' "body")."""
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
    message = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    return InvalidRequest(message or "invalid request", problems)


# ----------------------------------------------------------------------------------------- building


def build_job(**fields: Any) -> Job:
    """`Job(**fields)`, with pydantic's complaints turned into an InvalidRequest in canonical paths."""
    try:
        return Job(**fields)
    except ValidationError as error:
        raise invalid(problems_from_validation(error)) from None


def resolve_seed(value: int | None, drawn: int) -> int:
    """A1111 semantics: -1 (or None) means random; anything else is used as is (range checked by Job)."""
    if value is None or value == RANDOM:
        return drawn
    return value


def strip_data_url(value: str) -> str:
    """`data:image/png;base64,AAAA` → `AAAA` (clients send both forms)."""
    if value.startswith("data:") and "," in value:
        return value.split(",", 1)[1]
    return value


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value[:8].lower().startswith(("https://", "http://"))


# ------------------------------------------------------------------------------------ models, pools


@dataclass(frozen=True)
class ModelChoice:
    pool: Pool
    model: str


def choose_model(
    catalog: Catalog, model: str | None, *, pool_name: str | None = None, field_name: str = "model"
) -> ModelChoice:
    """The pool and checkpoint for a request: the named checkpoint (in the named pool, if any), else the
    pool's default checkpoint. Unknown names are a 400 listing what the deployment has."""
    pool = catalog.pool(pool_name) if pool_name else None
    if pool_name and pool is None:
        raise InvalidRequest.field("pool", f"unknown pool {pool_name!r}; available: {_names(catalog.pools)}")
    if not model or model.strip().lower() in ("none", "automatic"):
        chosen = pool or catalog.pool(catalog.default_pool)
        assert chosen is not None  # Catalog validates default_pool
        return ModelChoice(chosen, chosen.default_model)
    entry = catalog.find(model)
    if entry is None or entry.family not in CHECKPOINT_FAMILIES:
        available = [e.name for e in catalog.models if e.family in CHECKPOINT_FAMILIES]
        what = "is not a checkpoint" if entry else "is not in this deployment's catalog"
        raise InvalidRequest.field(field_name, f"model {model!r} {what}; available checkpoints: {available}")
    if pool is not None:
        if entry.name not in pool.models:
            raise InvalidRequest.field(
                field_name,
                f"model {entry.name!r} is not served by pool {pool.name!r}; it has: {list(pool.models)}",
            )
        return ModelChoice(pool, entry.name)
    found = catalog.pool_for_model(entry.name)
    if found is None:
        raise InvalidRequest.field(field_name, f"model {entry.name!r} is in no pool of this deployment")
    return ModelChoice(found, entry.name)


def first_of_family(catalog: Catalog, pool: Pool, family: Family) -> str | None:
    found = catalog.in_pool(pool, family)
    return found[0].name if found else None


def _names(items: Iterable[Any]) -> list[str]:
    return [item.name for item in items]


# ---------------------------------------------------------------------------------------- samplers


def resolve_sampler(name: str | None, scheduler: str | None, default: str = "Euler a") -> tuple[str, str]:
    """A1111's rule: a schedule word at the end of the sampler name ("DPM++ 2M Karras") sets the schedule
    and wins over the `scheduler` field; otherwise the `scheduler` field; otherwise `automatic`.
    Names are normalised here; unknown or unsupported ones are refused by `sdapi.validation` (400)."""
    base, suffix = split_sampler_name(name or default)
    spec = find_sampler(base)
    chosen = suffix or (schedule_key(scheduler) if scheduler else "automatic")
    return (spec.name if spec else base), chosen


def parse(cls: type[M], data: Any, prefix: str = "") -> M:
    """Validate `data` as `cls`; errors come back as an InvalidRequest with paths under `prefix`
    (already the caller's own paths: raise it outside `caller_paths`)."""
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        problems = [
            FieldProblem(f"{prefix}{p.field}" if p.field else prefix.rstrip("."), p.reason)
            for p in problems_from_validation(error)
        ]
        raise invalid(problems) from None
