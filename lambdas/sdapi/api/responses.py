"""JSON responses and OpenAPI response declarations."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel


def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """Return a compact JSON response with `status` and `headers`."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), default=str),
        headers=headers,
    )


def doc(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    """One OpenAPI response entry (with a schema when `model` is given)."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["content"] = {"application/json": {"model": model}}
    return entry
