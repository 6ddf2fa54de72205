"""The RunPod error body `{"error": "<message>", "errors": [{"field", "reason"}]}` with the domain status;
request-schema errors are 400 as well."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import route_validation_error
from sdapi.errors import DomainError


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Return the HTTP status and the RunPod error body for a domain error."""
    body: dict[str, Any] = {"error": error.message}
    if error.problems:
        body["errors"] = [{"field": p.field, "reason": p.reason} for p in error.problems]
    return error.status, body


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """Return 400 and the RunPod error body for a request not matching the route's schema."""
    return error_body(route_validation_error(errors))
