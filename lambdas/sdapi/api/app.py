"""The api Lambda's function: every dialect's routes on one Powertools resolver, OpenAPI at /openapi.json,
Swagger UI at /docs, /ping for health checks (the only routes without an API key), built around one `Deps`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from sdapi.api import (
    body,
    errors,
    openapi,
    routes_a1111,
    routes_native,
    routes_runpod,
    routes_tasks,
    routes_v3,
)
from sdapi.api.deps import CONTEXT_KEY, TIME_LEFT_KEY, Deps
from sdapi.errors import DomainError

ROUTERS = (routes_native, routes_runpod, routes_a1111, routes_v3, routes_tasks)


def build_resolver(deps: Deps) -> APIGatewayRestResolver:
    """Return the resolver with every route, the error handlers and the OpenAPI document."""
    app = APIGatewayRestResolver(enable_validation=True)
    for module in ROUTERS:
        app.include_router(module.router)
    errors.register(app, deps.authenticator)
    openapi.register(app)

    @app.get("/ping", include_in_schema=False)
    def ping():
        return Response(status_code=200, content_type="application/json", body='{"status":"ok"}')

    return app


class ApiFunction:
    """API Gateway REST proxy event → response, with `deps` injected into every route (`Wired`)."""

    def __init__(self, deps: Deps):
        self.deps = deps
        self.resolver = build_resolver(deps)

    def __call__(self, event: dict, context: Any) -> dict:
        path = event.get("path") or "/"
        limit = self.deps.settings.limits.max_body_bytes
        size = _body_size(event)
        if size > limit:
            return errors.too_large(path, size, limit)
        try:
            event = body.normalise(event)
        except body.NotJson as refused:
            return errors.proxy_validation_error(path, refused.reason)
        except DomainError as refused:  # not UTF-8, too deep, unstorable, a content type we do not read
            return errors.proxy_error(path, refused)
        self.resolver.append_context(**{CONTEXT_KEY: self.deps, TIME_LEFT_KEY: _time_left(context)})
        return self.resolver.resolve(event, context)


def _time_left(context: Any):
    """The seconds the invocation has left, from Lambda's context (None without one: no limit known)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return (lambda: remaining() / 1000) if remaining is not None else None


def _body_size(event: dict) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8")) if isinstance(body, str) else len(body)
