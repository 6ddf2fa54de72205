"""An HTTP server that does what API Gateway (REST API, Lambda proxy integration) does for the api Lambda:
each request becomes a v1 proxy event, the unchanged handler answers, and the proxy result (statusCode,
headers, multiValueHeaders, body, isBase64Encoded) becomes the HTTP response. With `FUNCTION_URL` events it
does what a Lambda function URL does instead (payload format 2.0, for the long-wait function).

It enforces the deployed limits (`GatewayLimits`): API Gateway REST answers 413 `{"message": "Request Too
Long"}` for a body over 10 MB and 504 `{"message": "Endpoint request timed out"}` when the integration has
not answered in 29 s (the function keeps running, as Lambda does); a function URL takes at most Lambda's
6 MB payload and stops waiting at the function's timeout.

Like Lambda, each execution environment handles one event at a time: the handler runs in a pool of worker
processes (`workers`, default 4), each of which imported it once ("cold start"). This matters: handler
modules keep per-invocation state in globals (Powertools' resolver keeps the current event on a class
attribute), so two requests must never share an interpreter at the same moment. Sync routes (`runsync`,
A1111) hold their worker while they wait, as they hold their Lambda.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.http_thread import ThreadedServer
from local.lambda_context import LambdaContext

log = logging.getLogger("local.api")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded", "+json")

REST = "rest"
"""API Gateway REST proxy events (payload 1.0)."""
FUNCTION_URL = "function-url"
"""Lambda function URL events (payload 2.0)."""

API_GATEWAY_TIMEOUT_S = 29.0
"""API Gateway's REST integration timeout (the default and, without a quota raise, the most)."""
API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's REST request payload limit."""
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
"""A synchronous Lambda invocation's payload limit: a function URL's request limit."""


@dataclass(frozen=True)
class GatewayLimits:
    """What the front door enforces before and around the function: the largest request body, and how long
    it waits for the function's answer (None: as long as the function runs)."""

    max_body_bytes: int
    timeout_s: float | None
    timeout_status: int
    timeout_body: str
    too_large_body: str


def rest_limits(
    timeout_s: float = API_GATEWAY_TIMEOUT_S, max_body_bytes: int = API_GATEWAY_MAX_BODY_BYTES
) -> GatewayLimits:
    """API Gateway REST's limits and its own answers to them (gateway responses INTEGRATION_TIMEOUT and
    REQUEST_TOO_LARGE)."""
    return GatewayLimits(
        max_body_bytes=max_body_bytes,
        timeout_s=timeout_s,
        timeout_status=504,
        timeout_body=json.dumps({"message": "Endpoint request timed out"}),
        too_large_body=json.dumps({"message": "Request Too Long"}),
    )


def function_url_limits(timeout_s: float) -> GatewayLimits:
    """A function URL's limits: Lambda's 6 MB payload, and the function's own timeout."""
    return GatewayLimits(
        max_body_bytes=LAMBDA_PAYLOAD_BYTES,
        timeout_s=timeout_s,
        timeout_status=502,
        timeout_body=json.dumps({"message": "Internal Server Error"}),
        too_large_body=json.dumps({"message": "Request must be smaller than 6291456 bytes"}),
    )


