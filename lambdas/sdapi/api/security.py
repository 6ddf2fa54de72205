"""Who is calling: the API key from the headers (`x-api-key`, `Authorization: Bearer`, Basic with the key
as password) or, for v3, the body's `key`; checked against the keys table."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api.deps import current
from sdapi.auth import Principal, key_from_request


def principal_for(headers: dict[str, Any] | None, body: str | None, body_key_allowed: bool) -> Principal:
    body_key = None
    if body_key_allowed and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("key"), str):
            body_key = parsed["key"]
    return current().authenticator.authenticate(key_from_request(headers or {}, body_key))


def caller(request: Request) -> Principal:
    """Route dependency: the authenticated principal (Unauthorized → 401 in the route's dialect)."""
    event = request.resolved_event
    return principal_for(event.headers, event.decoded_body, request.route.startswith("/api/v3/"))


Caller = Annotated[Principal, Depends(caller)]
