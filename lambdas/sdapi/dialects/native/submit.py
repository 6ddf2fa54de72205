"""Native request → canonical job: the image inputs to resolve first, then the job itself."""

from __future__ import annotations

from sdapi.dialects.common import (
    AUTOMATIC,
    SubmitContext,
    build_job,
    choose_model,
    identity,
    is_url,
    resolve_sampler,
    resolve_seed,
    strip_optional,
)
from sdapi.dialects.native.models import JobRequest
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import Dialect, Job, Task, Timeouts

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
    "batch_size",
    "n_iter",
    "clip_skip",
    "resize_mode",
    "restore_faces",
    "face_restorer",
    "safety_checker",
    "webhook",
    "track_id",
    "context",
)
"""Request fields the canonical job takes as they are (same name, same meaning)."""

to_caller_path = identity
"""The native paths are the canonical ones."""


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
    """Return the canonical job; paths in its errors are already the native ones (the canonical ones)."""
    choice = choose_model(ctx.catalog, request.model, pool_name=request.pool)
    sampler, scheduler = resolve_sampler(
        request.sampler, None if request.scheduler == AUTOMATIC else request.scheduler
    )
    images = ctx.images
    init = tuple(
        strip_optional(images.get(f"init_images[{i}]", v)) for i, v in enumerate(request.init_images)
    )
    mask = request.mask
    if mask is not None and "mask.image" in images:
        mask = mask.model_copy(update={"image": images["mask.image"]})
    elif mask is not None:
        mask = mask.model_copy(update={"image": strip_optional(mask.image)})
    units = tuple(
        u.model_copy(update={"image": strip_optional(images.get(f"controlnet[{i}].image", u.image))})
        if u.image
        else u
        for i, u in enumerate(request.controlnet)
    )
    task = request.task or (Task.INPAINT if mask else Task.IMG2IMG if init else Task.TXT2IMG)
    denoise = request.denoising_strength
    if task != Task.TXT2IMG and denoise is None:
        denoise = DEFAULT_DENOISING_STRENGTH
    echo = request.model_dump(mode="json", exclude={"init_images", "mask", "controlnet", "context"})
    return build_job(
        ctx,
        base64=request.base64,
        dialect=Dialect.NATIVE,
        pool=choice.pool.name,
        task=task,
        model=choice.model,
        sampler=sampler,
        scheduler=scheduler,
        seed=resolve_seed(request.seed, ctx.seed),
        subseed=resolve_seed(request.subseed, ctx.subseed),
        denoising_strength=denoise if task != Task.TXT2IMG else None,
        init_images=init,
        mask=mask,
        controlnet=units,
        request=echo,
        timeouts=request.timeouts or Timeouts(),
        **{name: getattr(request, name) for name in SAME_AS_JOB},
    )
