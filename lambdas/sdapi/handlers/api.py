"""api Lambda: `sdapi.api.app.ApiFunction` over the real AWS adapters, built on the first request from the
environment's settings.

The import does only what every invocation needs (Powertools' logger, boto3): the function, its dialects'
routes and their pydantic models are built on the first request that needs them (`sdapi.api.app`). Under
SnapStart, a before-snapshot hook builds all of it, so the snapshot holds it and a restored environment
answers its first request without building anything (boto3 clients are made again after the restore).

No Powertools Tracer here: importing the X-Ray SDK costs about 190 ms of this function's cold start (see
docs/benchmarks.md). The function still runs with Lambda's active X-Ray tracing (set by infra), so every
request is traced from API Gateway through the Lambda; only the per-boto3-call subsegments are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from sdapi.aws import snapstart
from sdapi.aws.clients import recreate_after_snapshot_restore

if TYPE_CHECKING:
    from sdapi.api.app import ApiFunction

logger = Logger(service="sdapi-api")

Handler = Callable[[dict, Any], dict]


def make_handler(function: Handler, correlation_path: str = correlation_paths.API_GATEWAY_REST) -> Handler:
    """Return the Lambda entry point around `function`, with the request's correlation id in the logs."""

    # log_event=False: events carry Authorization headers and v3 body keys, which must never reach the logs.
    @logger.inject_lambda_context(correlation_id_path=correlation_path, log_event=False)
    def entry(event: dict, context: Any) -> dict:
        return function(event, context)

    return entry


@cache
def configured() -> ApiFunction:
    """Return the function over the real AWS adapters (settings read once per execution environment)."""
    from sdapi.api.app import ApiFunction
    from sdapi.api.deps import Deps
    from sdapi.config import Settings

    return ApiFunction(Deps.from_settings(Settings.from_env()))


def warm() -> None:
    """SnapStart's before-snapshot hook: build the function, every route and the OpenAPI document. A failure
    is logged and left to the first request, which then fails as it would without the hook."""
    try:
        configured().warm()
    except Exception:
        logger.exception("warming the api function before the snapshot failed")


handler = make_handler(lambda event, context: configured()(event, context))
recreate_after_snapshot_restore()  # under SnapStart: boto3 clients made again after a restore
snapstart.before_snapshot(warm)
