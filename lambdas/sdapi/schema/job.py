"""The canonical job: what every dialect maps into, what the GPU worker reads.

The api Lambda writes one of these as JSON to `inputs/{id}.json`; the container reads it, generates, and
answers with a `Manifest`. Hard limits here are the absolute ceilings; the deployment's own (usually lower)
limits are checked at the door by `sdapi.validation` against configuration.

Semantics follow AUTOMATIC1111 (see shared/reference/apis.md): seeds are resolved at the door (`seed=-1`
never reaches the GPU), image i of `batch_size x n_iter` gets `seed + i` unless `subseed_strength > 0`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from sdapi.schema import layout
from sdapi.schema.handling import applied, no_effect
from sdapi.schema.prompt import LoraRequest, Style
from sdapi.schema.states import ACTIVE_STATES as ACTIVE_STATES  # re-exported: declared in states.py
from sdapi.schema.states import TERMINAL_STATES as TERMINAL_STATES
from sdapi.schema.states import JobState as JobState
from sdapi.schema.storable import check_freeform, check_stored

SCHEMA_VERSION = 1

MAX_SEED = 4294967294
"""A1111 draws random seeds in [0, 4294967294)."""

MAX_SIDE = 4096
"""Absolute ceiling for width/height; deployments configure lower limits."""


class Task(StrEnum):
    TXT2IMG = "txt2img"
    IMG2IMG = "img2img"
    INPAINT = "inpaint"
    EXTRAS = "extras"
    """A1111's extras (`extra-single-image`, `extra-batch-images`): upscale, restore faces; no diffusion."""


class Dialect(StrEnum):
    NATIVE = "native"
    RUNPOD = "runpod"
    A1111 = "a1111"
    V3 = "v3"
    TASKS = "tasks"


class ResizeMode(StrEnum):
    """How an input image is fitted to the requested size (A1111 `resize_mode` 0..3)."""

    JUST_RESIZE = "just_resize"
    CROP_AND_RESIZE = "crop_and_resize"
    RESIZE_AND_FILL = "resize_and_fill"
    LATENT_UPSCALE = "latent_upscale"


class InpaintFill(StrEnum):
    """A1111 `inpainting_fill`: what the masked area starts from (0..3)."""

    FILL = "fill"
    ORIGINAL = "original"
    LATENT_NOISE = "latent_noise"
    LATENT_NOTHING = "latent_nothing"


class ControlMode(StrEnum):
    BALANCED = "balanced"
    PROMPT = "prompt"
    """A1111 "My prompt is more important"."""
    CONTROLNET = "controlnet"
    """A1111 "ControlNet is more important" (diffusers `guess_mode`)."""


