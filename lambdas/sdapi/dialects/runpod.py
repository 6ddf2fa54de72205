"""RunPod serverless queue API (`/v2/{endpoint}/...`), as spoken by A1111 workers (seeds 000-002).

Decisions:
- `{endpoint}` is the model pool's name; an unknown one is a 404.
- Both input shapes are accepted: `{"input": <A1111 payload>}` (txt2img, or img2img when `init_images` is
  present; errors name `input.<field>`) and the community worker's `{"input": {"api": {"method",
  "endpoint"}, "payload": {...}}}` (errors name `input.payload.<field>`).
- Allow-list: POST txt2img and img2img run as jobs; GET listings (samplers, schedulers, sd-models, sd-vae,
  options, upscalers, face-restorers, embeddings) are answered at once from the catalog, by `/run` and
  `/runsync` alike, as a COMPLETED body with a `listing-…` id and the listing as `output` (no job is stored,
  so `/status` of that id is a 404). Anything else is a 400 naming `input.api.endpoint`.
- `policy.executionTimeout` (ms) sets the execution limit (1 s-1 h); `policy.ttl` (ms) the queue limit,
  capped at SageMaker's 6 h (RunPod's default 24 h is more than SageMaker allows).
- `webhook` gets the `/status` body of the finished job (signed, per DESIGN §7).
- Errors: `{"error": "<message>", "errors": [{"field", "reason"}]}` with the domain status (400/401/404/409/
  410/413/503); request-schema errors are 400 as well.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects import a1111
from sdapi.dialects.common import SubmitContext, parse, prefixed
from sdapi.errors import DomainError, InvalidRequest
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import Dialect, Job, JobState, Timeouts, Webhook

STATUS = {
    JobState.QUEUED: "IN_QUEUE",
    JobState.IN_PROGRESS: "IN_PROGRESS",
    JobState.COMPLETED: "COMPLETED",
    JobState.FAILED: "FAILED",
    JobState.CANCELLED: "CANCELLED",
    JobState.TIMED_OUT: "TIMED_OUT",
}
MAX_TTL_MS = 21600 * 1000

GENERATE = ("txt2img", "img2img")
LISTINGS = (
    "samplers",
    "schedulers",
    "sd-models",
    "sd-vae",
    "options",
    "upscalers",
    "face-restorers",
    "embeddings",
)


class RunPodApi(BaseModel):
    """Which A1111 route the community worker should call."""

    model_config = ConfigDict(extra="allow")

    method: str = Field(default="POST", description="POST for txt2img/img2img, GET for listings.")
    endpoint: str = Field(description='A1111 route, e.g. "/sdapi/v1/txt2img" or "/sdapi/v1/samplers".')


class RunPodPolicy(BaseModel):
    model_config = ConfigDict(extra="allow")

    executionTimeout: int | None = Field(
        default=None, description="Milliseconds of work allowed (default 600000)."
    )
    ttl: int | None = Field(default=None, description="Milliseconds the job may wait (at most 21600000).")
    lowPriority: bool | None = Field(default=None, description="Accepted; has no effect.")


class RunPodRequest(BaseModel):
    """Body of `/run` and `/runsync`."""

    model_config = ConfigDict(extra="allow")

    input: dict[str, Any] = Field(
        description="Either an A1111 txt2img/img2img payload, or {api: {method, endpoint}, payload: {...}}.",
        examples=[
            {"api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"}, "payload": {"prompt": "a cat"}}
        ],
    )
    webhook: str | None = Field(
        default=None, description="https URL POSTed the /status body when the job ends."
    )
    policy: RunPodPolicy | None = None


class RunPodCall(BaseModel):
    """What a `/run` body asks for, after looking at its shape."""

    route: str
    payload: a1111.Txt2ImgRequest | a1111.Img2ImgRequest | None = None
    prefix: str = "input."


class RunPodStatus(BaseModel):
    """`/status`, `/runsync`, `/cancel` and `/retry` answers (and the webhook body)."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]
    delayTime: int | None = Field(default=None, description="Milliseconds queued.")
    executionTime: int | None = Field(default=None, description="Milliseconds of work.")
    output: Any = Field(default=None, description="The A1111 response {images, info, parameters}.")
    error: str | None = None


# ------------------------------------------------------------------------------------------- request


