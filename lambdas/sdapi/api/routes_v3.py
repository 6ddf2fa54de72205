"""stablediffusionapi.com v3 routes (`/api/v3/...`, key in the body; see `sdapi.dialects.v3`).

Generation waits up to `SDAPI_V3_WAIT_S` and answers `success`, or `processing` with `fetch_result` (the
absolute URL of `/api/v3/fetch/{id}` on the host and stage the request came in on) and `future_links`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from sdapi.api import jobs
from sdapi.api.deps import current
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.auth import Principal
from sdapi.dialects import v3
from sdapi.records import JobRecord
from sdapi.schema.job import JobState
from sdapi.service.load import DEFAULT_EXECUTION_S

router = Router()
TAGS = ["v3 (stablediffusionapi.com)"]
_DOCS = {200: doc("success, processing or failed body")}


@router.post("/api/v3/text2img", tags=TAGS, summary="Text to image", responses=_DOCS)
def text2img(body: v3.V3Request, caller: Caller):
    return _generate("text2img", body, caller)


@router.post("/api/v3/img2img", tags=TAGS, summary="Image to image (init_image URL)", responses=_DOCS)
def img2img(body: v3.V3Request, caller: Caller):
    return _generate("img2img", body, caller)


@router.post(
    "/api/v3/inpaint", tags=TAGS, summary="Inpaint (init_image and mask_image URLs)", responses=_DOCS
)
def inpaint(body: v3.V3Request, caller: Caller):
    return _generate("inpaint", body, caller)


def _generate(kind: str, body: v3.V3Request, caller: Principal) -> Response:
    deps = current()
    images = jobs.resolve_inputs(v3.url_inputs(body, kind), caller.owner)
    record = jobs.submit(
        lambda ctx: v3.to_job(body, kind, ctx),
        caller,
        v3.to_caller_path,
        images=images,
        idempotency_key=jobs.idempotency_key(router),
    )
    if deps.settings.v3_wait_s > 0:
        record = deps.service.wait(record.id, caller.owner, deps.settings.v3_wait_s)
    return reply(200, answer(record))


@router.post("/api/v3/fetch/<job_id>", tags=TAGS, summary="Fetch a queued job", responses=_DOCS)
def fetch(job_id: str, body: v3.V3KeyOnly, caller: Caller):
    return reply(200, answer(current().service.get(job_id, caller.owner)))


@router.post("/api/v3/system_load", tags=TAGS, summary="Queue length and estimated wait")
def system_load(body: v3.V3KeyOnly, caller: Caller):
    return reply(200, v3.system_load_body(current().service.load()))


def answer(record: JobRecord) -> dict[str, Any]:
    if record.state == JobState.COMPLETED:
        out = jobs.outputs(record, base64=record.request.get("base64") == "yes")
        body = v3.success_body(record, out.images)
        if out.warning:
            body["warning"] = out.warning
        return body
    if record.terminal:
        return v3.failed_body(record)
    load = current().service.load(record.pool)
    counters = next(c for c in load.pools if c.pool == record.pool)
    eta = load.queue_time_s + (counters.mean_execution_s or DEFAULT_EXECUTION_S)
    return v3.processing_body(record, eta, _fetch_url(record.id), jobs.future_urls(record))


def _fetch_url(job_id: str) -> str:
    """`/api/v3/fetch/{id}` on the host and base path (stage, custom-domain mapping) of this request."""
    event = router.current_event
    host = event.get_header_value("host", default_value="localhost", case_sensitive=False)
    scheme = event.get_header_value("x-forwarded-proto", default_value="https", case_sensitive=False)
    requested = event.request_context.path or event.path
    base = requested[: -len(event.path)] if requested.endswith(event.path) else ""
    return f"{scheme}://{host}{base}/api/v3/fetch/{job_id}"
