"""AUTOMATIC1111 routes (`/sdapi/v1/...`): synchronous txt2img/img2img, the extras (`extra-single-image`,
`extra-batch-images`: `{html_info, image(s)}`), the listings, the calls A1111
clients make around them (options, interrupt, skip, progress, png-info, refresh-checkpoints:
`sdapi.api.a1111_actions`) and sd-webui-controlnet's listings (`/controlnet/...`), all scoped to the
caller's key.

txt2img/img2img and the extras submit a job and wait up to `SDAPI_SYNC_WAIT_S`: 200 (`{images,
parameters, info}`) when it completed; 202 `{"id", "status", "detail"}` when it is still queued or
running (poll `GET /sdapi/v1/jobs/{id}`, which answers the same way); a failed job is 500, a timed-out one
504, a cancelled one 409, each in A1111's error shape with the job id in `body` (see
`sdapi.dialects.a1111.answers`).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api import a1111_actions, jobs
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


_EXTRAS_DOCS = {
    200: doc("The processed image.", a1111.ExtrasSingleImageResponse),
    202: doc("Still running after the synchronous wait.", a1111.A1111Pending),
}
_BATCH_DOCS = {
    200: doc("The processed images.", a1111.ExtrasBatchImagesResponse),
    202: doc("Still running after the synchronous wait.", a1111.A1111Pending),
}


@router.post(
    "/sdapi/v1/extra-single-image",
    tags=TAGS,
    summary="Upscale and restore faces of one image (A1111 extras, synchronous)",
    responses=_EXTRAS_DOCS,
)
def extra_single_image(body: a1111.ExtrasSingleImageRequest, caller: Caller, deps: Wired, request: Request):
    return _run(
        deps, request, caller, lambda ctx: a1111.extras.extras_to_job(body, ctx), a1111.extras.to_caller_path
    )


@router.post(
    "/sdapi/v1/extra-batch-images",
    tags=TAGS,
    summary="Upscale and restore faces of several images (A1111 extras, synchronous)",
    responses=_BATCH_DOCS,
)
def extra_batch_images(body: a1111.ExtrasBatchImagesRequest, caller: Caller, deps: Wired, request: Request):
    return _run(
        deps,
        request,
        caller,
        lambda ctx: a1111.extras.extras_to_job(body, ctx),
        lambda path: a1111.extras.to_caller_path(path, images_key=a1111.extras.BATCH_KEY),
    )


def _generate(deps: Deps, request: Request, payload: a1111.A1111Request, caller: Principal) -> Response:
    routing = a1111.Routing(options=a1111_actions.key_options(deps, caller))
    return _run(
        deps, request, caller, lambda ctx: a1111.payload_to_job(payload, ctx, routing), a1111.to_caller_path
    )


def _run(deps: Deps, request: Request, caller: Principal, to_job, to_caller_path) -> Response:
    """Submit the job `to_job` builds, wait up to the synchronous deadline, answer as A1111 does."""
    record = jobs.submit(deps, to_job, caller, to_caller_path, idempotency_key=jobs.idempotency_key(request))
    started = time.monotonic()
    record = deps.service.wait(record.id, caller.owner, jobs.sync_wait_s(deps, request))
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


def _listing_route(name: str, summary: str, prefix: str = "/sdapi/v1", listings=a1111.LISTINGS) -> None:
    """Register `GET {prefix}/{name}`, answered from the catalog by `sdapi.dialects.a1111.listings`."""

    def listing(caller: Caller, deps: Wired):
        return reply(200, listings[name][1](deps.settings.catalog))

    base = name.replace("-", "_")
    listing.__name__ = base if prefix == "/sdapi/v1" else f"{prefix.strip('/')}_{base}"
    router.get(f"{prefix}/{name}", tags=TAGS, summary=summary)(listing)


for _name, (_summary, _) in a1111.LISTINGS.items():
    if _name != "options":  # the caller's own options: below
        _listing_route(_name, _summary)
for _name, (_summary, _) in a1111.CONTROLNET_LISTINGS.items():
    _listing_route(_name, _summary, "/controlnet", a1111.CONTROLNET_LISTINGS)


@router.get("/sdapi/v1/options", tags=TAGS, summary="Your options: the defaults your requests get")
def get_options(caller: Caller, deps: Wired):
    return reply(200, a1111_actions.options_body(deps, caller))


@router.post(
    "/sdapi/v1/options",
    tags=TAGS,
    summary="Set your default checkpoint, VAE and other override settings (persisted per API key)",
)
def set_options(
    body: Annotated[
        dict[str, Any],
        Body(
            description="Option name → value; the keys `override_settings` accepts (docs/request-fields.md)."
        ),
    ],
    caller: Caller,
    deps: Wired,
):
    a1111_actions.set_options(deps, caller, body)
    return reply(200, None)


@router.post(
    "/sdapi/v1/interrupt",
    tags=TAGS,
    summary="Interrupt your running job: it completes with the images made so far (the last part-denoised)",
)
def interrupt(caller: Caller, deps: Wired):
    return reply(200, a1111_actions.run(deps, caller, "POST", "interrupt", None))


@router.post(
    "/sdapi/v1/skip",
    tags=TAGS,
    summary="Skip the iteration your running job is denoising (kept as it is): the next one runs",
)
def skip(caller: Caller, deps: Wired):
    return reply(200, a1111_actions.run(deps, caller, "POST", "skip", None))


@router.post("/sdapi/v1/png-info", tags=TAGS, summary="Read the A1111 infotext of a PNG")
def png_info(body: a1111.PngInfoRequest, caller: Caller, deps: Wired):
    return reply(200, a1111_actions.png_info(deps, body.model_dump()))


@router.post(
    "/sdapi/v1/refresh-checkpoints",
    tags=TAGS,
    summary="Rescan checkpoints (the catalog is the deployment's configuration: nothing to rescan)",
)
def refresh_checkpoints(caller: Caller, deps: Wired):
    return reply(200, None)


@router.get(
    "/sdapi/v1/progress",
    tags=TAGS,
    summary="Progress of your current job (or of `?id_task=`), with its live preview",
    responses={200: doc("A1111's progress answer.", a1111.A1111Progress)},
)
def progress(
    caller: Caller,
    deps: Wired,
    id_task: Annotated[str | None, Query(description="Job id.")] = None,
    skip_current_image: Annotated[
        bool, Query(description="A1111: leave the live preview out (`current_image` is null).")
    ] = False,
):
    return reply(200, a1111_actions.progress(deps, caller, id_task, skip_current_image=skip_current_image))
