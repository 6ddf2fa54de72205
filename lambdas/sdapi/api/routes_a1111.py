"""AUTOMATIC1111 routes (`/sdapi/v1/...`): synchronous txt2img/img2img and the listings.

txt2img/img2img submit a job and wait up to `SDAPI_SYNC_WAIT_S`: 200 `{images, parameters, info}` when it
completed; 202 `{"id", "status", "detail"}` when it is still queued/running (poll `GET /sdapi/v1/jobs/{id}`,
which answers the same way); a failed job is 500, a timed-out one 504, a cancelled one 409, each in A1111's
error shape with the job id in `body` (see `sdapi.dialects.a1111.answers`).
"""

from __future__ import annotations

import time
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api import jobs
from sdapi.api.deps import Deps, Wired
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.auth import Principal
from sdapi.dialects import a1111
from sdapi.records import JobRecord

router = Router()
TAGS = ["A1111"]
_GENERATE_DOCS = {
    200: doc("The finished job.", a1111.A1111Response),
    202: doc("Still running after the synchronous wait.", a1111.A1111Pending),
}


@router.post("/sdapi/v1/txt2img", tags=TAGS, summary="Text to image (synchronous)", responses=_GENERATE_DOCS)
def txt2img(body: a1111.Txt2ImgRequest, caller: Caller, deps: Wired, request: Request):
    return _generate(deps, request, body, caller)


@router.post(
    "/sdapi/v1/img2img", tags=TAGS, summary="Image to image / inpaint (synchronous)", responses=_GENERATE_DOCS
)
def img2img(body: a1111.Img2ImgRequest, caller: Caller, deps: Wired, request: Request):
    return _generate(deps, request, body, caller)


def _generate(deps: Deps, request: Request, payload: a1111.A1111Request, caller: Principal) -> Response:
    record = jobs.submit(
        deps,
        lambda ctx: a1111.payload_to_job(payload, ctx),
        caller,
        a1111.to_caller_path,
        idempotency_key=jobs.idempotency_key(request),
    )
    started = time.monotonic()
    record = deps.service.wait(record.id, caller.owner, deps.settings.sync_wait_s)
    return _answer(deps, record, time.monotonic() - started)


@router.get(
    "/sdapi/v1/jobs/<job_id>",
    tags=TAGS,
    summary="Result of a job that outlived the synchronous wait",
    responses=_GENERATE_DOCS,
)
def job_result(job_id: str, caller: Caller, deps: Wired):
    return _answer(deps, deps.service.get(job_id, caller.owner), 0)


def _answer(deps: Deps, record: JobRecord, waited_s: float) -> Response:
    status, body = a1111.answer(record, jobs.ServiceOutputs(deps), waited_s)
    return reply(status, body)


def _listing_route(name: str, summary: str) -> None:
    """Register `GET /sdapi/v1/{name}`, answered from the catalog by `sdapi.dialects.a1111.listings`."""

    def listing(caller: Caller, deps: Wired):
        return reply(200, a1111.listing(name, deps.settings.catalog))

    listing.__name__ = name.replace("-", "_")
    router.get(f"/sdapi/v1/{name}", tags=TAGS, summary=summary)(listing)


for _name, (_summary, _) in a1111.LISTINGS.items():
    _listing_route(_name, _summary)


@router.get("/sdapi/v1/progress", tags=TAGS, summary="Progress of a job (`?id_task=`) or the queue size")
def progress(
    caller: Caller, deps: Wired, id_task: Annotated[str | None, Query(description="Job id.")] = None
):
    if id_task:
        return reply(200, a1111.progress_body(deps.service.get(id_task, caller.owner)))
    return reply(200, a1111.progress_body(None, deps.service.queue_size(deps.settings.catalog.default_pool)))
