"""A SageMaker asynchronous-inference emulator that speaks the real wire protocols.

- `sagemaker-runtime` InvokeEndpointAsync (REST-JSON): `POST /endpoints/{EndpointName}/async-invocations`
  with the `X-Amzn-SageMaker-*` headers; answers 202 with `{"InferenceId"}` in the body and the
  `X-Amzn-SageMaker-OutputLocation` / `-FailureLocation` headers, exactly what botocore parses.
- `sagemaker` DescribeEndpoint (JSON 1.1, `X-Amz-Target: SageMaker.DescribeEndpoint`), so instance counts
  come from the same call the Lambdas make in AWS.

Each endpoint has a queue and `max_concurrency` workers (MaxConcurrentInvocationsPerInstance on one
instance). A worker drops requests older than their RequestTTLSeconds, reads the input object from S3,
POSTs it to the inference container's `/invocations` with the InvocationTimeoutSeconds limit, writes the
answer to `async-output/` (or `async-failure/`) and publishes SageMaker's notification on the success or
error topic with the response inline (`IncludeInferenceResponseIn`, up to 128 KB).

The unchanged `invoke_endpoint_async` call reaches it through `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from local.http_thread import ThreadedServer

log = logging.getLogger("local.sagemaker")

INLINE_RESPONSE_LIMIT = 128 * 1024
"""SageMaker includes the inference response in the notification only up to 128 KB."""

_INVOKE_PATH = re.compile(r"^/endpoints/(?P<name>[^/]+)/async-invocations/?$")


CONTAINER_EXITED = (
    "ServerError: the model container exited while running this job (exit code {code}); the platform "
    "restarted it. Submit the job again."
)
"""The failure reason of the invocation a crashed inference server was running."""


class ServerWatch(Protocol):
    """What the emulator reads of the model server process (`local.container_process.ContainerProcess`)."""

    incarnation: int
    last_exit_code: int | None

    def alive(self) -> bool: ...

    def ready(self) -> bool: ...


@dataclass(frozen=True)
class EndpointConfig:
    """One emulated async endpoint: its AsyncInferenceConfig and where its model server listens."""

    name: str
    container_url: str
    bucket: str
    success_topic_arn: str | None
    error_topic_arn: str | None
    output_prefix: str = "async-output/"
    failure_prefix: str = "async-failure/"
    max_concurrency: int = 1
    include_response_in: tuple[str, ...] = ("SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC")
    region: str = "us-east-1"
    account: str = "123456789012"
    server: ServerWatch | None = field(default=None, compare=False)
    """The model server process, when the emulator should wait for it (and tell a crash when it dies)."""
    start_delay_s: float = 0.0
    """Each invocation waits this long before the model server sees it (the job stays QUEUED): a stand-in
    for an endpoint starting from zero (`SDAPI_LOCAL_INVOCATION_DELAY_S`)."""


@dataclass
class Invocation:
    endpoint: str
    inference_id: str
    input_location: str
    content_type: str
    accept: str | None
    custom_attributes: str | None
    output_location: str
    failure_location: str
    invocation_timeout_s: int
    ttl_s: int
    received_at: float = field(default_factory=time.time)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise ValueError(f"not an s3://bucket/key URI: {uri}")
    return bucket, key


class _Endpoint:
    """Queue + workers of one endpoint."""

    def __init__(self, config: EndpointConfig, clients: _Clients, stopping: threading.Event) -> None:
        self.config = config
        self._clients = clients
        self._stopping = stopping
        self.queue: queue.Queue[Invocation | None] = queue.Queue()
        self.created_at = time.time()
        self.in_flight = 0
        self._lock = threading.Lock()
        self.workers = [
            threading.Thread(target=self._work, name=f"sagemaker-{config.name}-{i}", daemon=True)
            for i in range(max(1, config.max_concurrency))
        ]

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for _ in self.workers:
            self.queue.put(None)

    @property
    def name(self) -> str:
        return f"sagemaker-{self.config.name} workers"

    def alive(self) -> bool:
        return self._stopping.is_set() or all(w.is_alive() for w in self.workers)

    def restart(self) -> None:
        """Replace the worker threads that died."""
        for i, worker in enumerate(self.workers):
            if not worker.is_alive():
                self.workers[i] = threading.Thread(target=self._work, name=worker.name, daemon=True)
                self.workers[i].start()

    def _await_server(self, inv: Invocation) -> bool:
        """Hold the invocation while the model server is down (the endpoint's backlog); False when its
        time to live ran out or the emulator is stopping."""
        server = self.config.server
        if server is None:
            return True
        while not self._stopping.is_set():
            if server.alive() and server.ready():
                return True
            if time.time() - inv.received_at > inv.ttl_s:
                return False
            self._stopping.wait(0.5)
        return False

    def _crash_code(self, incarnation: int) -> str | None:
        """After a failed call: the server's exit code (as text) if it died meanwhile, else None."""
        server = self.config.server
        if server is None:
            return None
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            if server.incarnation != incarnation or not server.alive():
                return "unknown" if server.last_exit_code is None else str(server.last_exit_code)
            time.sleep(0.1)
        return None

    def _work(self) -> None:
        while not self._stopping.is_set():
            item = self.queue.get()
            if item is None:
                return
            with self._lock:
                self.in_flight += 1
            try:
                self._process(item)
            except Exception:
                log.exception("inference %s on %s: emulator error", item.inference_id, item.endpoint)
            finally:
                with self._lock:
                    self.in_flight -= 1

    def _process(self, inv: Invocation) -> None:
        if time.time() - inv.received_at > inv.ttl_s:
            self._fail(
                inv, 400, b"", "Request expired: it waited longer than RequestTTLSeconds in the queue."
            )
            return
        bucket, key = _split_s3_uri(inv.input_location)
        try:
            body = self._clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            self._fail(
                inv, 400, b"", f"ClientError: could not read the input location {inv.input_location}: {exc}"
            )
            return
        if self.config.start_delay_s and self._stopping.wait(self.config.start_delay_s):
            return
        if not self._await_server(inv):
            if not self._stopping.is_set():
                self._fail(
                    inv, 400, b"", "Request expired: it waited longer than RequestTTLSeconds in the queue."
                )
            return
        incarnation = self.config.server.incarnation if self.config.server else 0
        headers = {"Content-Type": inv.content_type}
        if inv.accept:
            headers["Accept"] = inv.accept
        if inv.custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = inv.custom_attributes
        request = urllib.request.Request(  # noqa: S310 - the container URL is ours (http://127.0.0.1)
            f"{self.config.container_url}/invocations", data=body, headers=headers, method="POST"
        )
        log.info("inference %s on %s: POST /invocations", inv.inference_id, inv.endpoint)
        try:
            with urllib.request.urlopen(request, timeout=inv.invocation_timeout_s) as response:  # noqa: S310
                status = response.status
                answer = response.read()
                answer_type = response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as err:
            status = err.code
            answer = err.read()
            answer_type = err.headers.get("Content-Type", "application/json")
        except TimeoutError:
            self._fail(
                inv, 408, b"", "Inference request timed out: it ran longer than InvocationTimeoutSeconds."
            )
            return
        except (urllib.error.URLError, OSError) as exc:
            code = self._crash_code(incarnation)
            if code is not None:
                self._fail(inv, 500, b"", CONTAINER_EXITED.format(code=code))
            else:
                self._fail(inv, 500, b"", f"ServerError: the model container did not answer: {exc}")
            return
        if 200 <= status < 300:
            self._succeed(inv, answer, answer_type)
        else:
            text = answer.decode("utf-8", "replace")
            side = "server" if status >= 500 else "client"
            reason = (
                f"ClientError: Received {side} error ({status}) from primary "
                f'with message "{text}". See the model container\'s log for more information.'
            )
            self._fail(inv, status, answer, reason, answer_type)

    def _succeed(self, inv: Invocation, answer: bytes, content_type: str) -> None:
        bucket, key = _split_s3_uri(inv.output_location)
        self._clients.s3.put_object(Bucket=bucket, Key=key, Body=answer, ContentType=content_type)
        message = self._notification(inv, "Completed", content_type)
        message["responseParameters"]["outputLocation"] = inv.output_location
        self._inline(message, answer, "SUCCESS_NOTIFICATION_TOPIC")
        log.info("inference %s on %s: completed", inv.inference_id, inv.endpoint)
        self._publish(self.config.success_topic_arn, message)

    def _fail(
        self, inv: Invocation, status: int, answer: bytes, reason: str, content_type: str = "application/json"
    ) -> None:
        bucket, key = _split_s3_uri(inv.failure_location)
        self._clients.s3.put_object(
            Bucket=bucket, Key=key, Body=answer or reason.encode(), ContentType=content_type
        )
        message = self._notification(inv, "Failed", content_type)
        message["failureReason"] = reason
        message["responseParameters"]["failureLocation"] = inv.failure_location
        if answer:
            self._inline(message, answer, "ERROR_NOTIFICATION_TOPIC")
        log.warning("inference %s on %s: failed (%s)", inv.inference_id, inv.endpoint, status)
        self._publish(self.config.error_topic_arn, message)

    def _notification(self, inv: Invocation, status: str, content_type: str) -> dict[str, Any]:
        return {
            "awsRegion": self.config.region,
            "eventTime": _iso(time.time()),
            "receivedTime": _iso(inv.received_at),
            "invocationStatus": status,
            "requestParameters": {
                "accept": inv.accept or "*/*",
                "contentType": inv.content_type,
                "customAttributes": inv.custom_attributes or "",
                "endpointName": inv.endpoint,
                "inputLocation": inv.input_location,
            },
            "responseParameters": {"contentType": content_type},
            "inferenceId": inv.inference_id,
            "eventVersion": "1.0",
            "eventSource": "aws:sagemaker",
            "eventName": "InferenceResult",
        }

    def _inline(self, message: dict[str, Any], answer: bytes, topic_kind: str) -> None:
        if topic_kind not in self.config.include_response_in or len(answer) > INLINE_RESPONSE_LIMIT:
            return
        try:
            content = answer.decode("utf-8")
        except UnicodeDecodeError:
            return
        message["responseParameters"]["responseBody"] = {"content": content, "encoding": "UTF-8"}

    def _publish(self, topic_arn: str | None, message: dict[str, Any]) -> None:
        if not topic_arn:
            return
        self._clients.sns.publish(TopicArn=topic_arn, Message=json.dumps(message))


class _Clients:
    """boto3 clients for moto (S3 and SNS), created once."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        from botocore.config import Config

        from sdapi.aws import clients

        session = clients.session(
            region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto's fake credentials
        )
        config = Config(retries={"mode": "standard", "max_attempts": 3})
        self.s3 = session.client("s3", endpoint_url=endpoint_url, config=config)
        self.sns = session.client("sns", endpoint_url=endpoint_url, config=config)


class SageMakerEmulator:
    """HTTP server for InvokeEndpointAsync + DescribeEndpoint, and the per-endpoint workers."""

    def __init__(
        self, endpoints: list[EndpointConfig], aws_endpoint_url: str, region: str = "us-east-1"
    ) -> None:
        self._stopping = threading.Event()
        self._clients = _Clients(aws_endpoint_url, region)
        self.endpoints = {cfg.name: _Endpoint(cfg, self._clients, self._stopping) for cfg in endpoints}
        self._server: ThreadedServer | None = None
        self.url = ""

    def start(self, port: int = 0) -> str:
        emulator = self

        class Handler(_Handler):
            pass

        Handler.emulator = emulator
        for endpoint in self.endpoints.values():
            endpoint.start()
        self._server = ThreadedServer(Handler, port, "sagemaker-http")
        self.url = self._server.url
        log.info("SageMaker async emulator on %s (endpoints: %s)", self.url, ", ".join(self.endpoints))
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        for endpoint in self.endpoints.values():
            endpoint.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def children(self) -> list[Any]:
        """What `local.supervisor` watches: each endpoint's workers and the HTTP server thread."""
        found: list[Any] = list(self.endpoints.values())
        if self._server is not None:
            found.append(self._server)
        return found

    # -- operations ------------------------------------------------------------------------------------------

    def invoke_async(self, name: str, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            cfg = next(iter(self.endpoints.values())).config if self.endpoints else None
            account = cfg.account if cfg else "123456789012"
            return _error(400, "ValidationError", f"Endpoint {name} of account {account} not found.")
        input_location = headers.get("x-amzn-sagemaker-inputlocation")
        if not input_location:
            return _error(400, "ValidationError", "InputLocation is required for asynchronous inference.")
        try:
            _split_s3_uri(input_location)
            timeout_s = int(headers.get("x-amzn-sagemaker-invocationtimeoutseconds", "900"))
            ttl_s = int(headers.get("x-amzn-sagemaker-requestttlseconds", "21600"))
        except ValueError as exc:
            return _error(400, "ValidationError", str(exc))
        if not 1 <= timeout_s <= 3600:
            return _error(400, "ValidationError", "InvocationTimeoutSeconds must be between 1 and 3600.")
        if not 60 <= ttl_s <= 21600:
            return _error(400, "ValidationError", "RequestTTLSeconds must be between 60 and 21600.")
        cfg = endpoint.config
        inference_id = headers.get("x-amzn-sagemaker-inference-id") or str(uuid.uuid4())
        output_name = str(uuid.uuid4())
        inv = Invocation(
            endpoint=name,
            inference_id=inference_id,
            input_location=input_location,
            content_type=headers.get("x-amzn-sagemaker-content-type") or "application/octet-stream",
            accept=headers.get("x-amzn-sagemaker-accept"),
            custom_attributes=headers.get("x-amzn-sagemaker-custom-attributes"),
            output_location=f"s3://{cfg.bucket}/{cfg.output_prefix}{output_name}.out",
            failure_location=f"s3://{cfg.bucket}/{cfg.failure_prefix}{output_name}-error.out",
            invocation_timeout_s=timeout_s,
            ttl_s=ttl_s,
        )
        endpoint.queue.put(inv)
        log.info("inference %s queued on %s (backlog %d)", inference_id, name, endpoint.queue.qsize())
        return (
            202,
            {
                "X-Amzn-SageMaker-OutputLocation": inv.output_location,
                "X-Amzn-SageMaker-FailureLocation": inv.failure_location,
            },
            {"InferenceId": inference_id},
        )

    def describe_endpoint(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        name = body.get("EndpointName", "")
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return _json_error(400, "ValidationException", f'Could not find endpoint "{name}".')
        cfg = endpoint.config
        arn = f"arn:aws:sagemaker:{cfg.region}:{cfg.account}:endpoint/{name.lower()}"
        notification = {
            key: value
            for key, value in (
                ("SuccessTopic", cfg.success_topic_arn),
                ("ErrorTopic", cfg.error_topic_arn),
                ("IncludeInferenceResponseIn", list(cfg.include_response_in)),
            )
            if value
        }
        return (
            200,
            {},
            {
                "EndpointName": name,
                "EndpointArn": arn,
                "EndpointConfigName": name,
                "EndpointStatus": "InService",
                "CreationTime": endpoint.created_at,
                "LastModifiedTime": endpoint.created_at,
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "CurrentWeight": 1.0,
                        "DesiredWeight": 1.0,
                        "CurrentInstanceCount": 1,
                        "DesiredInstanceCount": 1,
                    }
                ],
                "AsyncInferenceConfig": {
                    "ClientConfig": {"MaxConcurrentInvocationsPerInstance": cfg.max_concurrency},
                    "OutputConfig": {
                        "S3OutputPath": f"s3://{cfg.bucket}/{cfg.output_prefix}",
                        "S3FailurePath": f"s3://{cfg.bucket}/{cfg.failure_prefix}",
                        "NotificationConfig": notification,
                    },
                },
            },
        )

    def backlog(self, name: str) -> int:
        """Queued plus running invocations of an endpoint (ApproximateBacklogSize)."""
        endpoint = self.endpoints[name]
        return endpoint.queue.qsize() + endpoint.in_flight


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    """A REST-JSON error as botocore parses it (`x-amzn-ErrorType` header + `message`)."""
    return status, {"x-amzn-ErrorType": code}, {"message": message}


def _json_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    """A JSON 1.1 error (`__type` + `message`)."""
    return status, {}, {"__type": code, "message": message}


class _Handler(BaseHTTPRequestHandler):
    emulator: SageMakerEmulator
    protocol_version = "HTTP/1.1"
    server_version = "sagemaker-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?", 1)[0]
        match = _INVOKE_PATH.match(path)
        if match:
            from urllib.parse import unquote

            if raw:
                self._send(
                    *_error(400, "ValidationError", "Inline Body is not supported here; use InputLocation.")
                )
                return
            self._send(*self.emulator.invoke_async(unquote(match["name"]), headers))
            return
        target = headers.get("x-amz-target", "")
        if path == "/" and target == "SageMaker.DescribeEndpoint":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._send(*_json_error(400, "SerializationException", "body is not JSON"))
                return
            self._send(*self.emulator.describe_endpoint(body), content_type="application/x-amz-json-1.1")
            return
        self._send(*_json_error(400, "UnknownOperationException", f"not emulated: {target or path}"))

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: dict[str, Any],
        content_type: str = "application/json",
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
