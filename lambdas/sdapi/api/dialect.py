"""Which dialect a request speaks (by path) and how each renders errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sdapi.dialects import a1111, native, runpod, v3
from sdapi.errors import DomainError, FieldProblem, InvalidRequest

ErrorRenderer = Callable[[DomainError], tuple[int, dict[str, Any]]]

RENDERERS: dict[str, ErrorRenderer] = {
    "a1111": a1111.error_body,
    "runpod": runpod.error_body,
    "v3": v3.error_body,
    "tasks": native.error_body,
    "native": native.error_body,
}


def dialect_of(path: str) -> str:
    if path.startswith("/sdapi/"):
        return "a1111"
    if path.startswith("/v2/"):
        return "runpod"
    if path.startswith("/api/v3/"):
        return "v3"
    if path.startswith(("/v1alpha1", "/v1alpha2")):
        return "tasks"
    return "native"


def render(error: DomainError, path: str) -> tuple[int, dict[str, Any]]:
    return RENDERERS[dialect_of(path)](error)


def render_validation(
    errors: list[dict[str, Any]], path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """A body/query not matching the route schema: A1111 422 (FastAPI-style), native 422, others 400."""
    dialect = dialect_of(path)
    if dialect == "a1111":
        return a1111.validation_body(errors, body)
    problems = [FieldProblem(_path(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in errors]
    message = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    error = InvalidRequest(message or "invalid request", problems)
    status, rendered = RENDERERS[dialect](error)
    return (422 if dialect == "native" else status), rendered


def _path(loc: Any) -> str:
    from sdapi.dialects.common import loc_to_path

    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return loc_to_path(parts)