class NoiseSource(StrEnum):
    """A1111 `randn_source`: where seeded noise is drawn (`modules/rng.py`), the initial noise and the noise
    the samplers add while denoising alike."""

    GPU = "GPU"
    """`torch.randn` with a generator on the execution device (A1111's default): CUDA's generator on an
    NVIDIA GPU; on a CPU-only machine the CPU generator, as in A1111."""
    CPU = "CPU"
    """The same on the CPU (the same noise on every device)."""
    NV = "NV"
    """A1111's philox emulation of NVIDIA's generator, on any device (`modules/rng_philox.py`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Refiner(_Strict):
    checkpoint: str = Field(
        description="Refiner checkpoint name from the catalog (family sdxl-refiner or sdxl).",
        json_schema_extra=applied(),
    )
    switch_at: float = Field(
        gt=0,
        lt=1,
        description="Fraction of the noise schedule after which the refiner takes over.",
        json_schema_extra=applied(),
    )


class Mask(_Strict):
    image: str = Field(
        description="Mask image, base64 PNG/JPEG; white is repainted (unless `invert`).",
        json_schema_extra=applied(),
    )
    blur: int = Field(
        default=4,
        ge=0,
        le=64,
        description="Gaussian blur radius applied to the mask, pixels.",
        json_schema_extra=applied(),
    )
    invert: bool = Field(
        default=False,
        description="Repaint the black area instead of the white one.",
        json_schema_extra=applied(),
    )
    fill: InpaintFill = Field(
        default=InpaintFill.ORIGINAL,
        description="What the masked area starts from.",
        json_schema_extra=applied(),
    )
    full_res: bool = Field(
        default=False,
        description="Inpaint only the masked region at full resolution.",
        json_schema_extra=applied(),
    )
    full_res_padding: int = Field(
        default=32,
        ge=0,
        le=256,
        description="Padding around that region, pixels.",
        json_schema_extra=applied(),
    )


class ControlNetUnit(_Strict):
    model: str = Field(description="ControlNet model name from the catalog.", json_schema_extra=applied())
    module: str = Field(
        default="none",
        description="Preprocessor: `none` (image used as is) or `canny`.",
        json_schema_extra=applied(),
    )
    weight: float = Field(
        default=1.0, ge=0, le=2, description="controlnet_conditioning_scale.", json_schema_extra=applied()
    )
    image: str | None = Field(
        default=None,
        description="Control image, base64. When absent, img2img uses the first init image.",
        json_schema_extra=applied(),
    )
    resize_mode: ResizeMode = Field(default=ResizeMode.CROP_AND_RESIZE, json_schema_extra=applied())
    processor_res: int = Field(
        default=512,
        ge=64,
        le=2048,
        description="Preprocessor resolution, pixels.",
        json_schema_extra=applied(),
    )
    threshold_a: float | None = Field(
        default=None, description="canny: low threshold (1-255, default 100).", json_schema_extra=applied()
    )
    threshold_b: float | None = Field(
        default=None, description="canny: high threshold (1-255, default 200).", json_schema_extra=applied()
    )
    guidance_start: float = Field(default=0.0, ge=0, le=1, json_schema_extra=applied())
    guidance_end: float = Field(default=1.0, ge=0, le=1, json_schema_extra=applied())
    control_mode: ControlMode = Field(default=ControlMode.BALANCED, json_schema_extra=applied())
    pixel_perfect: bool = Field(
        default=False,
        description="Pick the processor resolution from the output size.",
        json_schema_extra=applied(),
    )
    low_vram: bool = Field(
        default=False,
        json_schema_extra=no_effect(
            "changes memory use, not the image; the worker manages GPU memory itself"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> ControlNetUnit:
        if self.guidance_end < self.guidance_start:
            raise ValueError("guidance_end must not be less than guidance_start")
        return self


class Hires(_Strict):
    """A1111's hires fix (txt2img): first pass, upscale, then an img2img pass at the larger size."""

    scale: float = Field(default=2.0, ge=1, le=8, description="`hr_scale`: used when no resize side is set.")
    resize_x: int = Field(default=0, ge=0, le=MAX_SIDE, description="`hr_resize_x` (0: from the scale).")
    resize_y: int = Field(default=0, ge=0, le=MAX_SIDE, description="`hr_resize_y` (0: from the scale).")
    upscaler: str = Field(
        default="Latent",
        description="`hr_upscaler`: a Latent mode (`GET /sdapi/v1/latent-upscale-modes`) or an upscaler "
        "(`GET /sdapi/v1/upscalers`).",
    )
    steps: int = Field(default=0, ge=0, le=150, description="`hr_second_pass_steps` (0: the first pass's).")
    denoising_strength: float = Field(
        default=0.75, ge=0, le=1, description="Strength of the second pass (0: upscale only)."
    )
    prompt: str | None = Field(default=None, max_length=20000, description="`hr_prompt` (None: the same).")
    negative_prompt: str | None = Field(default=None, max_length=20000, description="`hr_negative_prompt`.")
    sampler: str | None = Field(default=None, description="`hr_sampler_name` (None: the first pass's).")
    scheduler: str | None = Field(default=None, description="`hr_scheduler` (None: the first pass's).")
    checkpoint: str | None = Field(
        default=None, description="`hr_checkpoint_name`: the second pass's checkpoint (same family)."
    )


class Upscale(_Strict):
    """A1111's extras upscale (`scripts/postprocessing_upscale.py`)."""

    scale: float = Field(default=2.0, ge=1, le=8, description="`upscaling_resize`: scale by this factor.")
    width: int | None = Field(
        default=None, ge=64, le=MAX_SIDE, description="`upscaling_resize_w` (with `height`: scale to)."
    )
    height: int | None = Field(default=None, ge=64, le=MAX_SIDE, description="`upscaling_resize_h`.")
    crop: bool = Field(default=True, description="`upscaling_crop`: scale to covers, then crops to fit.")
    upscaler: str = Field(default="None", description="`upscaler_1` (`GET /sdapi/v1/upscalers`).")
    upscaler_2: str = Field(default="None", description="`upscaler_2`, blended over the first.")
    upscaler_2_visibility: float = Field(default=0, ge=0, le=1, description="`extras_upscaler_2_visibility`.")

    @property
    def scale_to(self) -> bool:
        return self.width is not None and self.height is not None


class Extras(_Strict):
    """A1111's postprocessing, in its order: upscale, then GFPGAN, then CodeFormer."""

    upscale: Upscale | None = None
    gfpgan_visibility: float = Field(default=0, ge=0, le=1, description="GFPGAN blended in at this much.")
    codeformer_visibility: float = Field(default=0, ge=0, le=1, description="CodeFormer blended in.")
    codeformer_weight: float = Field(
        default=0, ge=0, le=1, description="CodeFormer weight (0 = maximum effect, 1 = minimum effect)."
    )


