"""AUTOMATIC1111 routes (`/sdapi/v1/...`): synchronous txt2img/img2img and the listings.

txt2img/img2img submit a job and wait up to `SDAPI_SYNC_WAIT_S`: 200 `{images, parameters, info}` when it
completed; 202 `{"id", "status", "detail"}` when it is still queued/running (poll `GET /sdapi/v1/jobs/{id}`,
which answers the same way); a failed job is 500, a timed-out one 504, a cancelled one 409, each in A1111's
error shape with the job id in `body`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from sdapi.api import jobs
from sdapi.api.deps import current
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.dialects import a1111
from sdapi.records import JobRecord
from sdapi.schema.job import Dialect, JobState

router = Router()
TAGS = ["A1111"]
_FAILED = {
    JobState.FAILED: (500, "JobFailed"),
    JobState.TIMED_OUT: (504, "JobTimedOut"),
    JobState.CANCELLED: (409, "JobCancelled"),
}
_GENERATE_DOCS = {
    200: doc("The finished job.", a1111.A1111Response),
    202: doc("Still running after the synchronous wait.", a1111.A1111Pending),
}


@router.post("/sdapi/v1/txt2img", tags=TAGS, summary="Text to image (synchronous)", responses=_GENERATE_DOCS)
def txt2img(body: a1111.Txt2ImgRequest, caller: Caller):
    return _generate(body, caller)


@router.post(
    "/sdapi/v1/img2img", tags=TAGS, summary="Image to image / inpaint (synchronous)", responses=_GENERATE_DOCS
)
def img2img(body: a1111.Img2ImgRequest, caller: Caller):
    return _generate(body, caller)


def _generate(payload: a1111.Txt2ImgRequest | a1111.Img2ImgRequest, caller) -> Response:
    deps = current()
    record = jobs.submit(
        lambda ctx: a1111.payload_to_job(payload, ctx, dialect=Dialect.A1111),
        caller,
        a1111.to_caller_path,
        idempotency_key=jobs.idempotency_key(router),
    )
    started = time.monotonic()
    record = deps.service.wait(record.id, caller.owner, deps.settings.sync_wait_s)
    return answer(record, time.monotonic() - started)


@router.get(
    "/sdapi/v1/jobs/<job_id>",
    tags=TAGS,
    summary="Result of a job that outlived the synchronous wait",
    responses=_GENERATE_DOCS,
)
def job_result(job_id: str, caller: Caller):
    return answer(current().service.get(job_id, caller.owner), 0)


def answer(record: JobRecord, waited_s: float) -> Response:
    if record.state == JobState.COMPLETED:
        out = jobs.outputs(record, base64=True)
        body: dict[str, Any] = a1111.response_body(record, out.images)
        if out.warning:
            body["warning"] = out.warning
        return reply(200, body)
    if record.state in _FAILED:
        status, kind = _FAILED[record.state]
        message = record.error or f"job {record.id} {record.state.value.lower()}"
        return reply(status, {"error": kind, "detail": message, "body": {"id": record.id}, "errors": message})
    return reply(202, a1111.pending_body(record, round(waited_s, 1)))


@router.get("/sdapi/v1/samplers", tags=TAGS, summary="Samplers this deployment runs")
def samplers(caller: Caller):
    return reply(200, a1111.samplers_listing())


@router.get("/sdapi/v1/schedulers", tags=TAGS, summary="Schedule types this deployment runs")
def schedulers(caller: Caller):
    return reply(200, a1111.schedulers_listing())


@router.get("/sdapi/v1/sd-models", tags=TAGS, summary="Checkpoints")
def sd_models(caller: Caller):
    return reply(200, a1111.sd_models_listing(current().settings.catalog))


@router.get("/sdapi/v1/sd-vae", tags=TAGS, summary="VAEs")
def sd_vae(caller: Caller):
    return reply(200, a1111.sd_vae_listing(current().settings.catalog))


@router.get("/sdapi/v1/options", tags=TAGS, summary="Defaults (read-only)")
def options(caller: Caller):
    return reply(200, a1111.options_listing(current().settings.catalog))


@router.get("/sdapi/v1/face-restorers", tags=TAGS, summary="Face restorers")
def face_restorers(caller: Caller):
    return reply(200, a1111.face_restorers_listing(current().settings.catalog))


@router.get("/sdapi/v1/upscalers", tags=TAGS, summary="Upscalers (none are deployed)")
def upscalers(caller: Caller):
    return reply(200, a1111.upscalers_listing())


@router.get("/sdapi/v1/embeddings", tags=TAGS, summary="Textual-inversion embeddings (none are deployed)")
def embeddings(caller: Caller):
    return reply(200, {"loaded": {}, "skipped": {}})


@router.get("/sdapi/v1/scripts", tags=TAGS, summary="Scripts (none are offered)")
def scripts(caller: Caller):
    return reply(200, {"txt2img": [], "img2img": []})


@router.get("/sdapi/v1/extensions", tags=TAGS, summary="Extensions (ControlNet is built in)")
def extensions(caller: Caller):
    return reply(200, [])


@router.get("/sdapi/v1/progress", tags=TAGS, summary="Progress of a job (`?id_task=`) or the queue size")
def progress(caller: Caller, id_task: Annotated[str | None, Query(description="Job id.")] = None):
    deps = current()
    if id_task:
        return reply(200, a1111.progress_body(deps.service.get(id_task, caller.owner)))
    return reply(200, a1111.progress_body(None, deps.service.queue_size(deps.settings.catalog.default_pool)))
