"""Support for the api handler tests: API Gateway REST proxy events through the real api entry point,
a stand-in GPU worker that finishes queued jobs the way the container + completion path would (PNG outputs
under the job's prefix, COMPLETED with `info`), and dependencies injected per test (moto resources)."""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any

import boto3

from local.http_gateway import FUNCTION_URL, REST, build_function_url_event, build_proxy_event
from local.lambda_context import LambdaContext
from sdapi.api.deps import Deps
from sdapi.auth import Authenticator
from sdapi.aws.bucket import Bucket
from sdapi.aws.jobs_table import JobsTable
from sdapi.aws.keys_table import KeysTable
from sdapi.aws.sagemaker import SageMaker, SageMakerRuntime
from sdapi.config import Settings
from sdapi.schema.job import JobState
from sdapi.service.jobs import JobService
from sdapi.throttle import KeyThrottle


def png_bytes(size: tuple[int, int] = (16, 16), color: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()
PNG_B64 = base64.b64encode(PNG).decode()


class Worker:
    """Finishes every queued job: writes its PNGs (generated images, then one map per ControlNet unit)
    and records it COMPLETED with an A1111-style `info`, or FAILED when `fail_with` is set."""

    def __init__(self, settings: Settings, fail_with: str | None = None):
        self.settings = settings
        self.table = JobsTable(settings.jobs_table)
        self.fail_with = fail_with
        self.enabled = True

    def __call__(
        self, _seconds: float = 0
    ) -> None:  # used as JobService.sleep: runs while a sync route waits
        if self.enabled:
            self.finish_all()

    def finish_all(self) -> list[str]:
        done = []
        for pool in self.settings.catalog.pools:
            for record in self.table.queued(pool.name):
                self.finish(record.id)
                done.append(record.id)
        return done

    def finish(self, job_id: str) -> None:
        record = self.table.get(job_id)
        now = time.time()
        if self.fail_with:
            self.table.transition(
                job_id,
                JobState.FAILED,
                expected=[JobState.QUEUED, JobState.IN_PROGRESS],
                updates={"error": self.fail_with, "started_at": now, "completed_at": now + 0.5},
            )
            return
        count = int(record.summary.get("batch_size", 1)) * int(record.summary.get("n_iter", 1))
        if record.task == "extras":  # one processed image per input image
            count = int(record.summary.get("init_image_count", 1))
        maps = len(record.summary.get("controlnet") or [])
        keys = [f"{record.output_prefix}{i}.png" for i in range(count + maps)]
        s3 = boto3.client("s3")
        for key in keys:
            s3.put_object(Bucket=self.settings.bucket, Key=key, Body=PNG, ContentType="image/png")
        info = json.dumps(
            {
                "prompt": record.summary.get("prompt", ""),
                "seed": record.summary.get("seed"),
                "all_seeds": [record.summary.get("seed")],
                "infotexts": ["x"],
            }
        )
        self.table.transition(
            job_id,
            JobState.COMPLETED,
            expected=[JobState.QUEUED, JobState.IN_PROGRESS],
            updates={
                "started_at": now - 2.5,
                "completed_at": now,
                "outputs": keys,
                "n_generated": count,
                "info": info,
                "progress_step": record.progress_total,
            },
        )


class Api:
    """Calls the real api Lambda entry point (`handlers.api.make_handler` around an `ApiFunction` over
    `service`) with API Gateway REST proxy events."""

    def __init__(self, handler, key: str | None, service: JobService | None = None, events: str = REST):
        self.handler = handler
        self.key = key
        self.service = service
        self.events = events

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = "default",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        host: str = "api.example.com",
        time_left_s: float = 30.0,
    ) -> tuple[int, Any, dict[str, str]]:
        all_headers = {"Host": host, "Content-Type": "application/json"}
        if key == "default":
            key = self.key
        if key:
            all_headers["x-api-key"] = key
        all_headers.update(headers or {})
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        request = {
            "method": method,
            "raw_path": path,
            "headers": list(all_headers.items()),
            "body": data,
            "source_ip": "127.0.0.1",
            "domain_name": host,
        }
        if self.events == FUNCTION_URL:
            event = build_function_url_event(**request)
        else:
            event = build_proxy_event(**request, stage="prod")
        response = self.handler(event, LambdaContext("sdapi-api", timeout_s=time_left_s))
        text = response.get("body") or ""
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        headers_out = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers_out[name] = values[-1]
        return response["statusCode"], parsed, headers_out


def api_for(
    settings: Settings,
    worker: Worker | None = None,
    key: str | None = None,
    *,
    events: str = REST,
    throttle: KeyThrottle | None = None,
) -> Api:
    """The api handler over moto with `settings` injected (no environment, no module reload); `worker`
    runs while a synchronous route waits. `events=FUNCTION_URL`: the long-wait function, which reads
    function URL events (with its per-key `throttle`, if given)."""
    from sdapi.api.app import FUNCTION_URL as URL_RESOLVER
    from sdapi.api.app import REST as REST_RESOLVER
    from sdapi.api.app import ApiFunction
    from sdapi.handlers.api import make_handler

    service = JobService(
        settings,
        JobsTable(settings.jobs_table),
        Bucket(settings.bucket),
        SageMakerRuntime(settings.bucket),
        SageMaker(),
        sleep=worker or (lambda _s: None),
    )
    deps = Deps(
        settings=settings,
        service=service,
        authenticator=Authenticator(KeysTable(settings.keys_table), cache_s=0),
        throttle=throttle,
    )
    kind = URL_RESOLVER if events == FUNCTION_URL else REST_RESOLVER
    return Api(make_handler(ApiFunction(deps, kind)), key, service, events)


def settings_for(aws: Any, **overrides: Any) -> Settings:
    values = {"sync_wait_s": 0.5, "v3_wait_s": 0.0, **overrides}
    return aws.settings.model_copy(update=values)


def other_key(aws: Any) -> str:
    from sdapi.auth import create_key

    return create_key(KeysTable(aws.keys_table), owner="mallory", name="other").key


def api_env(aws: Any, api_key: Any, *, worker: bool = True, **overrides: Any) -> tuple[Api, Worker, Settings]:
    """The api handler over moto with the given settings overrides, and a stand-in GPU worker that finishes
    jobs on demand (`worker=False`: it stays idle, so jobs remain QUEUED until a test moves them)."""
    settings = settings_for(aws, **overrides)
    gpu = Worker(settings)
    gpu.enabled = worker
    return api_for(settings, gpu, api_key.key), gpu, settings