class OutputOptions(_Strict):
    format: str = Field(default="png", pattern=r"^png$", description="Image format written to S3.")
    prefix: str = Field(
        description="S3 key prefix for this job's outputs, ending in '/': `outputs/{id}/`, or a task's "
        "`{prefix}/{id}/` (never under a reserved root: `schema/layout.py`).",
        pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$",
        max_length=900,
    )
    base64: bool = Field(default=False, description="The caller wants images inline as base64.")

    @field_validator("prefix")
    @classmethod
    def _plain_segments(cls, value: str) -> str:
        problem = layout.key_problem(value)
        if problem:
            raise ValueError(f"prefix {problem}")
        return value


class Webhook(_Strict):
    url: str = Field(
        description="https URL POSTed on the subscribed events, signed (Standard Webhooks).",
        json_schema_extra=applied(),
    )
    events: tuple[str, ...] = Field(
        default=("completed", "failed", "cancelled", "timed_out"),
        description="Events to deliver: queued, started, progress, completed, failed, cancelled, timed_out.",
        json_schema_extra=applied(),
    )


class Timeouts(_Strict):
    execution_s: int = Field(
        default=600,
        ge=1,
        le=3600,
        description="Longest the GPU may work on the job.",
        json_schema_extra=applied(),
    )
    ttl_s: int = Field(
        default=21600,
        ge=60,
        le=21600,
        description="Longest the job may wait in the queue.",
        json_schema_extra=applied(),
    )


