"""The api Lambda's function: every dialect's routes on Powertools resolvers, OpenAPI at /openapi.json,
Swagger UI at /docs, /ping for health checks (the only routes without an API key), built around one `Deps`.

Each dialect's routes (and so its pydantic models) are built on the first request that reaches one of its
paths (`dialects.registry.routed_by`), on a resolver of their own: a process that serves A1111 calls never
builds the RunPod or v3 routes. The documents are served by a resolver with every route, built in one fixed
order when they are first asked for, so the OpenAPI document does not depend on which dialect was called
first. Under SnapStart, `warm` builds all of it before the snapshot.

The same routes serve two kinds of event: API Gateway REST proxy events (the api function, `REST`) and
Lambda function URL events, payload format 2.0 (the long-wait function, `FUNCTION_URL`); Powertools'
resolver of each kind reads its event and writes its response.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from sdapi.api import body, errors, openapi
from sdapi.api.deps import CONTEXT_KEY, TIME_LEFT_KEY, Deps
from sdapi.dialects import registry
from sdapi.errors import DomainError
from sdapi.schema.job import Dialect

ROUTES = {
    Dialect.NATIVE: "sdapi.api.routes_native",
    Dialect.RUNPOD: "sdapi.api.routes_runpod",
    Dialect.A1111: "sdapi.api.routes_a1111",
    Dialect.V3: "sdapi.api.routes_v3",
    Dialect.TASKS: "sdapi.api.routes_tasks",
}
"""Each dialect's routes module (its `router`); the documents list the routes in this order."""

DOCUMENTS = "documents"
"""The resolver of `/openapi.json` and `/docs`: every route, and the documents."""
BARE = "bare"
"""The resolver of every other path no dialect claims: `/ping`, and the 404 of an unknown route."""

REST = APIGatewayRestResolver
"""Behind API Gateway's REST API (v1 proxy events)."""
FUNCTION_URL = LambdaFunctionUrlResolver
"""Behind a Lambda function URL (payload format 2.0)."""


def build_resolver(
    deps: Deps,
    dialects: tuple[Dialect, ...] = (),
    *,
    documents: bool = False,
    kind: type[ApiGatewayResolver] = REST,
) -> ApiGatewayResolver:
    """Return a resolver of `kind` with the routes of `dialects`, the error handlers, /ping and, with
    `documents`, the OpenAPI document and Swagger UI."""
    app = kind(enable_validation=True)
    for dialect in dialects:
        app.include_router(import_module(ROUTES[dialect]).router)
    errors.register(app, deps.authenticator)
    if documents:
        openapi.register(app)

    @app.get("/ping", include_in_schema=False)
    def ping():
        return Response(status_code=200, content_type="application/json", body='{"status":"ok"}')

    return app


def resolver_key(path: str) -> Dialect | str:
    """Which resolver serves `path`: the dialect whose routes serve it, else the documents' or the bare
    one."""
    routed = registry.routed_by(path)
    if routed is not None:
        return routed.dialect
    return DOCUMENTS if openapi.serves(path) else BARE


class ApiFunction:
    """Proxy event (REST, or function URL with `kind=FUNCTION_URL`) → response, with `deps` injected into
    every route (`Wired`)."""

    def __init__(self, deps: Deps, kind: type[ApiGatewayResolver] = REST):
        self.deps = deps
        self.kind = kind
        self._resolvers: dict[Dialect | str, ApiGatewayResolver] = {}

    def __call__(self, event: dict, context: Any) -> dict:
        path = event.get("path") or event.get("rawPath") or "/"
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
        resolver = self.resolver(resolver_key(path))
        resolver.append_context(**{CONTEXT_KEY: self.deps, TIME_LEFT_KEY: _time_left(context)})
        return resolver.resolve(event, context)

    def resolver(self, key: Dialect | str) -> ApiGatewayResolver:
        """The resolver for `key` (`resolver_key`), built the first time it is needed."""
        found = self._resolvers.get(key)
        if found is None:
            if key == DOCUMENTS:
                found = build_resolver(self.deps, tuple(ROUTES), documents=True, kind=self.kind)
            elif key == BARE:
                found = build_resolver(self.deps, kind=self.kind)
            else:
                found = build_resolver(self.deps, (key,), kind=self.kind)
            self._resolvers[key] = found
        return found

    def warm(self) -> None:
        """Build every resolver and the OpenAPI document now (SnapStart: before the snapshot), so that no
        request after a restore builds routes, models or schemas."""
        for key in ROUTES:  # a schema of its own routes: Powertools then has each route's parameters and body
            self.resolver(key).get_openapi_schema()
        self.resolver(BARE)
        self({"httpMethod": "GET", "path": openapi.OPENAPI_PATH, "headers": {}, "body": None}, None)


def _time_left(context: Any):
    """The seconds the invocation has left, from Lambda's context (None without one: no limit known)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return (lambda: remaining() / 1000) if remaining is not None else None


def _body_size(event: dict) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8")) if isinstance(body, str) else len(body)
