"""The native error body `{"error": {"type", "message", "fields": [{"field", "reason"}]}}` (the task dialect
answers it too)."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import route_validation_error
from sdapi.errors import DomainError

SCHEMA_MISMATCH_STATUS = 422
"""A body that does not match the route's schema (as FastAPI answers it)."""


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and the native error body for a domain error."""
    return error.status, {
        "error": {
            "type": error.kind,
            "message": error.message,
            "fields": [{"field": p.field, "reason": p.reason} for p in error.problems],
        }
    }


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """Return 422 and the native error body for a request not matching the route's schema."""
    _, rendered = error_body(route_validation_error(errors))
    return SCHEMA_MISMATCH_STATUS, rendered
