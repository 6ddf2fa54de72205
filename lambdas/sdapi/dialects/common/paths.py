"""Field paths: pydantic locations as dotted paths, and canonical job paths translated to a caller's own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sdapi.errors import DomainError, FieldProblem

PathMapper = Callable[[str], str]
"""Translates a canonical job path (`controlnet[0].model`) to the caller's own path."""


def loc_to_path(loc: Iterable[Any]) -> str:
    """Return a pydantic `loc` tuple as a dotted path: ("controlnet", 0, "model") → `controlnet[0].model`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_INDEXED = re.compile(r"^(?P<head>[A-Za-z_][A-Za-z0-9_]*)(?P<index>\[\d+\])?(?:\.(?P<rest>.*))?$")


def split_path(path: str) -> tuple[str, str, str]:
    """Split a path into head, index and rest: `controlnet[0].model` → ("controlnet", "[0]", "model")."""
    match = _INDEXED.match(path)
    if not match:
        return path, "", ""
    return match["head"], match["index"] or "", match["rest"] or ""


def remap(error: DomainError, to_caller: PathMapper) -> DomainError:
    """Return the same error with every field path (and the message) translated to the caller's own."""
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
def caller_paths(to_caller: PathMapper) -> Iterator[None]:
    """Re-raise the block's domain errors (whose field paths are canonical) in the caller's paths."""
    try:
        yield
    except DomainError as error:
        raise remap(error, to_caller) from None


def prefixed(prefix: str, inner: PathMapper | None = None) -> PathMapper:
    """Return a path mapper that translates with `inner` and then puts `prefix` in front."""

    def mapper(path: str) -> str:
        mapped = inner(path) if inner else path
        return f"{prefix}{mapped}" if mapped else prefix.rstrip(".")

    return mapper


def identity(path: str) -> str:
    """Return the path unchanged (the native dialect's paths are the canonical ones)."""
    return path
