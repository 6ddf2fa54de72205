"""The v3 error bodies: `{"status": "error", "messege": {field: [reasons]}}` for field problems (v3's own
spelling), else `{"status": "error", "message"}`, with real HTTP statuses."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import route_validation_error
from sdapi.errors import DomainError


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and the v3 error body for a domain error."""
    if error.problems:
        fields: dict[str, list[str]] = {}
        for problem in error.problems:
            fields.setdefault(problem.field or "request", []).append(problem.reason)
        return error.status, {"status": "error", "messege": fields}
    return error.status, {"status": "error", "message": error.message}


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """Return 400 and the v3 error body for a request not matching the route's schema."""
    return error_body(route_validation_error(errors))
