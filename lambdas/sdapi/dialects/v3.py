"""stablediffusionapi.com "v3" (`/api/v3/...`, seed 003): key in the body, numbers as strings, yes/no flags.

Decisions:
- `init_image` / `mask_image` are URLs the api Lambda fetches through the SSRF guard before calling
  `to_job` (their base64 arrives in `SubmitContext.images` under those names).
- Limits from the v3 docs are enforced at the door (`width`/`height` ≤ 1024, `samples` 1-4,
  `guidance_scale` 1-20, `strength` 0-1) on top of the deployment's own limits.
- `model_id` (optional, as in v4) picks a catalog checkpoint; without it the default pool's default model.
- `safety_checker`: "yes" needs a deployed safety checker (400 otherwise); when omitted it is on if the
  pool has one. `enhance_prompt` is accepted but not performed: `meta.enhance_prompt` reports "no".
- `base64: "yes"` → `output` holds base64 PNGs instead of URLs.
- Answers: `success` when the job finishes within the short wait (settings `v3_wait_s`), else
  `processing` with `eta`, `fetch_result` and `future_links`; failed/cancelled/timed-out jobs read
  `{"status": "failed", "id", "message"}`. Errors use the v3 bodies with real HTTP statuses (400 for
  validation with `messege: {field: [reasons]}`, 401, 404, 409, 503 with `message`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sdapi.dialects.common import SubmitContext, build_job, choose_model, first_of_family, resolve_sampler
from sdapi.errors import DomainError, InvalidRequest
from sdapi.records import JobRecord, SystemLoad
from sdapi.schema.catalog import Family
from sdapi.schema.job import Dialect, Job, JobState, OutputOptions, Task, Webhook

KINDS = {"text2img": Task.TXT2IMG, "img2img": Task.IMG2IMG, "inpaint": Task.INPAINT}


def _yes_no(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "true", "1"):
            return "yes"
        if lowered in ("no", "false", "0", "none", ""):
            return "no"
    return value


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


YesNo = Annotated[Literal["yes", "no"] | None, BeforeValidator(_yes_no)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_none)]


class V3Request(BaseModel):
    """Body of `/api/v3/text2img`, `/img2img` and `/inpaint` (numbers may be strings)."""

    model_config = ConfigDict(extra="allow")

    key: str | None = Field(default=None, description="Your API key.", repr=False)
    model_id: str | None = Field(
        default=None, description="Checkpoint from the catalog (default: the default)."
    )
    prompt: str | None = Field(default="", description="What to draw.")
    negative_prompt: str | None = Field(default=None, description="What to avoid.")
    init_image: str | None = Field(default=None, description="URL of the initial image (img2img, inpaint).")
    mask_image: str | None = Field(default=None, description="URL of the mask (inpaint); white is repainted.")
    width: int = Field(default=512, ge=64, le=1024, description="Max 1024.")
    height: int = Field(default=512, ge=64, le=1024, description="Max 1024.")
    samples: int = Field(default=1, ge=1, le=4, description="Number of images, 1-4.")
    num_inference_steps: int = Field(default=30, ge=1, description="Denoising steps.")
    safety_checker: YesNo = Field(default=None, description='"yes"/"no": blank out NSFW images.')
    enhance_prompt: YesNo = Field(default="yes", description="Accepted; prompts are used as given.")
    guidance_scale: float = Field(default=7.5, ge=1, le=20, description="Classifier-free guidance, 1-20.")
    strength: float = Field(default=0.7, ge=0, le=1, description="How much to change the init image, 0-1.")
    scheduler: str | None = Field(default=None, description='A1111 sampler name (default "Euler a").')
    seed: OptionalInt = Field(default=None, description="null for a random seed.")
    base64: YesNo = Field(default="no", description='"yes": output holds base64 PNGs instead of URLs.')
    webhook: str | None = Field(default=None, description="URL POSTed the fetch body when the job ends.")
    track_id: str | int | None = Field(default=None, description="Echoed in the webhook body.")


class V3KeyOnly(BaseModel):
    """Body of `/api/v3/fetch/{id}` and `/api/v3/system_load`."""

    model_config = ConfigDict(extra="allow")

    key: str | None = Field(default=None, description="Your API key.", repr=False)


def url_inputs(request: V3Request, kind: str) -> dict[str, str]:
    """The URL inputs to fetch (through the guard) before `to_job`: caller field → URL."""
    task = KINDS[kind]
    found: dict[str, str] = {}
    if task in (Task.IMG2IMG, Task.INPAINT):
        if not request.init_image:
            raise InvalidRequest.field("init_image", f"{kind} needs an init_image URL")
        found["init_image"] = request.init_image
    if task == Task.INPAINT:
        if not request.mask_image:
            raise InvalidRequest.field("mask_image", "inpaint needs a mask_image URL")
        found["mask_image"] = request.mask_image
    return found


def to_job(request: V3Request, kind: str, ctx: SubmitContext) -> Job:
    """The canonical job (errors in canonical paths: translate with `to_caller_path`)."""
    task = KINDS[kind]
    choice = choose_model(ctx.catalog, request.model_id)
    has_checker = first_of_family(ctx.catalog, choice.pool, Family.SAFETY_CHECKER) is not None
    safety = request.safety_checker == "yes" if request.safety_checker is not None else has_checker
    sampler, scheduler = resolve_sampler(request.scheduler, None)
    seed = ctx.seed if request.seed is None or request.seed == -1 else request.seed
    init = [ctx.images["init_image"]] if task != Task.TXT2IMG and "init_image" in ctx.images else []
    mask = (
        {"image": ctx.images["mask_image"]} if task == Task.INPAINT and "mask_image" in ctx.images else None
    )
    meta = {
        "H": request.height,
        "W": request.width,
        "base64": request.base64 or "no",
        "enhance_prompt": "no",
        "file_prefix": ctx.job_id,
        "guidance_scale": request.guidance_scale,
        "init_image": request.init_image,
        "mask_image": request.mask_image,
        "model": choice.model,
        "n_samples": request.samples,
        "negative_prompt": request.negative_prompt or "",
        "prompt": request.prompt or "",
        "safety_checker": "yes" if safety else "no",
        "scheduler": sampler,
        "seed": seed,
        "steps": request.num_inference_steps,
        "strength": request.strength if task != Task.TXT2IMG else None,
        "track_id": request.track_id,
        "webhook": request.webhook,
    }
    return build_job(
        id=ctx.job_id,
        owner=ctx.owner,
        key_id=ctx.key_id,
        dialect=Dialect.V3,
        pool=choice.pool.name,
        task=task,
        model=choice.model,
        prompt=request.prompt or "",
        negative_prompt=request.negative_prompt or "",
        width=request.width,
        height=request.height,
        steps=request.num_inference_steps,
        cfg_scale=request.guidance_scale,
        sampler=sampler,
        scheduler=scheduler,
        seed=seed,
        subseed=ctx.subseed,
        batch_size=request.samples,
        denoising_strength=request.strength if task != Task.TXT2IMG else None,
        init_images=tuple(init),
        mask=mask,
        safety_checker=safety,
        output=OutputOptions(prefix=f"outputs/{ctx.job_id}/", base64=request.base64 == "yes"),
        webhook=Webhook(url=request.webhook) if request.webhook else None,
        track_id=None if request.track_id is None else str(request.track_id),
        request=meta,
        created_at=ctx.now,
    )


_PATHS = {
    "model": "model_id",
    "pool": "model_id",
    "steps": "num_inference_steps",
    "cfg_scale": "guidance_scale",
    "batch_size": "samples",
    "n_iter": "samples",
    "denoising_strength": "strength",
    "init_images": "init_image",
    "init_images[0]": "init_image",
    "mask": "mask_image",
    "mask.image": "mask_image",
    "sampler": "scheduler",
    "webhook.url": "webhook",
    "webhook": "webhook",
}


def to_caller_path(path: str) -> str:
    return _PATHS.get(path, path)


# ------------------------------------------------------------------------------------------ answers


def job_number(job_id: str) -> int | str:
    """v3 ids are integers (generated ids always are; a task-dialect id stays a string)."""
    return int(job_id) if job_id.isdigit() else job_id


def success_body(record: JobRecord, output: list[str]) -> dict[str, Any]:
    return {
        "status": "success",
        "generationTime": round((record.execution_ms or 0) / 1000, 3),
        "id": job_number(record.id),
        "output": output,
        "meta": record.request,
        "nsfw_content_detected": any(record.nsfw),
    }


def processing_body(
    record: JobRecord, eta_s: float, fetch_url: str, future_links: list[str]
) -> dict[str, Any]:
    return {
        "status": "processing",
        "tip": "Your image is processing in background, you can get this image using fetch API",
        "eta": round(eta_s, 1),
        "messege": "Try to fetch request after given estimated time",
        "fetch_result": fetch_url,
        "id": job_number(record.id),
        "output": [],
        "meta": record.request,
        "future_links": future_links,
    }


def failed_body(record: JobRecord) -> dict[str, Any]:
    reasons = {
        JobState.CANCELLED: "the job was cancelled",
        JobState.TIMED_OUT: "the job timed out",
    }
    return {
        "status": "failed",
        "id": job_number(record.id),
        "message": record.error or reasons.get(record.state, "the job failed"),
    }


def system_load_body(load: SystemLoad) -> dict[str, Any]:
    return {
        "queue_num": sum(c.queued for c in load.pools),
        "queue_time": round(load.queue_time_s, 1),
        "status": "ok",
    }


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    if error.problems:
        fields: dict[str, list[str]] = {}
        for problem in error.problems:
            fields.setdefault(problem.field or "request", []).append(problem.reason)
        return error.status, {"status": "error", "messege": fields}
    return error.status, {"status": "error", "message": error.message}
