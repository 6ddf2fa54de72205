"""api Lambda: `sdapi.api.app.ApiFunction` over the real AWS adapters, built on the first request from the
environment's settings.

No Powertools Tracer here: importing the X-Ray SDK costs about 190 ms of this function's cold start (see
docs/benchmarks.md). The function still runs with Lambda's active X-Ray tracing (set by infra), so every
request is traced from API Gateway through the Lambda; only the per-boto3-call subsegments are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from sdapi.api.app import ApiFunction
from sdapi.api.deps import Deps
from sdapi.aws.clients import recreate_after_snapshot_restore
from sdapi.config import Settings

logger = Logger(service="sdapi-api")
recreate_after_snapshot_restore()  # under SnapStart: boto3 clients made again after a restore

Handler = Callable[[dict, Any], dict]


def make_handler(function: Handler) -> Handler:
    """Return the Lambda entry point around `function`, with the request's correlation id in the logs."""

    # log_event=False: events carry Authorization headers and v3 body keys, which must never reach the logs.
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    def entry(event: dict, context: Any) -> dict:
        return function(event, context)

    return entry


@cache
def configured() -> ApiFunction:
    """Return the function over the real AWS adapters (settings read once per execution environment)."""
    return ApiFunction(Deps.from_settings(Settings.from_env()))


handler = make_handler(lambda event, context: configured()(event, context))
