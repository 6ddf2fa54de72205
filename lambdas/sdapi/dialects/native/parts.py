"""The nested parts of a native job request: the hires fix, the extras after generation (upscale, face
restoration) and the LoRAs. Each field says what it does; the door maps them onto the canonical job
(`submit`), where the canonical models check the ranges and the combinations are checked (400 naming the
field)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.handling import applied
from sdapi.schema.upscaling import DEFAULT_LATENT_MODE

UPSCALER_NAMES = (
    "a Latent mode (`latent_upscale_modes` of `GET /v1/models`), a built-in (`builtin_upscalers`) or an "
    "`upscaler` model of the catalog"
)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HiresFix(_Part):
    """A1111's hires fix (txt2img only): the first pass at `width` x `height`, an upscale, then an img2img
    pass at the larger size."""

    scale: float = Field(
        default=2.0,
        description="Upscale factor of the first pass's image, 1-8 (not with `width` / `height`).",
        json_schema_extra=applied(),
    )
    width: int | None = Field(
        default=None,
        description="Final width (A1111 `hr_resize_x`); with one side only, the other keeps the aspect "
        "ratio; with both, the image is scaled to cover them, then cropped.",
        json_schema_extra=applied(),
    )
    height: int | None = Field(
        default=None,
        description="Final height (A1111 `hr_resize_y`).",
        json_schema_extra=applied(),
    )
    upscaler: str = Field(
        default=DEFAULT_LATENT_MODE,
        description=f"How the first pass's image is enlarged: {UPSCALER_NAMES}.",
        json_schema_extra=applied(),
    )
    steps: int | None = Field(
        default=None,
        description="Steps of the second pass, 1-150 (default: the first pass's `steps`).",
        json_schema_extra=applied(),
    )
    denoising_strength: float = Field(
        default=DEFAULT_DENOISING_STRENGTH,
        description="Strength of the second pass, 0-1 (0: the upscaled image as is).",
        json_schema_extra=applied(),
    )
    prompt: str | None = Field(
        default=None,
        max_length=20000,
        description="Prompt of the second pass (default: the job's).",
        json_schema_extra=applied(),
    )
    negative_prompt: str | None = Field(
        default=None,
        max_length=20000,
        description="Negative prompt of the second pass (default: the job's).",
        json_schema_extra=applied(),
    )
    sampler: str | None = Field(
        default=None,
        description="Sampler of the second pass, A1111 name (a schedule suffix is accepted); default: the "
        "job's.",
        json_schema_extra=applied(),
    )
    scheduler: str | None = Field(
        default=None,
        description="Schedule type of the second pass (default: the job's, or the sampler name's suffix).",
        json_schema_extra=applied(),
    )
    checkpoint: str | None = Field(
        default=None,
        description="Checkpoint of the second pass, of the same family as `model` (default: `model`).",
        json_schema_extra=applied(),
    )


class Upscale(_Part):
    """Enlarge each image (A1111's extras upscale): by `scale`, or to `width` x `height`."""

    upscaler: str | None = Field(
        default=None,
        description="A built-in (`builtin_upscalers` of `GET /v1/models`) or an `upscaler` model of the "
        "catalog; default: the pool's first upscaler model, else Lanczos.",
        json_schema_extra=applied(),
    )
    scale: float = Field(
        default=2.0,
        description="Factor, 1-8 (the size rounds down to a multiple of 8); not with `width` / `height`.",
        json_schema_extra=applied(),
    )
    width: int | None = Field(
        default=None, description="Target width (with `height`).", json_schema_extra=applied()
    )
    height: int | None = Field(
        default=None, description="Target height (with `width`).", json_schema_extra=applied()
    )
    crop: bool = Field(
        default=True,
        description="With `width` / `height`: scale to cover them, then crop (false: the covering size).",
        json_schema_extra=applied(),
    )
    upscaler_2: str | None = Field(
        default=None,
        description="A second upscaler blended over the first at `upscaler_2_visibility`.",
        json_schema_extra=applied(),
    )
    upscaler_2_visibility: float = Field(
        default=0.0, description="How much of `upscaler_2` shows.", json_schema_extra=applied()
    )


class FaceRestoration(_Part):
    """Restore faces in each image (A1111's extras): GFPGAN, then CodeFormer, each blended over its input."""

    gfpgan_visibility: float = Field(
        default=0.0, description="GFPGAN blended in at this much (0: off).", json_schema_extra=applied()
    )
    codeformer_visibility: float = Field(
        default=0.0, description="CodeFormer blended in at this much (0: off).", json_schema_extra=applied()
    )
    codeformer_weight: float = Field(
        default=0.0,
        description="CodeFormer's weight: 0 = maximum effect, 1 = minimum effect.",
        json_schema_extra=applied(),
    )


class Extras(_Part):
    """Postprocessing of each generated image (or, for task `extras`, of each input image), in A1111's
    order: upscale, then face restoration."""

    upscale: Upscale | None = Field(
        default=None, description="Enlarge the image.", json_schema_extra=applied()
    )
    face_restoration: FaceRestoration | None = Field(
        default=None, description="GFPGAN / CodeFormer after the upscale.", json_schema_extra=applied()
    )


class Lora(_Part):
    """A LoRA of the catalog (`GET /v1/models`, family `lora`) applied to the job, as A1111's
    `<lora:name:weight>` (which the prompt may also carry)."""

    name: str = Field(
        min_length=1, max_length=200, description="The LoRA's catalog name.", json_schema_extra=applied()
    )
    weight: float = Field(
        default=1.0,
        description="Multiplier on the text encoder(s), and on the UNet unless `unet_weight` is given.",
        json_schema_extra=applied(),
    )
    unet_weight: float | None = Field(
        default=None,
        description="Multiplier on the UNet (default: `weight`).",
        json_schema_extra=applied(),
    )
