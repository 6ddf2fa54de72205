"""The A1111 request and response models (A1111's `StableDiffusion*ProcessingAPI`, sd-webui-controlnet units),
with the defaults of the community RunPod worker's schema the seeds come from; their field descriptions are
the OpenAPI docs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects.common import DEFAULT_SAMPLER
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH

Number = int | float
"""Numbers are echoed in `parameters` as the caller sent them (10 stays 10, 7.5 stays 7.5)."""

DEFAULT_STEPS = 20
"""Denoising steps when the request gives none (the community worker's default; A1111's own is 50)."""

DEFAULT_REFINER_SWITCH_AT = 0.8
"""Fraction of the schedule where the refiner takes over when the request names a refiner but no point."""


class ControlNetArgs(BaseModel):
    """One sd-webui-controlnet unit (`alwayson_scripts.controlnet.args[i]`)."""

    model_config = ConfigDict(extra="allow")

    enabled: bool | None = Field(default=None, description="Missing means enabled (as the seeds expect).")
    module: str = Field(default="none", description="Preprocessor: `none` or `canny`.")
    model: str | None = Field(default=None, description="ControlNet model name from `GET /v1/models`.")
    weight: Number = Field(default=1, description="Conditioning scale, 0-2.")
    image: str | dict[str, Any] | None = Field(
        default=None,
        description="Control image, base64 (or {image, mask}); img2img defaults to init_images[0].",
    )
    input_image: str | None = Field(default=None, description="Old name of `image`.")
    resize_mode: str | int = Field(
        default="Crop and Resize", description='"Just Resize", "Crop and Resize", "Resize and Fill" or 0/1/2.'
    )
    lowvram: bool = False
    processor_res: int = Field(default=512, description="Preprocessor resolution (-1: 512).")
    threshold_a: Number = Field(default=-1, description="canny low threshold, 1-255 (default 100).")
    threshold_b: Number = Field(default=-1, description="canny high threshold, 1-255 (default 200).")
    guidance: Number | None = Field(default=None, description="Old alias of guidance_end (ignored).")
    guidance_start: Number = Field(default=0, description="Fraction of steps where control starts.")
    guidance_end: Number = Field(default=1, description="Fraction of steps where control ends.")
    control_mode: str | int = Field(
        default="Balanced",
        description='"Balanced", "My prompt is more important", "ControlNet is more important" or 0/1/2.',
    )
    pixel_perfect: bool = False


class ControlNetScript(BaseModel):
    """sd-webui-controlnet's always-on script (`alwayson_scripts.controlnet`)."""

    model_config = ConfigDict(extra="allow")

    args: list[ControlNetArgs] = Field(default_factory=list, description="ControlNet units.")


class AlwaysOnScripts(BaseModel):
    """Always-on scripts. Only `controlnet` runs; other keys are accepted and echoed."""

    model_config = ConfigDict(extra="allow")

    controlnet: ControlNetScript | None = None