def event_body(body: bytes, content_type: str) -> tuple[str | None, bool]:
    """An event's `body` and `isBase64Encoded`, as both front doors pass them: text types (or none) as
    UTF-8 text where they decode, anything else base64."""
    if not body:
        return None, False
    is_text = not content_type or any(marker in content_type.lower() for marker in _TEXT_TYPES)
    if is_text:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def build_proxy_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    domain_name: str,
    stage: str,
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """The API Gateway REST (v1 payload) proxy event for one request on a `/{proxy+}` resource."""
    split = urlsplit(raw_path)
    path = unquote(split.path) or "/"
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query_pairs = parse_qsl(split.query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    text_body, encoded = event_body(body, content_type)
    now = time.time()
    request_id = str(uuid.uuid4())
    user_agent = single_headers.get("User-Agent") or next(
        (v for k, v in headers if k.lower() == "user-agent"), None
    )
    proxy = path.lstrip("/")
    return {
        "resource": "/{proxy+}" if proxy else "/",
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": source_ip,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            # Served at the root, like a custom domain mapped to the stage with an empty base path
            # (on the execute-api host this would be f"/{stage}{path}").
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "local",
            "resourcePath": "/{proxy+}" if proxy else "/",
            "stage": stage,
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


def build_function_url_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    domain_name: str,
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """The Lambda function URL (payload format 2.0) event for one request: header names in lower case,
    repeated headers and query parameters joined with commas, cookies apart."""
    split = urlsplit(raw_path)
    path = split.path or "/"
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        joined[lowered] = f"{joined[lowered]},{value}" if lowered in joined else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    text_body, encoded = event_body(body, joined.get("content-type", ""))
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": split.query,
        "headers": joined,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if text_body is not None:
        event["body"] = text_body
    return event


_worker_handler: Handler | None = None


def _worker_init(handler_path: str, env: Mapping[str, str]) -> None:
    """Runs once in each worker process: the function's own environment, then import the handler (its cold
    start)."""
    global _worker_handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the pool
    os.environ.update(env)
    module, _, name = handler_path.partition(":")
    _worker_handler = getattr(importlib.import_module(module), name or "handler")


def _worker_invoke(event: dict[str, Any], function_name: str, timeout_s: float) -> dict[str, Any]:
    assert _worker_handler is not None
    return _worker_handler(event, LambdaContext(function_name, timeout_s=timeout_s))


def _worker_ready() -> bool:
    return _worker_handler is not None


class HttpGateway:
    """Serves a Lambda proxy handler on 127.0.0.1:`port`.

    `handler_path` ("module:function") runs in `workers` processes that inherit this process's environment
    (set it before `start`) plus `env`, the function's own variables; with `handler` instead, it is called
    in this process, one request at a time. `events` is `REST` or `FUNCTION_URL`; `limits` what the door
    enforces (default: API Gateway REST's); `timeout_s` is the function's own timeout (Lambda's context).
    """

    def __init__(
        self,
        handler_path: str | None = None,
        *,
        handler: Handler | None = None,
        workers: int = 4,
        stage: str = "local",
        timeout_s: float = 29.0,
        function_name: str = "sdapi-api",
        events: str = REST,
        limits: GatewayLimits | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if (handler_path is None) == (handler is None):
            raise ValueError("give exactly one of handler_path and handler")
        self._handler_path = handler_path
        self._handler = handler
        self._workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._inline_lock = threading.Lock()
        self.stage = stage
        self.timeout_s = timeout_s
        self.function_name = function_name
        self.events = events
        self.limits = limits or rest_limits()
        self._env = dict(env or {})
        self._server: ThreadedServer | None = None
        self.url = ""

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(self._handler_path, self._env),
        )

    def warm(self) -> None:
        """Start every worker and import the handler in each (so the first requests are not cold)."""
        if self._handler_path is None:
            return
        with self._pool_lock:
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
        futures = [pool.submit(_worker_ready) for _ in range(self._workers)]
        for future in futures:
            future.result(timeout=120)

    def start(self, port: int) -> str:
        gateway = self

        class RequestHandler(_RequestHandler):
            pass

        RequestHandler.gateway = gateway
        self._server = ThreadedServer(RequestHandler, port, "api-gateway")
        self.url = self._server.url
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def build_event(
        self,
        *,
        method: str,
        raw_path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        host: str,
    ) -> dict[str, Any]:
        """The event this gateway's function receives for one request."""
        if self.events == FUNCTION_URL:
            return build_function_url_event(
                method=method,
                raw_path=raw_path,
                headers=headers,
                body=body,
                source_ip=source_ip,
                domain_name=host,
            )
        return build_proxy_event(
            method=method,
            raw_path=raw_path,
            headers=headers,
            body=body,
            source_ip=source_ip,
            domain_name=host,
            stage=self.stage,
        )

    def timed_out(self) -> dict[str, Any]:
        """The door's own answer when the function has not answered within `limits.timeout_s`."""
        return self._own_answer(self.limits.timeout_status, self.limits.timeout_body)

    def too_large(self) -> dict[str, Any]:
        """The door's own answer to a body over `limits.max_body_bytes` (the function is not invoked)."""
        return self._own_answer(413, self.limits.too_large_body)

    @staticmethod
    def _own_answer(status: int, body: str) -> dict[str, Any]:
        return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """The function's answer; FutureTimeout when it has not answered within `limits.timeout_s` (the
        function goes on running, as Lambda's does when API Gateway gives up)."""
        if self._handler is not None:
            with self._inline_lock:
                return self._handler(event, LambdaContext(self.function_name, timeout_s=self.timeout_s))
        with self._pool_lock:
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
        try:
            future = pool.submit(_worker_invoke, event, self.function_name, self.timeout_s)
            return future.result(timeout=self.limits.timeout_s)
        except BrokenProcessPool:
            log.error("an api worker process died; starting fresh ones")
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            raise


class _RequestHandler(BaseHTTPRequestHandler):
    gateway: HttpGateway
    protocol_version = "HTTP/1.1"
    server_version = "sdapi-local"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        headers = list(self.headers.items())
        lowered = {k.lower() for k, _ in headers}
        if "x-forwarded-proto" not in lowered:
            headers.append(("X-Forwarded-Proto", "http"))
        if "x-forwarded-port" not in lowered:
            headers.append(("X-Forwarded-Port", str(self.server.server_address[1])))
        if "x-forwarded-for" not in lowered:
            headers.append(("X-Forwarded-For", self.client_address[0]))
        event = self.gateway.build_event(
            method=self.command,
            raw_path=self.path,
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
            host=host,
        )
        path = urlsplit(self.path).path
        try:
            if length > self.gateway.limits.max_body_bytes:
                result = self.gateway.too_large()
            else:
                result = self.gateway.invoke(event)
        except FutureTimeout:
            log.warning("%s %s: no answer within %s s", self.command, path, self.gateway.limits.timeout_s)
            result = self.gateway.timed_out()
        except Exception:
            log.exception("api handler raised on %s %s", self.command, path)
            result = {
                "statusCode": 502,
                "headers": {"Content-Type": "application/json"},
                "body": '{"message": "Internal server error"}',
            }
        self._write(result)
        log.info(
            "%s %s -> %s (%.0f ms)",
            self.command,
            path,
            result.get("statusCode"),
            (time.perf_counter() - started) * 1000,
        )

    def _write(self, result: dict[str, Any]) -> None:
        status = int(result.get("statusCode") or 200)
        raw_body = result.get("body") or ""
        data = base64.b64decode(raw_body) if result.get("isBase64Encoded") else str(raw_body).encode("utf-8")
        pairs: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            pairs.append((name, str(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            single = (result.get("headers") or {}).get(name)
            for value in values:
                if single is not None and str(value) == str(single):
                    continue
                pairs.append((name, str(value)))
        pairs += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or ()]  # function URL
        self.send_response(status)
        skip = {"content-length", "transfer-encoding", "connection"}
        for name, value in pairs:
            if name.lower() not in skip:
                self.send_header(name, value)
        if not any(name.lower() == "content-type" for name, _ in pairs):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle
