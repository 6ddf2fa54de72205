"""Native request → canonical job: the image inputs to resolve first, then the job itself.

A generation job maps the request's fields onto the job (most by the same name; the hires fix, extras
and LoRAs through `parts_to_job`). Task `extras` runs only the extras on the input images: a generation
field set on it is a 400 naming the field, as it would have no effect.
"""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import (
    AUTOMATIC,
    SubmitContext,
    build_job,
    choose_model,
    is_url,
    knob_fields,
    resolve_sampler,
    resolve_seed,
    strip_optional,
)
from sdapi.dialects.native import parts_to_job
from sdapi.dialects.native.models import JobRequest
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Pool
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import Dialect, Job, Mask, Task, Timeouts
from sdapi.schema.prompt import Style
from sdapi.schema.sampler_knobs import KNOBS

UPLOAD_SCHEME = "s3://"
"""Upload references from `POST /v1/uploads` start with this."""

SAME_AS_JOB = (
    "vae",
    "refiner",
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "steps",
    "cfg_scale",
    "subseed_strength",
    "noise_source",
    "eta_noise_seed_delta",
    "batch_size",
    "n_iter",
    "clip_skip",
    "resize_mode",
    "restore_faces",
    "face_restorer",
    "safety_checker",
)
"""Generation fields the canonical job takes as they are (same name, same meaning)."""

ANY_TASK = ("task", "pool", "init_images", "extras", "base64", "webhook", "track_id", "context", "timeouts")
"""The fields an `extras` job reads; every other one is about generation."""

to_caller_path = parts_to_job.to_caller_path
"""The native paths are the canonical ones, but for the hires size and the extras' face restoration."""


def image_inputs(request: JobRequest) -> dict[str, str]:
    """Return the inputs the route must resolve (URL fetch through the guard, or upload read): path →
    reference."""
    found: dict[str, str] = {}
    for i, image in enumerate(request.init_images):
        if _reference(image):
            found[f"init_images[{i}]"] = image
    if request.mask is not None and _reference(request.mask.image):
        found["mask.image"] = request.mask.image
    for i, unit in enumerate(request.controlnet):
        if unit.image and _reference(unit.image):
            found[f"controlnet[{i}].image"] = unit.image
    return found


def _reference(value: str) -> bool:
    return is_url(value) or value.startswith(UPLOAD_SCHEME)


def to_job(request: JobRequest, ctx: SubmitContext) -> Job:
    """Return the canonical job; its errors' paths are canonical (`to_caller_path` gives the native ones)."""
    choice = choose_model(ctx.catalog, request.model, pool_name=request.pool)
    images = ctx.images
    init = tuple(
        strip_optional(images.get(f"init_images[{i}]", v)) for i, v in enumerate(request.init_images)
    )
    mask = request.mask
    if mask is not None and "mask.image" in images:
        mask = mask.model_copy(update={"image": images["mask.image"]})
    elif mask is not None:
        mask = mask.model_copy(update={"image": strip_optional(mask.image)})
    task = request.task or (Task.INPAINT if mask else Task.IMG2IMG if init else Task.TXT2IMG)
    common: dict[str, Any] = {
        "base64": request.base64,
        "dialect": Dialect.NATIVE,
        "pool": choice.pool.name,
        "task": task,
        "model": choice.model,
        "init_images": init,
        "extras": parts_to_job.extras(request.extras, ctx.catalog, choice.pool) if request.extras else None,
        "webhook": request.webhook,
        "track_id": request.track_id,
        "context": request.context,
        "timeouts": request.timeouts or Timeouts(),
        "request": request.model_dump(mode="json", exclude={"init_images", "mask", "controlnet", "context"}),
    }
    if task == Task.EXTRAS:
        _refuse_generation_fields(request)
        return build_job(ctx, seed=0, **common)
    return build_job(ctx, **common, **_generation(request, ctx, task, mask, choice.pool))


def _refuse_generation_fields(request: JobRequest) -> None:
    for name in JobRequest.model_fields:
        if name in request.model_fields_set and name not in ANY_TASK:
            raise InvalidRequest.field(name, "has no effect on an extras job (it generates nothing)")


def _refuse_without_effect(request: JobRequest, task: Task) -> None:
    """Fields that only count beside another one: refused (400 naming them) without it."""
    sent = request.model_fields_set
    if task == Task.TXT2IMG and "resize_mode" in sent:
        raise InvalidRequest.field("resize_mode", "is for img2img / inpaint (how init_images fit the size)")
    if request.face_restorer is not None and not request.restore_faces:
        raise InvalidRequest.field("face_restorer", "applies only with restore_faces")


def _generation(
    request: JobRequest, ctx: SubmitContext, task: Task, mask: Mask | None, pool: Pool
) -> dict[str, Any]:
    """The job fields of a generation task (txt2img, img2img, inpaint)."""
    first = resolve_sampler(request.sampler, None if request.scheduler == AUTOMATIC else request.scheduler)
    hires = None
    if request.hires is not None:
        if task != Task.TXT2IMG:
            raise InvalidRequest.field("hires", f"hires fix is for txt2img, not {task}")
        hires = parts_to_job.hires(request.hires, first)
    denoise = request.denoising_strength
    if task == Task.TXT2IMG and denoise is not None:
        raise InvalidRequest.field(
            "denoising_strength", "is for img2img / inpaint (hires fix's is hires.denoising_strength)"
        )
    if task != Task.TXT2IMG and denoise is None:
        denoise = DEFAULT_DENOISING_STRENGTH
    _refuse_without_effect(request, task)
    knobs = knob_fields(
        {knob: getattr(request, knob) for knob in KNOBS},
        first[0],
        second_pass=(hires.sampler or first[0]) if hires else None,
        strict=True,
    )
    units = tuple(
        u.model_copy(update={"image": strip_optional(ctx.images.get(f"controlnet[{i}].image", u.image))})
        if u.image
        else u
        for i, u in enumerate(request.controlnet)
    )
    return {
        "sampler": first[0],
        "scheduler": first[1],
        "seed": resolve_seed(request.seed, ctx.seed),
        "subseed": resolve_seed(request.subseed, ctx.subseed),
        "denoising_strength": denoise,
        "mask": mask,
        "controlnet": units,
        "hires": hires,
        "loras": parts_to_job.loras(request.loras),
        "styles": tuple(Style(name=name) for name in request.styles),
        **parts_to_job.codeformer_weight(
            request.codeformer_weight, request.restore_faces, request.face_restorer, ctx.catalog, pool
        ),
        **knobs,
        **{name: getattr(request, name) for name in SAME_AS_JOB},
    }
