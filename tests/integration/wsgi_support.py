"""The api Lambda handler as a WSGI app (API Gateway REST proxy events in, proxy responses out), so that
in-process HTTP tools (schemathesis' WSGI transport) reach the real handler without a server."""

from __future__ import annotations

import base64
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from local.http_gateway import build_proxy_event
from local.lambda_context import LambdaContext


def wsgi_app(handler: Any):
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = [
            (name[5:].replace("_", "-").title(), value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/")
        query = environ.get("QUERY_STRING")
        event = build_proxy_event(
            method=environ["REQUEST_METHOD"],
            raw_path=f"{path}?{query}" if query else path,
            headers=headers,
            body=body,
            source_ip="127.0.0.1",
            domain_name="api.example.com",
            stage="prod",
        )
        result = handler(event, LambdaContext("sdapi-api"))
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        out = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out[name] = values[-1]
        status = int(result["statusCode"])
        start_response(f"{status} {HTTPStatus(status).phrase}", list(out.items()))
        return [data]

    return app
