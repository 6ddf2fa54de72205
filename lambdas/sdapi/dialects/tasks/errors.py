"""The task error bodies: the native shape `{"error": {"type", "message", "fields"}}`, with request-schema
errors as 400 (not the native 422)."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import route_validation_error
from sdapi.dialects.native.errors import error_body

__all__ = ["error_body", "validation_body"]


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """Return 400 and the native error body for a request not matching the route's schema."""
    return error_body(route_validation_error(errors))
