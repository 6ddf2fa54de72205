"""stablediffusionapi.com v3 routes (`/api/v3/...`, key in the body; see `sdapi.dialects.v3`).

Generation waits up to `SDAPI_V3_WAIT_S` and answers `success`, or `processing` with `fetch_result` (the
absolute URL of `/api/v3/fetch/{id}` on the host and stage the request came in on) and `future_links`.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api import jobs
from sdapi.api.deps import Deps, Wired
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.auth import Principal
from sdapi.dialects import v3
from sdapi.records import JobRecord
from sdapi.service.load import estimate_finish_s

router = Router()
TAGS = ["v3 (stablediffusionapi.com)"]
_DOCS = {200: doc("success, processing or failed body")}


@router.post("/api/v3/text2img", tags=TAGS, summary="Text to image", responses=_DOCS)
def text2img(body: v3.V3Request, caller: Caller, deps: Wired, request: Request):
    return _generate(deps, request, "text2img", body, caller)


@router.post("/api/v3/img2img", tags=TAGS, summary="Image to image (init_image URL)", responses=_DOCS)
def img2img(body: v3.V3Request, caller: Caller, deps: Wired, request: Request):
    return _generate(deps, request, "img2img", body, caller)


@router.post(
    "/api/v3/inpaint", tags=TAGS, summary="Inpaint (init_image and mask_image URLs)", responses=_DOCS
)
def inpaint(body: v3.V3Request, caller: Caller, deps: Wired, request: Request):
    return _generate(deps, request, "inpaint", body, caller)


def _generate(deps: Deps, request: Request, kind: str, body: v3.V3Request, caller: Principal) -> Response:
    images = jobs.resolve_inputs(deps, v3.url_inputs(body, kind), caller.owner)
    record = jobs.submit(
        deps,
        lambda ctx: v3.to_job(body, kind, ctx),
        caller,
        v3.to_caller_path,
        images=images,
        idempotency_key=jobs.idempotency_key(request),
    )
    if deps.settings.v3_wait_s > 0:
        wait = min(deps.settings.v3_wait_s, jobs.sync_wait_s(deps, request))
        record = deps.service.wait(record.id, caller.owner, wait)
    return _answer(deps, request, record)


@router.post("/api/v3/fetch/<job_id>", tags=TAGS, summary="Fetch a queued job", responses=_DOCS)
def fetch(job_id: str, body: v3.V3KeyOnly, caller: Caller, deps: Wired, request: Request):
    return _answer(deps, request, deps.service.get(job_id, caller.owner))


@router.post("/api/v3/system_load", tags=TAGS, summary="Queue length and estimated wait")
def system_load(body: v3.V3KeyOnly, caller: Caller, deps: Wired):
    return reply(200, v3.system_load_body(deps.service.load()))


def _answer(deps: Deps, request: Request, record: JobRecord) -> Response:
    def waiting(record: JobRecord) -> v3.Waiting:
        return v3.Waiting(
            eta_s=estimate_finish_s(deps.service.load(record.pool), record.pool),
            fetch_url=_fetch_url(request, record.id),
            future_links=jobs.future_urls(deps, record),
        )

    return reply(200, v3.answer(record, jobs.ServiceOutputs(deps), waiting))


def _fetch_url(request: Request, job_id: str) -> str:
    """`/api/v3/fetch/{id}` on the host and base path (stage, custom-domain mapping) of this request."""
    event = request.resolved_event
    host = event.get_header_value("host", default_value="localhost", case_sensitive=False)
    scheme = event.get_header_value("x-forwarded-proto", default_value="https", case_sensitive=False)
    # REST: the request context's path includes the stage or mapping; a function URL has none.
    requested = getattr(event.request_context, "path", None) or event.path
    base = requested[: -len(event.path)] if requested.endswith(event.path) else ""
    return f"{scheme}://{host}{base}/api/v3/fetch/{job_id}"