class Job(_Strict):
    """One generation request, whatever dialect it arrived in."""

    schema_version: int = Field(default=SCHEMA_VERSION, description="Version of this schema.")
    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="Job id (integer string if generated)."
    )
    owner: str = Field(description="Owner id of the API key that submitted the job.")
    key_id: str | None = Field(default=None, description="Id of that API key (its webhook secret signs).")
    dialect: Dialect
    pool: str = Field(description="Model pool (SageMaker endpoint) that runs the job.")
    task: Task
    model: str = Field(description="Checkpoint name from the catalog.")
    vae: str | None = Field(
        default=None, description="VAE override from the catalog; None keeps the model's own."
    )
    refiner: Refiner | None = None

    prompt: str = Field(default="", max_length=20000)
    negative_prompt: str = Field(default="", max_length=20000)
    width: int = Field(default=512, ge=64, le=MAX_SIDE, multiple_of=8)
    height: int = Field(default=512, ge=64, le=MAX_SIDE, multiple_of=8)
    steps: int = Field(default=20, ge=1, le=150)
    cfg_scale: float = Field(default=7.0, ge=0, le=30)
    sampler: str = Field(default="Euler a", description="A1111 sampler name without a schedule suffix.")
    scheduler: str = Field(
        default="automatic", description="A1111 schedule type key (karras, exponential, …)."
    )
    seed: int = Field(ge=0, le=MAX_SEED, description="Resolved seed (never -1 here).")
    subseed: int = Field(default=0, ge=0, le=MAX_SEED, description="Resolved variation seed.")
    subseed_strength: float = Field(default=0.0, ge=0, le=1)
    seed_resize_from_w: int = Field(default=-1, ge=-1, le=MAX_SIDE)
    seed_resize_from_h: int = Field(default=-1, ge=-1, le=MAX_SIDE)
    batch_size: int = Field(default=1, ge=1, le=16)
    n_iter: int = Field(default=1, ge=1, le=64)
    clip_skip: int = Field(default=1, ge=1, le=12)
    sdxl_clip_l_skip: bool = Field(
        default=False, description="A1111 `sdxl_clip_l_skip`: clip skip also applies to SDXL's CLIP-L."
    )
    eta: float | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Sampler eta, applied where the sampler takes it (`schema/sampler_knobs.py`); None: the "
        "sampler's A1111 default.",
    )
    s_churn: float | None = Field(default=None, ge=0, le=100, description="Euler churn (None: 0).")
    s_tmin: float | None = Field(
        default=None, ge=0, le=1000, description="Euler churn's lowest sigma (None: 0)."
    )
    s_tmax: float | None = Field(
        default=None, ge=0, le=1000, description="Euler churn's highest sigma (None: infinity)."
    )
    s_noise: float | None = Field(
        default=None, ge=0, le=10, description="Noise scale of Euler / DPM++ SDE (None: 1)."
    )
    noise_source: NoiseSource = Field(
        default=NoiseSource.GPU,
        description="A1111 `randn_source`: where seeded noise is drawn (initial and sampler noise).",
    )
    eta_noise_seed_delta: int = Field(
        default=0,
        ge=0,
        le=MAX_SEED,
        description="A1111 `eta_noise_seed_delta` (ENSD): the noise the samplers add while denoising is "
        "drawn from seed + this delta instead of continuing the seed's stream; 0: off.",
    )
    styles: tuple[Style, ...] = Field(
        default=(), description="A1111 styles merged into the prompts, in order (resolved at the door)."
    )
    loras: tuple[LoraRequest, ...] = Field(
        default=(), description="LoRAs applied besides the prompt's `<lora:…>` tags (v3 `lora_model`)."
    )
    embeddings: tuple[str, ...] = Field(
        default=(),
        description="Embeddings the caller named (v3 `embeddings_model`); every embedding of the "
        "checkpoint's family is usable by name in the prompts, as in A1111.",
    )

    denoising_strength: float | None = Field(default=None, ge=0, le=1)
    init_images: tuple[str, ...] = Field(default=(), description="Base64 images (no data: prefix).")
    resize_mode: ResizeMode = ResizeMode.JUST_RESIZE
    mask: Mask | None = None
    controlnet: tuple[ControlNetUnit, ...] = ()

    restore_faces: bool = False
    face_restorer: str | None = Field(
        default=None, description="Face-restoration model used when restore_faces."
    )
    codeformer_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A1111 `code_former_weight`: CodeFormer's weight when `restore_faces` runs CodeFormer.",
    )
    hires: Hires | None = Field(default=None, description="Hires fix (txt2img only).")
    extras: Extras | None = Field(
        default=None,
        description="Postprocessing of each image: the whole job for task `extras`, after generation "
        "otherwise (v3 `upscale`).",
    )
    safety_checker: bool = False

    output: OutputOptions
    webhook: Webhook | None = None
    track_id: str | None = Field(default=None, max_length=256)
    task_id: str | None = Field(
        default=None,
        description="The id a tasks-dialect caller chose; `id` is the owner-scoped id it is stored under.",
    )
    context: Annotated[Any, AfterValidator(check_freeform)] = Field(
        default=None,
        description="Opaque caller data echoed back (tasks `context`); anything DynamoDB can store "
        "(non-empty keys, numbers within ±9.9E+125, at most 30 levels, 64 KiB as JSON).",
    )
    request: Annotated[dict[str, Any], AfterValidator(check_stored)] = Field(
        default_factory=dict,
        description="The caller's parameters, images removed (echoed as A1111 `parameters`, v3 `meta`).",
    )
    timeouts: Timeouts = Field(default_factory=Timeouts)
    created_at: float = Field(description="Unix time the job was accepted.")
    attempt: int = Field(default=0, ge=0, description="Retry number (RunPod /retry re-runs the same id).")

    @field_validator("init_images")
    @classmethod
    def _no_data_urls(cls, images: tuple[str, ...]) -> tuple[str, ...]:
        if any(image.startswith("data:") for image in images):
            raise ValueError("images must be bare base64 (strip the data: URL prefix at the door)")
        return images

    @model_validator(mode="after")
    def _task_inputs(self) -> Job:
        if self.task in (Task.IMG2IMG, Task.INPAINT) and not self.init_images:
            raise ValueError(f"{self.task} needs at least one init image")
        if self.task == Task.INPAINT and self.mask is None:
            raise ValueError("inpaint needs a mask")
        if self.task == Task.TXT2IMG and self.mask is not None:
            raise ValueError("txt2img takes no mask")
        if self.task == Task.EXTRAS and (not self.init_images or self.extras is None):
            raise ValueError("extras needs at least one image and what to do with it")
        if self.hires is not None and self.task != Task.TXT2IMG:
            raise ValueError("hires fix is for txt2img")
        return self

    @property
    def image_count(self) -> int:
        """Images generated (detected ControlNet maps are extra)."""
        return self.batch_size * self.n_iter

    @property
    def inference_id(self) -> str:
        """SageMaker InferenceId: the job id, then `:{attempt}` for retries (job ids cannot contain ':')."""
        return self.id if self.attempt == 0 else f"{self.id}:{self.attempt}"

    def output_key(self, index: int) -> str:
        return f"{self.output.prefix}{index}.png"


def parse_inference_id(inference_id: str) -> tuple[str, int]:
    """Inverse of `Job.inference_id`: (job id, attempt)."""
    head, sep, tail = inference_id.rpartition(":")
    if sep and tail.isdigit() and head:
        return head, int(tail)
    return inference_id, 0
