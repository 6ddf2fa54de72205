"""Native routes (`/v1/...`; see `sdapi.dialects.native`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api import jobs
from sdapi.api.deps import Wired
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.dialects import native
from sdapi.records import SystemLoad

router = Router()
TAGS = ["Native"]


@router.post(
    "/v1/jobs",
    tags=TAGS,
    summary="Submit a job",
    description="Send `Idempotency-Key: <any string>` to make retries of this request safe (24 h).",
    responses={202: doc("Accepted: the job view.", native.JobView)},
)
def create_job(body: native.JobRequest, caller: Caller, deps: Wired, request: Request):
    images = jobs.resolve_inputs(deps, native.image_inputs(body), caller.owner)
    record = jobs.submit(
        deps,
        lambda ctx: native.to_job(body, ctx),
        caller,
        native.to_caller_path,
        images=images,
        idempotency_key=jobs.idempotency_key(request),
    )
    return reply(202, native.job_view(record, []), {"Location": f"/v1/jobs/{record.id}"})


@router.get(
    "/v1/jobs/<job_id>", tags=TAGS, summary="A job", responses={200: doc("The job view.", native.JobView)}
)
def get_job(
    job_id: str,
    caller: Caller,
    deps: Wired,
    base64: Annotated[bool, Query(description="Images inline as base64 instead of URLs.")] = False,
):
    record = deps.service.get(job_id, caller.owner)
    return reply(200, native.answer(record, jobs.ServiceOutputs(deps), base64=base64))


@router.delete(
    "/v1/jobs/<job_id>",
    tags=TAGS,
    summary="Cancel a job",
    responses={200: doc("The job view after cancelling.", native.JobView)},
)
def cancel_job(job_id: str, caller: Caller, deps: Wired):
    record = deps.service.cancel(job_id, caller.owner)
    return reply(200, native.answer(record, jobs.ServiceOutputs(deps)))


@router.get(
    "/v1/system/load",
    tags=TAGS,
    summary="Queue counters, instances, estimated wait",
    responses={200: doc("Load of every pool.", SystemLoad)},
)
def system_load(caller: Caller, deps: Wired):
    return reply(200, native.load_view(deps.service.load()))


@router.get("/v1/models", tags=TAGS, summary="Models and pools of this deployment")
def models(caller: Caller, deps: Wired):
    return reply(200, native.models_view(deps.settings.catalog))


@router.post(
    "/v1/uploads",
    tags=TAGS,
    summary="Presigned upload for a large input image",
    responses={201: doc("Where to PUT the image, and the reference to pass.", native.UploadView)},
)
def create_upload(body: native.UploadRequest, caller: Caller, deps: Wired):
    upload = deps.service.upload_url(caller.owner, body.content_type)
    view = native.UploadView(
        url=upload.url,
        reference=upload.reference,
        key=upload.key,
        content_type=upload.content_type,
        expires_in=upload.expires_in,
    )
    return reply(201, view.model_dump())
