"""Who is calling: the API key from the headers (`x-api-key`, `Authorization: Bearer`, Basic with the key
as password) or, where the dialect carries it there (v3), the body's `key`; checked against the keys table."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api.deps import Wired
from sdapi.auth import Authenticator, Principal, key_from_request
from sdapi.dialects import registry


def principal_for(authenticator: Authenticator, event: Any) -> Principal:
    """Return the principal of a request event (Unauthorized when its key is missing or unknown)."""
    body_key = None
    body = event.decoded_body
    if registry.for_path(event.path).key_in_body and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("key"), str):
            body_key = parsed["key"]
    return authenticator.authenticate(key_from_request(event.headers or {}, body_key))


def caller(request: Request, deps: Wired) -> Principal:
    """Route dependency: the authenticated principal (Unauthorized → 401 in the route's dialect), counted
    against its key's rate where this function throttles per key (TooManyRequests → 429)."""
    principal = principal_for(deps.authenticator, request.resolved_event)
    if deps.throttle is not None:
        deps.throttle.admit(principal.key_id)
    return principal


Caller = Annotated[Principal, Depends(caller)]
