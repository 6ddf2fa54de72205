"""The native API's request and response models (`/v1/...`); their field descriptions are the OpenAPI docs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects.common import AUTOMATIC, DEFAULT_SAMPLER
from sdapi.dialects.native.parts import Extras, HiresFix, Lora
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.handling import applied
from sdapi.schema.job import (
    ControlNetUnit,
    JobState,
    Mask,
    NoiseSource,
    Refiner,
    ResizeMode,
    Task,
    Timeouts,
    Webhook,
)

KNOB = " A sampler knob (docs/request-fields.md, Sampler knobs): a 400 where no pass's sampler uses it."


class JobRequest(BaseModel):
    """Body of `POST /v1/jobs`."""

    model_config = ConfigDict(extra="forbid")

    task: Task | None = Field(
        default=None,
        description="txt2img, img2img, inpaint, or extras (only `extras` on the `init_images`, no "
        "generation); inferred from init_images/mask when omitted.",
        json_schema_extra=applied(),
    )
    pool: str | None = Field(
        default=None,
        description="Model pool; default: the pool serving `model`.",
        json_schema_extra=applied(),
    )
    model: str | None = Field(
        default=None,
        description="Checkpoint name (GET /v1/models); default: the pool's.",
        json_schema_extra=applied(),
    )
    vae: str | None = Field(default=None, description="VAE override.", json_schema_extra=applied())
    refiner: Refiner | None = Field(
        default=None, description="SDXL refiner and its switch point.", json_schema_extra=applied()
    )
    prompt: str = Field(
        default="",
        description="What to draw, in A1111's prompt language (emphasis, editing, `<lora:name:weight>`).",
        json_schema_extra=applied(),
    )
    negative_prompt: str = Field(default="", description="What to avoid.", json_schema_extra=applied())
    width: int = Field(default=512, description="Pixels, a multiple of 8.", json_schema_extra=applied())
    height: int = Field(default=512, description="Pixels, a multiple of 8.", json_schema_extra=applied())
    steps: int = Field(default=20, description="Denoising steps.", json_schema_extra=applied())
    cfg_scale: float = Field(
        default=7.0, description="Classifier-free guidance scale.", json_schema_extra=applied()
    )
    sampler: str = Field(
        default=DEFAULT_SAMPLER,
        description="A1111 sampler name (a schedule suffix is accepted).",
        json_schema_extra=applied(),
    )
    scheduler: str = Field(
        default=AUTOMATIC,
        description="Schedule type: automatic, karras, exponential, ...",
        json_schema_extra=applied(),
    )
    seed: int | None = Field(
        default=None, description="null or -1: random. Image i uses seed + i.", json_schema_extra=applied()
    )
    subseed: int | None = Field(
        default=None, description="Variation seed; null or -1: random.", json_schema_extra=applied()
    )
    subseed_strength: float = Field(default=0.0, description="0-1.", json_schema_extra=applied())
    noise_source: NoiseSource = Field(
        default=NoiseSource.GPU,
        description="Where seeded noise is drawn, initial and per step (A1111 `randn_source`): GPU (A1111's "
        "default), CPU (the same on every device) or NV (A1111's emulation of NVIDIA's generator).",
        json_schema_extra=applied(),
    )
    eta_noise_seed_delta: int = Field(
        default=0,
        description="A1111's ENSD: the samplers' per-step noise is drawn from seed + this; 0: off.",
        json_schema_extra=applied(),
    )
    eta: float | None = Field(
        default=None,
        description="Sampler eta (DDIM, ancestral and SDE samplers); null: A1111's default (DDIM 0, others "
        "1)." + KNOB,
        json_schema_extra=applied(),
    )
    s_churn: float | None = Field(
        default=None, description="Euler churn (null: 0)." + KNOB, json_schema_extra=applied()
    )
    s_tmin: float | None = Field(
        default=None,
        description="Lowest sigma churn applies at (null: 0)." + KNOB,
        json_schema_extra=applied(),
    )
    s_tmax: float | None = Field(
        default=None,
        description="Highest sigma churn applies at (null or 0: infinity)." + KNOB,
        json_schema_extra=applied(),
    )
    s_noise: float | None = Field(
        default=None, description="Added-noise scale (null: 1)." + KNOB, json_schema_extra=applied()
    )
    batch_size: int = Field(default=1, description="Images per batch.", json_schema_extra=applied())
    n_iter: int = Field(default=1, description="Batches.", json_schema_extra=applied())
    clip_skip: int = Field(
        default=1,
        description="CLIP layers to skip (A1111 CLIP_stop_at_last_layers).",
        json_schema_extra=applied(),
    )
    denoising_strength: float | None = Field(
        default=None,
        description=f"img2img/inpaint strength (default {DEFAULT_DENOISING_STRENGTH}).",
        json_schema_extra=applied(),
    )
    init_images: list[str] = Field(
        default_factory=list,
        description="Input images: base64, an https URL, or an upload reference.",
        json_schema_extra=applied(),
    )
    resize_mode: ResizeMode = Field(
        default=ResizeMode.JUST_RESIZE, description="How inputs fit the size.", json_schema_extra=applied()
    )
    mask: Mask | None = Field(
        default=None, description="Inpainting mask (makes the task inpaint).", json_schema_extra=applied()
    )
    controlnet: list[ControlNetUnit] = Field(
        default_factory=list, description="ControlNet units.", json_schema_extra=applied()
    )
    loras: list[Lora] = Field(
        default_factory=list,
        description="LoRAs of the catalog applied to the job (besides any `<lora:…>` in the prompt).",
        json_schema_extra=applied(),
    )
    styles: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        description="Names of the deployment's prompt styles (`styles` of `GET /v1/models`), merged into "
        "the prompts in order (A1111's `{prompt}` rule).",
        json_schema_extra=applied(),
    )
    hires: HiresFix | None = Field(
        default=None,
        description="Hires fix (txt2img): first pass, upscale, second pass at the larger size.",
        json_schema_extra=applied(),
    )
    restore_faces: bool = Field(
        default=False,
        description="Restore faces of each generated image with the pool's (or `face_restorer`'s) model.",
        json_schema_extra=applied(),
    )
    face_restorer: str | None = Field(
        default=None,
        description="Which face restorer `restore_faces` runs (default: the pool's first).",
        json_schema_extra=applied(),
    )
    codeformer_weight: float | None = Field(
        default=None,
        description="With `restore_faces` running CodeFormer: its weight, 0 (maximum effect) to 1 (minimum); "
        "null: 0.5.",
        json_schema_extra=applied(),
    )
    extras: Extras | None = Field(
        default=None,
        description="Postprocessing of each image after generation, in A1111's order: upscale, then GFPGAN / "
        "CodeFormer (for task `extras`: of each input image).",
        json_schema_extra=applied(),
    )
    safety_checker: bool = Field(
        default=False, description="Run the deployment's safety checker.", json_schema_extra=applied()
    )
    base64: bool = Field(
        default=False,
        description="Show images inline as base64 in the job view.",
        json_schema_extra=applied(),
    )
    webhook: Webhook | None = Field(
        default=None, description="Signed callbacks on the chosen events.", json_schema_extra=applied()
    )
    track_id: str | None = Field(
        default=None, description="Your reference, echoed in webhooks.", json_schema_extra=applied()
    )
    context: Any = Field(
        default=None,
        description="Anything; echoed in the job view and webhooks.",
        json_schema_extra=applied(),
    )
    timeouts: Timeouts | None = Field(
        default=None, description="Execution and queue time limits, seconds.", json_schema_extra=applied()
    )


class Progress(BaseModel):
    """How far the job's denoising has come."""

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
    nsfw: list[bool] = Field(
        default_factory=list,
        description="Safety-checker verdict per generated image, when the job asked for the checker; a "
        "flagged image is black.",
    )
    info: Any = Field(default=None, description="A1111 info object (seeds, infotexts).")
    error: str | None = None
    webhook_status: str | None = None
    track_id: str | None = None
    context: Any = None


class UploadRequest(BaseModel):
    """Body of `POST /v1/uploads`."""

    content_type: str = Field(default="image/png", description="image/png, image/jpeg or image/webp.")


class UploadView(BaseModel):
    """Where to PUT a large input image, and the reference to pass instead of its base64."""

    url: str = Field(description="PUT the bytes here with the same Content-Type.")
    method: str = "PUT"
    reference: str = Field(description="Pass this wherever an image is accepted.")
    key: str
    content_type: str
    expires_in: int
