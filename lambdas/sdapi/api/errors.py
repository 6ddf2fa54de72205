"""Exception handlers: every error leaves in the dialect of the route it hit."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from sdapi.api.dialect import render, render_validation
from sdapi.api.responses import reply
from sdapi.api.security import principal_for
from sdapi.errors import DomainError, NotFound, PayloadTooLarge, UpstreamUnavailable

logger = Logger(service="sdapi-api")


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        if error.status >= 500:  # the detail goes to the logs only: AWS error texts name internal resources
            logger.warning("request failed", extra={"kind": error.kind, "error": error.message})
            error = UpstreamUnavailable(UpstreamUnavailable.PUBLIC_MESSAGE)
        status, body = render(error, app.current_event.path)
        return reply(status, body)

    @app.exception_handler(RequestValidationError)
    def validation_error(error: RequestValidationError) -> Response:
        event = app.current_event
        path = event.path
        try:  # authentication comes first: no schema details for callers without a valid key
            principal_for(event.headers, event.decoded_body, path.startswith("/api/v3/"))
        except DomainError as auth_error:
            status, body = render(auth_error, path)
            return reply(status, body)
        status, body = render_validation(list(error.errors()), path, _body_of(event))
        return reply(status, body)

    @app.not_found
    def not_found(error: NotFoundError) -> Response:
        path = app.current_event.path
        status, body = render(NotFound(f"no route {app.current_event.http_method} {path}"), path)
        return reply(status, body)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        status, body = render(UpstreamUnavailable("internal error; try again later"), app.current_event.path)
        return reply(500 if status == 503 else status, body)


def too_large(path: str, size: int, limit: int) -> dict[str, Any]:
    """The 413 API Gateway proxy response for a body over the deployment's limit."""
    status, body = render(PayloadTooLarge(f"request body is {size} bytes; the limit is {limit}"), path)
    response = reply(status, body)
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _body_of(event: Any) -> Any:
    try:
        return event.json_body
    except Exception:  # not JSON: echo nothing
        return None
