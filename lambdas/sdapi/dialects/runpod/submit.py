"""RunPod `/run` body → what it asks for (a generation or a listing), the canonical job, and canonical →
RunPod field paths (`input.…`, `input.payload.…`, `policy.…`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sdapi.dialects.a1111 import extras, listings
from sdapi.dialects.a1111.models import (
    ExtrasBaseRequest,
    ExtrasBatchImagesRequest,
    ExtrasSingleImageRequest,
    Img2ImgRequest,
    Txt2ImgRequest,
)
from sdapi.dialects.a1111.paths import to_caller_path
from sdapi.dialects.a1111.payload import Routing, payload_to_job
from sdapi.dialects.common import PathMapper, SubmitContext, parse, prefixed, sub_model
from sdapi.dialects.runpod.models import RunPodApi, RunPodCall, RunPodPolicy, RunPodRequest
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import Dialect, Job, Timeouts, Webhook

MAX_TTL_MS = 21600 * 1000
"""SageMaker async keeps a request at most 6 h (RunPod's default 24 h is more)."""

MS_PER_S = 1000

GENERATE = ("txt2img", "img2img")
"""The A1111 generation routes a `/run` call may POST: they run as jobs."""

EXTRAS = ("extra-single-image", "extra-batch-images")
"""The A1111 extras a `/run` call may POST: they run as extras jobs (upscale, face restoration), answered in
`output` as A1111 answers them (`{html_info, image}` / `{html_info, images}`)."""

PAYLOADS = {
    "txt2img": Txt2ImgRequest,
    "img2img": Img2ImgRequest,
    "extra-single-image": ExtrasSingleImageRequest,
    "extra-batch-images": ExtrasBatchImagesRequest,
}
"""The A1111 request model of each route that runs as a job."""

LISTINGS = (
    "samplers",
    "schedulers",
    "sd-models",
    "sd-vae",
    "upscalers",
    "latent-upscale-modes",
    "face-restorers",
    "embeddings",
    "loras",
    "prompt-styles",
    "scripts",
    "extensions",
    "cmd-flags",
    "hypernetworks",
    "memory",
)
"""The A1111 listings a `/run` call may GET: answered at once, no job is stored."""

ACTIONS = (
    ("GET", "options"),
    ("POST", "options"),
    ("GET", "progress"),
    ("POST", "interrupt"),
    ("POST", "skip"),
    ("POST", "png-info"),
    ("POST", "refresh-checkpoints"),
)
"""The other A1111 calls a `/run` call may make, answered at once for the caller's key
(`sdapi.api.a1111_actions`): options, progress, interrupt/skip of the caller's job on this endpoint, png-info,
refresh-checkpoints."""


def parse_input(request: RunPodRequest) -> RunPodCall:
    """Return which route the body names and its validated payload (errors in the caller's `input.…`
    paths)."""
    data = request.input
    if "api" in data:
        return _worker_call(data)
    route = "img2img" if data.get("init_images") else "txt2img"
    return RunPodCall(route=route, payload=parse(PAYLOADS[route], data, "input."), prefix="input.")


def _worker_call(data: dict[str, Any]) -> RunPodCall:
    """The community worker's `{api: {method, endpoint}, payload}` shape (no other key)."""
    for key in data:
        if key not in ("api", "payload"):
            raise InvalidRequest.field(
                f"input.{key}", "not a field of the worker's input; use api and payload"
            )
    api = parse(RunPodApi, data.get("api"), "input.api.")
    route = api.endpoint.strip().strip("/").removeprefix("sdapi/v1/").lower()
    method = api.method.strip().upper()
    if method == "POST" and route in PAYLOADS:
        payload = parse(PAYLOADS[route], data.get("payload") or {}, "input.payload.")
        return RunPodCall(route=route, payload=payload, prefix="input.payload.")
    if method == "GET" and route in LISTINGS:
        return RunPodCall(route=route, method=method, prefix="input.payload.")
    if (method, route) in ACTIONS:
        return RunPodCall(
            route=route, method=method, body=data.get("payload"), action=True, prefix="input.payload."
        )
    allowed = (
        [f"POST /sdapi/v1/{r}" for r in PAYLOADS]
        + [f"GET /sdapi/v1/{r}" for r in LISTINGS]
        + [f"{m} /sdapi/v1/{r}" for m, r in ACTIONS]
    )
    raise InvalidRequest.field(
        "input.api.endpoint", f"{method} {api.endpoint} is not allowed; allowed: {allowed}"
    )


def to_job(
    request: RunPodRequest,
    call: RunPodCall,
    pool: str,
    ctx: SubmitContext,
    options: Mapping[str, Any] | None = None,
) -> Job:
    """Return the canonical job for a generation or extras call on pool `pool`, with the caller's stored A1111
    `options` as defaults (errors in canonical paths: translate them with `path_mapper(call.prefix,
    call.route)`)."""
    assert call.payload is not None
    webhook = Webhook(url=request.webhook) if request.webhook else None
    if isinstance(call.payload, ExtrasBaseRequest):
        return extras.extras_to_job(
            call.payload,
            ctx,
            dialect=Dialect.RUNPOD,
            pool_name=pool,
            webhook=webhook,
            timeouts=_timeouts(request.policy),
        )
    routing = Routing(
        dialect=Dialect.RUNPOD,
        pool_name=pool,
        options=options or {},
        webhook=webhook,
        timeouts=_timeouts(request.policy),
    )
    return payload_to_job(call.payload, ctx, routing)


def _timeouts(policy: RunPodPolicy | None) -> Timeouts:
    if policy is None:
        return Timeouts()
    values: dict[str, int] = {}
    if policy.executionTimeout is not None:
        values["execution_s"] = math.ceil(policy.executionTimeout / MS_PER_S)
    if policy.ttl is not None:
        values["ttl_s"] = math.ceil(min(policy.ttl, MAX_TTL_MS) / MS_PER_S)
    return sub_model(Timeouts, "timeouts", **values)


_TOP_PATHS = {
    "webhook": "webhook",
    "webhook.url": "webhook",
    "timeouts": "policy",
    "timeouts.execution_s": "policy.executionTimeout",
    "timeouts.ttl_s": "policy.ttl",
}


def path_mapper(prefix: str, route: str = "txt2img") -> PathMapper:
    """Return the mapper of canonical job paths to this request's paths (the `route`'s payload under
    `prefix`)."""
    if route == "extra-single-image":
        payload = prefixed(prefix, extras.to_caller_path)
    elif route == "extra-batch-images":
        payload = prefixed(prefix, lambda path: extras.to_caller_path(path, images_key=extras.BATCH_KEY))
    else:
        payload = prefixed(prefix, to_caller_path)

    def mapper(path: str) -> str:
        return _TOP_PATHS.get(path) or payload(path)

    return mapper


def listing(route: str, catalog: Catalog) -> Any:
    """Return the answer of a GET listing call (the same bodies as the A1111 routes)."""
    return listings.listing(route, catalog)
