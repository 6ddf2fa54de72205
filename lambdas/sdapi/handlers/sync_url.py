"""Long-wait Lambda (behind its function URL): the api function's routes on function URL events, so that the
synchronous routes (A1111 `txt2img` / `img2img` / extras, RunPod `runsync`) wait as long as this function's
timeout allows instead of API Gateway's 29 s. Same key check as the REST path (in the routes), plus the
per-key rate (`SDAPI_RATE_TABLE`) that API Gateway's throttling gives the REST path. Like the api handler,
the import builds nothing: the function and its routes are built on the first request."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.logging import correlation_paths

from sdapi.handlers.api import make_handler

if TYPE_CHECKING:
    from sdapi.api.app import ApiFunction


@cache
def configured() -> ApiFunction:
    """Return the function over the real AWS adapters (settings read once per execution environment)."""
    from sdapi.api.app import FUNCTION_URL, ApiFunction
    from sdapi.api.deps import Deps
    from sdapi.config import Settings

    return ApiFunction(Deps.from_settings(Settings.from_env()), FUNCTION_URL)


handler = make_handler(
    lambda event, context: configured()(event, context), correlation_paths.LAMBDA_FUNCTION_URL
)
