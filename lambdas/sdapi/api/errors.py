"""Exception handlers: every error leaves in the dialect of the route it hit (`sdapi.dialects.registry`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from sdapi.api.responses import reply
from sdapi.api.security import principal_for
from sdapi.auth import Authenticator
from sdapi.dialects import registry
from sdapi.errors import DomainError, NotFound, PayloadTooLarge, UpstreamUnavailable

logger = Logger(service="sdapi-api")

INTERNAL_ERROR_STATUS = 500
"""An unexpected exception (a bug) answers 500 where the dialect would say 503."""


def render(error: DomainError, path: str) -> Response:
    """Return the error as the response of the dialect that `path` speaks."""
    status, body = registry.for_path(path).error_body(error)
    return reply(status, body)


def register(app: APIGatewayRestResolver, authenticator: Authenticator) -> None:
    """Register the handlers of domain errors, schema mismatches, unknown routes and unexpected errors."""

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        if error.status >= 500:  # the detail goes to the logs only: AWS error texts name internal resources
            logger.warning("request failed", extra={"kind": error.kind, "error": error.message})
            error = UpstreamUnavailable(UpstreamUnavailable.PUBLIC_MESSAGE)
        return render(error, app.current_event.path)

    @app.exception_handler(RequestValidationError)
    def validation_error(error: RequestValidationError) -> Response:
        event = app.current_event
        try:  # authentication comes first: no schema details for callers without a valid key
            principal_for(authenticator, event)
        except DomainError as auth_error:
            return render(auth_error, event.path)
        entry = registry.for_path(event.path)
        status, body = entry.validation_body(list(error.errors()), _body_of(event))
        return reply(status, body)

    @app.not_found
    def not_found(error: NotFoundError) -> Response:
        path = app.current_event.path
        return render(NotFound(f"no route {app.current_event.http_method} {path}"), path)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        entry = registry.for_path(app.current_event.path)
        status, body = entry.error_body(UpstreamUnavailable("internal error; try again later"))
        return reply(INTERNAL_ERROR_STATUS if status == UpstreamUnavailable.status else status, body)


def too_large(path: str, size: int, limit: int) -> dict[str, Any]:
    """Return the 413 API Gateway proxy response for a body over the deployment's limit."""
    return proxy_error(path, PayloadTooLarge(f"request body is {size} bytes; the limit is {limit}"))


def proxy_error(path: str, error: DomainError) -> dict[str, Any]:
    """Return an API Gateway proxy response for `error` in the dialect of `path` (for refusals made before
    the resolver runs: body size, body decoding)."""
    return _proxy(render(error, path))


def proxy_validation_error(path: str, reason: str) -> dict[str, Any]:
    """Return the proxy response for a body that is not JSON: the dialect's schema-error answer."""
    problems = [{"loc": ("body",), "msg": reason, "type": "json_invalid"}]
    status, body = registry.for_path(path).validation_body(problems, None)
    return _proxy(reply(status, body))


def _proxy(response: Response) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _body_of(event: Any) -> Any:
    try:
        return event.json_body
    except Exception:  # not JSON: echo nothing
        return None