class _A1111Base(BaseModel):
    """The fields txt2img and img2img share."""

    model_config = ConfigDict(extra="allow")

    prompt: str | None = Field(default="", description="What to draw.")
    negative_prompt: str | None = Field(default="", description="What to avoid.")
    styles: list[str] | None = Field(
        default=None,
        description="Names of the deployment's prompt styles (`GET /sdapi/v1/prompt-styles`), in order.",
    )
    seed: int = Field(default=-1, description="-1 picks a random seed; image i uses seed + i.")
    subseed: int = Field(default=-1, description="Variation seed (-1: random).")
    subseed_strength: Number = Field(default=0, description="Blend towards the variation seed's noise, 0-1.")
    seed_resize_from_h: int = -1
    seed_resize_from_w: int = -1
    sampler_name: str | None = Field(
        default=None,
        description='Sampler, optionally with a schedule word ("DPM++ 2M Karras"). '
        f'Default "{DEFAULT_SAMPLER}".',
    )
    sampler_index: str | None = Field(default=None, description="Old name of sampler_name.")
    scheduler: str | None = Field(default=None, description="Schedule type (karras, exponential, ...).")
    batch_size: int = Field(default=1, description="Images per batch.")
    n_iter: int = Field(default=1, description="Number of batches.")
    steps: int = Field(default=DEFAULT_STEPS, description="Denoising steps.")
    cfg_scale: Number = Field(default=7, description="Classifier-free guidance scale.")
    width: int = Field(default=512, description="Width in pixels, a multiple of 8.")
    height: int = Field(default=512, description="Height in pixels, a multiple of 8.")
    restore_faces: bool | None = Field(default=False, description="Run the deployment's face restorer.")
    tiling: bool | None = Field(default=False, description="Not supported (must be false).")
    do_not_save_samples: bool = False
    do_not_save_grid: bool = False
    eta: Number | None = None
    s_min_uncond: Number = 0
    s_churn: Number = 0
    s_tmax: Number | None = None
    s_tmin: Number = 0
    s_noise: Number = 1
    override_settings: dict[str, Any] | None = Field(
        default=None,
        description="Applied: `sd_model_checkpoint`, `sd_vae`, `CLIP_stop_at_last_layers`, "
        "`sdxl_clip_l_skip`, `face_restoration_model`.",
    )
    override_settings_restore_afterwards: bool = True
    refiner_checkpoint: str | None = Field(default=None, description="SDXL refiner checkpoint.")
    refiner_switch_at: Number | None = Field(
        default=None, description="Fraction of the schedule where the refiner takes over (default 0.8)."
    )
    script_name: str | None = Field(default=None, description="Scripts are not supported (must be null).")
    script_args: list[Any] = Field(default_factory=list)
    send_images: bool = True
    save_images: bool = False
    alwayson_scripts: AlwaysOnScripts = Field(default_factory=AlwaysOnScripts)


class Txt2ImgRequest(_A1111Base):
    """`POST /sdapi/v1/txt2img` body (A1111 `StableDiffusionTxt2ImgProcessingAPI`)."""

    denoising_strength: Number | None = Field(default=0, description="Only used by hires fix (unsupported).")
    enable_hr: bool = Field(default=False, description="Hires fix; not supported (must be false).")
    firstphase_width: int = 0
    firstphase_height: int = 0
    hr_scale: Number = 2
    hr_upscaler: str | None = None
    hr_second_pass_steps: int = 0
    hr_resize_x: int = 0
    hr_resize_y: int = 0
    hr_sampler_name: str | None = None
    hr_prompt: str = ""
    hr_negative_prompt: str = ""


class Img2ImgRequest(_A1111Base):
    """`POST /sdapi/v1/img2img` body (A1111 `StableDiffusionImg2ImgProcessingAPI`)."""

    init_images: list[str] | None = Field(
        default=None, description="Input images, base64 (data: URLs accepted)."
    )
    resize_mode: int = Field(
        default=0, description="0 just resize, 1 crop and resize, 2 resize and fill, 3 latent upscale."
    )
    denoising_strength: Number | None = Field(
        default=DEFAULT_DENOISING_STRENGTH, description="How much to change the image, 0-1."
    )
    image_cfg_scale: Number | None = None
    mask: str | None = Field(default=None, description="Inpainting mask, base64; white is repainted.")
    mask_blur: int | None = Field(default=None, description="Sets mask_blur_x and mask_blur_y.")
    mask_blur_x: int = 4
    mask_blur_y: int = 4
    inpainting_fill: int = Field(
        default=0, description="0 fill, 1 original, 2 latent noise, 3 latent nothing."
    )
    inpaint_full_res: bool | int = Field(
        default=True, description="Inpaint only the masked area at full res."
    )
    inpaint_full_res_padding: int = 0
    inpainting_mask_invert: int = Field(default=0, description="1: repaint the black area instead.")
    initial_noise_multiplier: Number | None = None
    include_init_images: bool = False


A1111Request = Txt2ImgRequest | Img2ImgRequest


class A1111Response(BaseModel):
    """What `txt2img` / `img2img` answer when the job finished."""

    images: list[str] = Field(description="Base64 PNGs: generated images, then detected ControlNet maps.")
    parameters: dict[str, Any] = Field(description="The request with defaults filled and images nulled.")
    info: str = Field(description="A1111 info JSON string (seeds, infotexts, ...).")


class A1111Pending(BaseModel):
    """Answered with HTTP 202 when the job is not finished within the synchronous wait."""

    id: str = Field(description="Job id: poll `GET /sdapi/v1/jobs/{id}` (or `GET /v1/jobs/{id}`).")
    status: Literal["queued", "in_progress"]
    detail: str
