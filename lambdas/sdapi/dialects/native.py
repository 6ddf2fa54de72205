"""The native API (`/v1/...`): clean JSON mirroring the canonical job.

- `POST /v1/jobs` → 202 with the job view; `GET /v1/jobs/{id}` (`?base64=true` for inline images);
  `DELETE /v1/jobs/{id}` cancels (200, the job view; a finished job is returned unchanged).
- Image inputs (`init_images[i]`, `mask.image`, `controlnet[i].image`) may be base64 (data: URLs accepted),
  an https URL (fetched through the SSRF guard) or an upload reference from `POST /v1/uploads`.
- Errors: `{"error": {"type", "message", "fields": [{"field", "reason"}]}}`; 422 for a body that does not
  match the schema, 400 for a request the deployment cannot run, then 401/404/409/410/413/503.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects.common import (
    SubmitContext,
    build_job,
    choose_model,
    is_url,
    resolve_sampler,
    resolve_seed,
    strip_data_url,
)
from sdapi.errors import DomainError
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import (
    ControlNetUnit,
    Dialect,
    Job,
    JobState,
    Mask,
    OutputOptions,
    Refiner,
    ResizeMode,
    Task,
    Timeouts,
    Webhook,
)


class JobRequest(BaseModel):
    """Body of `POST /v1/jobs`."""

    model_config = ConfigDict(extra="forbid")

    task: Task | None = Field(
        default=None, description="txt2img, img2img or inpaint; inferred from init_images/mask when omitted."
    )
    pool: str | None = Field(default=None, description="Model pool; default: the pool serving `model`.")
    model: str | None = Field(
        default=None, description="Checkpoint name (GET /v1/models); default: the pool's."
    )
    vae: str | None = Field(default=None, description="VAE override.")
    refiner: Refiner | None = Field(default=None, description="SDXL refiner and its switch point.")
    prompt: str = Field(default="", description="What to draw.")
    negative_prompt: str = Field(default="", description="What to avoid.")
    width: int = Field(default=512, description="Pixels, a multiple of 8.")
    height: int = Field(default=512, description="Pixels, a multiple of 8.")
    steps: int = Field(default=20, description="Denoising steps.")
    cfg_scale: float = Field(default=7.0, description="Classifier-free guidance scale.")
    sampler: str = Field(default="Euler a", description="A1111 sampler name (a schedule suffix is accepted).")
    scheduler: str = Field(
        default="automatic", description="Schedule type: automatic, karras, exponential, ..."
    )
    seed: int | None = Field(default=None, description="null or -1: random. Image i uses seed + i.")
    subseed: int | None = Field(default=None, description="Variation seed; null or -1: random.")
    subseed_strength: float = Field(default=0.0, description="0-1.")
    batch_size: int = Field(default=1, description="Images per batch.")
    n_iter: int = Field(default=1, description="Batches.")
    clip_skip: int = Field(default=1, description="CLIP layers to skip (A1111 CLIP_stop_at_last_layers).")
    denoising_strength: float | None = Field(
        default=None, description="img2img/inpaint strength (default 0.75)."
    )
    init_images: list[str] = Field(
        default_factory=list, description="Input images: base64, an https URL, or an upload reference."
    )
    resize_mode: ResizeMode = Field(default=ResizeMode.JUST_RESIZE, description="How inputs fit the size.")
    mask: Mask | None = Field(default=None, description="Inpainting mask (makes the task inpaint).")
    controlnet: list[ControlNetUnit] = Field(default_factory=list, description="ControlNet units.")
    restore_faces: bool = Field(default=False, description="Run the deployment's face restorer.")
    face_restorer: str | None = Field(default=None, description="Which face restorer (default: the pool's).")
    safety_checker: bool = Field(default=False, description="Run the deployment's safety checker.")
    base64: bool = Field(default=False, description="Show images inline as base64 in the job view.")
    webhook: Webhook | None = Field(default=None, description="Signed callbacks on the chosen events.")
    track_id: str | None = Field(default=None, description="Your reference, echoed in webhooks.")
    context: Any = Field(default=None, description="Anything; echoed in the job view and webhooks.")
    timeouts: Timeouts | None = Field(default=None, description="Execution and queue time limits, seconds.")


class Progress(BaseModel):
    step: int
    total: int
    fraction: float


class JobView(BaseModel):
    """A job as the native API shows it."""

    id: str
    state: JobState
    task: str
    pool: str
    model: str
    created_at: float
    started_at: float | None = None
    completed_at: float | None = None
    progress: Progress
    queue_ms: int | None = Field(default=None, description="Milliseconds queued before a worker started.")
    execution_ms: int | None = Field(default=None, description="Milliseconds of work.")
    images: list[str] = Field(description="Presigned URLs (or base64) of the generated images.")
    control_maps: list[str] = Field(description="Detected ControlNet maps, same form.")
    info: Any = Field(default=None, description="A1111 info object (seeds, infotexts).")
    error: str | None = None
    webhook_status: str | None = None
    track_id: str | None = None
    context: Any = None


class UploadRequest(BaseModel):
    content_type: str = Field(default="image/png", description="image/png, image/jpeg or image/webp.")


class UploadView(BaseModel):
    url: str = Field(description="PUT the bytes here with the same Content-Type.")
    method: str = "PUT"
    reference: str = Field(description="Pass this wherever an image is accepted.")
    key: str
    content_type: str
    expires_in: int


def image_inputs(request: JobRequest) -> dict[str, str]:
    """Inputs the handler must resolve (URL fetch through the guard, or upload read): path → reference."""
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
    return is_url(value) or value.startswith("s3://")


def to_job(request: JobRequest, ctx: SubmitContext) -> Job:
    """The canonical job; paths in errors are already the native ones (they are the canonical ones)."""
    choice = choose_model(ctx.catalog, request.model, pool_name=request.pool)
    sampler, scheduler = resolve_sampler(
        request.sampler, None if request.scheduler == "automatic" else request.scheduler
    )
    images = ctx.images
    init = tuple(_strip(images.get(f"init_images[{i}]", v)) for i, v in enumerate(request.init_images))
    mask = request.mask
    if mask is not None and "mask.image" in images:
        mask = mask.model_copy(update={"image": images["mask.image"]})
    elif mask is not None:
        mask = mask.model_copy(update={"image": _strip(mask.image)})
    units = tuple(
        u.model_copy(update={"image": _strip(images.get(f"controlnet[{i}].image", u.image))})
        if u.image
        else u
        for i, u in enumerate(request.controlnet)
    )
    task = request.task or (Task.INPAINT if mask else Task.IMG2IMG if init else Task.TXT2IMG)
    denoise = request.denoising_strength
    if task != Task.TXT2IMG and denoise is None:
        denoise = 0.75
    echo = request.model_dump(mode="json", exclude={"init_images", "mask", "controlnet", "context"})
    return build_job(
        id=ctx.job_id,
        owner=ctx.owner,
        key_id=ctx.key_id,
        dialect=Dialect.NATIVE,
        pool=choice.pool.name,
        task=task,
        model=choice.model,
        vae=request.vae,
        refiner=request.refiner,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        width=request.width,
        height=request.height,
        steps=request.steps,
        cfg_scale=request.cfg_scale,
        sampler=sampler,
        scheduler=scheduler,
        seed=resolve_seed(request.seed, ctx.seed),
        subseed=resolve_seed(request.subseed, ctx.subseed),
        subseed_strength=request.subseed_strength,
        batch_size=request.batch_size,
        n_iter=request.n_iter,
        clip_skip=request.clip_skip,
        denoising_strength=denoise if task != Task.TXT2IMG else None,
        init_images=init,
        resize_mode=request.resize_mode,
        mask=mask,
        controlnet=units,
        restore_faces=request.restore_faces,
        face_restorer=request.face_restorer,
        safety_checker=request.safety_checker,
        output=OutputOptions(prefix=f"outputs/{ctx.job_id}/", base64=request.base64),
        webhook=request.webhook,
        track_id=request.track_id,
        context=request.context,
        request=echo,
        timeouts=request.timeouts or Timeouts(),
        created_at=ctx.now,
    )


def _strip(value: str | None) -> str | None:
    return strip_data_url(value) if value else value


def to_caller_path(path: str) -> str:
    return path


# ------------------------------------------------------------------------------------------ answers


def job_view(record: JobRecord, images: list[str]) -> dict[str, Any]:
    """The job view; `images` are the outputs (URLs or base64) in stored order: generated, then maps."""
    total = record.progress_total or 0
    step = total if record.state == JobState.COMPLETED else record.progress_step
    generated = record.n_generated if record.n_generated else len(images)
    info: Any = None
    if record.info:
        try:
            info = json.loads(record.info)
        except ValueError:
            info = record.info
    view = JobView(
        id=record.id,
        state=record.state,
        task=record.task.value,
        pool=record.pool,
        model=record.model,
        created_at=record.created_at,
        started_at=record.started_at,
        completed_at=record.completed_at,
        progress=Progress(step=step, total=total, fraction=round(step / total, 4) if total else 0.0),
        queue_ms=record.delay_ms,
        execution_ms=record.execution_ms if record.terminal else None,
        images=images[:generated],
        control_maps=images[generated:],
        info=info,
        error=record.error,
        webhook_status=record.webhook_status,
        track_id=record.track_id,
        context=record.context,
    )
    return view.model_dump(mode="json")


def load_view(load: SystemLoad) -> dict[str, Any]:
    return load.model_dump(mode="json")


def models_view(catalog: Catalog) -> dict[str, Any]:
    return {
        "default_pool": catalog.default_pool,
        "pools": [
            {"name": p.name, "default_model": p.default_model, "models": list(p.models)}
            for p in catalog.pools
        ],
        "models": [
            {
                "name": m.name,
                "family": m.family.value,
                "base": m.base.value if m.base else None,
                "hash": m.hash,
                "title": m.title or m.name,
                "aliases": list(m.aliases),
            }
            for m in catalog.models
        ],
    }


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    return error.status, {
        "error": {
            "type": error.kind,
            "message": error.message,
            "fields": [{"field": p.field, "reason": p.reason} for p in error.problems],
        }
    }
