"""api Lambda: every dialect's routes on one Powertools resolver, OpenAPI at /openapi.json, Swagger UI at
/docs, /ping for health checks (the only routes without an API key).

No Powertools Tracer here: importing the X-Ray SDK costs about 190 ms of this function's cold start (see
docs/benchmarks.md). The function still runs with Lambda's active X-Ray tracing (set by infra), so every
request is traced from API Gateway through the Lambda; only the per-boto3-call subsegments are left out.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from sdapi.api import (
    deps,
    errors,
    openapi,
    routes_a1111,
    routes_native,
    routes_runpod,
    routes_tasks,
    routes_v3,
)

logger = Logger(service="sdapi-api")
deps.current()  # settings and adapters once per cold start

app = APIGatewayRestResolver(enable_validation=True)
for module in (routes_native, routes_runpod, routes_a1111, routes_v3, routes_tasks):
    app.include_router(module.router)
errors.register(app)
openapi.register(app)


@app.get("/ping", include_in_schema=False)
def ping():
    return Response(status_code=200, content_type="application/json", body='{"status":"ok"}')


# log_event=False: events carry Authorization headers and v3 body keys, which must never reach the logs.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def handler(event: dict, context) -> dict:
    limit = deps.current().settings.limits.max_body_bytes
    size = _body_size(event)
    if size > limit:
        return errors.too_large(event.get("path") or "/", size, limit)
    return app.resolve(event, context)


def _body_size(event: dict) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8")) if isinstance(body, str) else len(body)
