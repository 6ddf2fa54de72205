"""OpenAPI 3.1 at /openapi.json (with every operation's error answers in its dialect's shape:
`api.openapi_errors`) and Swagger UI at /docs (assets inlined: works offline)."""

from __future__ import annotations

import json
from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

TITLE = "Stable Diffusion API"
VERSION = "1.0.0"
DESCRIPTION = (
    "One API, five dialects: native (`/v1`), RunPod (`/v2/{endpoint}`), AUTOMATIC1111 (`/sdapi/v1`), "
    "stablediffusionapi.com v3 (`/api/v3`, key in the body) and SD-on-EKS tasks (`/v1alpha1`, `/v1alpha2`). "
    "Authenticate with `x-api-key: KEY` or `Authorization: Bearer KEY`."
)
SECURITY_SCHEMES: dict = {  # plain dicts: Powertools validates them when the document is built, not at import
    "apiKey": {"type": "apiKey", "name": "x-api-key", "in": "header"},
    "bearer": {"type": "http", "scheme": "bearer"},
}
SECURITY = [{"apiKey": []}, {"bearer": []}]
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
PATHS = (OPENAPI_PATH, DOCS_PATH)
"""The documents' paths (served without an API key)."""


def serves(path: str) -> bool:
    """Whether `path` is one of the documents' (Powertools' REST routes match with trailing slashes)."""
    return path.rstrip("/") in PATHS


def register(app: APIGatewayRestResolver) -> None:
    """Serve the OpenAPI document (built once, on first request) and Swagger UI."""
    @cache
    def schema_json() -> str:
        from sdapi.api.openapi_errors import document_errors  # with every dialect's error models

        generated = app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description=DESCRIPTION,
            security_schemes=SECURITY_SCHEMES,
            security=SECURITY,
        )
        return json.dumps(document_errors(json.loads(generated)), separators=(",", ":"))

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi_json():
        return Response(status_code=200, content_type="application/json", body=schema_json())

    app.enable_swagger(
        path=DOCS_PATH,
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes=SECURITY_SCHEMES,
        security=SECURITY,
    )