def parse_input(request: RunPodRequest) -> RunPodCall:
    """Which route the body names and its validated payload (errors in the caller's `input.…` paths)."""
    data = request.input
    if "api" in data:
        api = parse(RunPodApi, data.get("api"), "input.api.")
        route = api.endpoint.strip().strip("/").removeprefix("sdapi/v1/").lower()
        method = api.method.strip().upper()
        if method == "POST" and route in GENERATE:
            payload = data.get("payload") or {}
            model = a1111.Img2ImgRequest if route == "img2img" else a1111.Txt2ImgRequest
            return RunPodCall(
                route=route, payload=parse(model, payload, "input.payload."), prefix="input.payload."
            )
        if method == "GET" and route in LISTINGS:
            return RunPodCall(route=route, prefix="input.payload.")
        allowed = [f"POST /sdapi/v1/{r}" for r in GENERATE] + [f"GET /sdapi/v1/{r}" for r in LISTINGS]
        raise InvalidRequest.field(
            "input.api.endpoint", f"{method} {api.endpoint} is not allowed; allowed: {allowed}"
        )
    route = "img2img" if data.get("init_images") else "txt2img"
    model = a1111.Img2ImgRequest if route == "img2img" else a1111.Txt2ImgRequest
    return RunPodCall(route=route, payload=parse(model, data, "input."), prefix="input.")


def to_job(request: RunPodRequest, call: RunPodCall, pool: str, ctx: SubmitContext) -> Job:
    """The canonical job for a generation call on pool `pool` (errors in canonical paths: translate them
    with `path_mapper(call.prefix)`)."""
    assert call.payload is not None
    return a1111.payload_to_job(
        call.payload,
        ctx,
        dialect=Dialect.RUNPOD,
        pool_name=pool,
        webhook=Webhook(url=request.webhook) if request.webhook else None,
        timeouts=_timeouts(request.policy),
    )


def _timeouts(policy: RunPodPolicy | None) -> Timeouts:
    if policy is None:
        return Timeouts()
    values: dict[str, int] = {}
    if policy.executionTimeout is not None:
        values["execution_s"] = math.ceil(policy.executionTimeout / 1000)
    if policy.ttl is not None:
        values["ttl_s"] = math.ceil(min(policy.ttl, MAX_TTL_MS) / 1000)
    return a1111.sub_model(Timeouts, "timeouts", **values)


def path_mapper(prefix: str):
    """Canonical job path → this request's path."""
    top = {"webhook": "webhook", "webhook.url": "webhook", "timeouts": "policy"}
    top |= {"timeouts.execution_s": "policy.executionTimeout", "timeouts.ttl_s": "policy.ttl"}
    payload = prefixed(prefix, a1111.to_caller_path)

    def mapper(path: str) -> str:
        return top.get(path) or payload(path)

    return mapper


def listing(route: str, catalog: Catalog) -> Any:
    """The answer of a GET listing call (same bodies as the A1111 routes)."""
    return {
        "samplers": a1111.samplers_listing,
        "schedulers": a1111.schedulers_listing,
        "sd-models": lambda: a1111.sd_models_listing(catalog),
        "sd-vae": lambda: a1111.sd_vae_listing(catalog),
        "options": lambda: a1111.options_listing(catalog),
        "upscalers": a1111.upscalers_listing,
        "face-restorers": lambda: a1111.face_restorers_listing(catalog),
        "embeddings": lambda: {"loaded": {}, "skipped": {}},
    }[route]()


def listing_body(listing_id: str, output: Any) -> dict[str, Any]:
    return {"delayTime": 0, "executionTime": 0, "id": listing_id, "output": output, "status": "COMPLETED"}


# ------------------------------------------------------------------------------------------ answers


def run_body(record: JobRecord) -> dict[str, Any]:
    """`/run`: `{"id", "status"}`."""
    return {"id": record.id, "status": STATUS[record.state]}


def status_body(record: JobRecord, images: list[str] | None = None) -> dict[str, Any]:
    """`/status` and `/runsync`: timings, `output` = the A1111 response once COMPLETED, `error` if failed."""
    body: dict[str, Any] = {}
    if record.started_at is not None or record.terminal:
        body["delayTime"] = record.delay_ms or 0
    if record.terminal:
        body["executionTime"] = record.execution_ms or 0
    body["id"] = record.id
    if record.state == JobState.COMPLETED:
        body["output"] = a1111.response_body(record, images or [])
    body["status"] = STATUS[record.state]
    if record.state in (JobState.FAILED, JobState.TIMED_OUT):
        body["error"] = record.error or (
            "job timed out" if record.state == JobState.TIMED_OUT else "job failed"
        )
    return body


def health_body(load: SystemLoad, pool: str) -> dict[str, Any]:
    counters = next(c for c in load.pools if c.pool == pool)
    instances = load.instances.get(pool) or 0
    running = min(instances, counters.in_progress)
    return {
        "jobs": {
            "completed": counters.completed,
            "failed": counters.failed + counters.timed_out,
            "inProgress": counters.in_progress,
            "inQueue": counters.queued,
            "retried": counters.retried,
        },
        "workers": {"idle": max(0, instances - running), "running": running},
    }


def purge_body(removed: int) -> dict[str, Any]:
    return {"removed": removed, "status": "completed"}


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"error": error.message}
    if error.problems:
        body["errors"] = [{"field": p.field, "reason": p.reason} for p in error.problems]
    return error.status, body
