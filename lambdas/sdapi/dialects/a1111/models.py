"""The A1111 request and response models (A1111's `StableDiffusion*ProcessingAPI`, sd-webui-controlnet units),
with the defaults of the community RunPod worker's schema the seeds come from; their field descriptions are
the OpenAPI docs, and each field declares how it is handled (`sdapi.schema.handling`: the inventory in
`docs/request-fields.md` is generated from these declarations). Fields A1111 does not have are refused (400
naming them), as are always-on scripts other than ControlNet."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sdapi.dialects.common import DEFAULT_SAMPLER
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.handling import applied, no_effect, refused

Number = int | float
"""Numbers are echoed in `parameters` as the caller sent them (10 stays 10, 7.5 stays 7.5)."""

DEFAULT_STEPS = 20
"""Denoising steps when the request gives none (the community worker's default; A1111's own is 50)."""

DEFAULT_REFINER_SWITCH_AT = 0.8
"""Fraction of the schedule where the refiner takes over when the request names a refiner but no point."""

SUPPORTED_SCRIPTS = ("controlnet",)
"""The always-on scripts this deployment runs (`alwayson_scripts` keys, case-insensitive as in A1111)."""

HIRES_ONLY = no_effect("used only by hires fix (`enable_hr`), which this deployment refuses")
SAVED_ANYWAY = no_effect(
    "concerns A1111's own disk: every image is stored in this deployment's bucket, and no grid is made"
)
SAMPLER_KNOB = applied(
    "passed to the sampler where its diffusers scheduler takes it; a 400 where A1111's sampler would use it "
    "and diffusers cannot (unless at A1111's default); ignored by samplers that ignore it upstream too "
    "(`schema/sampler_knobs.py`)"
)


def _single(value: Any) -> Any:
    """Read a one-element list as its element (webuiapi sends `control_mode` as a 1-tuple)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


class ControlNetArgs(BaseModel):
    """One sd-webui-controlnet unit (`alwayson_scripts.controlnet.args[i]`)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None,
        description="Missing means enabled (as the seeds expect); false drops the unit.",
        json_schema_extra=applied(),
    )
    module: str = Field(
        default="none", description="Preprocessor: `none` or `canny`.", json_schema_extra=applied()
    )
    model: str | None = Field(
        default=None, description="ControlNet model name from `GET /v1/models`.", json_schema_extra=applied()
    )
    weight: Number = Field(default=1, description="Conditioning scale, 0-2.", json_schema_extra=applied())
    image: str | dict[str, Any] | None = Field(
        default=None,
        description="Control image, base64 (or {image, mask}); img2img defaults to init_images[0].",
        json_schema_extra=applied(),
    )
    input_image: str | None = Field(
        default=None,
        description="Old name of `image`.",
        json_schema_extra=applied("used when `image` is empty"),
    )
    mask: str | None = Field(
        default=None,
        description="Per-unit mask (not supported: must be null).",
        json_schema_extra=refused("a per-unit ControlNet mask is not supported by this deployment"),
    )
    resize_mode: str | int = Field(
        default="Crop and Resize",
        description='"Just Resize", "Crop and Resize", "Resize and Fill" or 0/1/2.',
        json_schema_extra=applied(),
    )
    lowvram: bool = Field(
        default=False,
        description="sd-webui-controlnet's low-VRAM offloading.",
        json_schema_extra=no_effect(
            "changes memory use, not the image; the worker manages GPU memory itself"
        ),
    )
    processor_res: int = Field(
        default=512, description="Preprocessor resolution (-1: 512).", json_schema_extra=applied()
    )
    threshold_a: Number = Field(
        default=-1, description="canny low threshold, 1-255 (default 100).", json_schema_extra=applied()
    )
    threshold_b: Number = Field(
        default=-1, description="canny high threshold, 1-255 (default 200).", json_schema_extra=applied()
    )
    guidance: Number | None = Field(
        default=None,
        description="Old name of guidance_end.",
        json_schema_extra=applied("used as guidance_end when guidance_end is not sent"),
    )
    guidance_start: Number = Field(
        default=0, description="Fraction of steps where control starts.", json_schema_extra=applied()
    )
    guidance_end: Number = Field(
        default=1, description="Fraction of steps where control ends.", json_schema_extra=applied()
    )
    control_mode: Annotated[str | int, BeforeValidator(_single)] = Field(
        default="Balanced",
        description='"Balanced", "My prompt is more important", "ControlNet is more important" or 0/1/2.',
        json_schema_extra=applied(),
    )
    pixel_perfect: bool = Field(
        default=False,
        description="Pick the preprocessor resolution from the output size.",
        json_schema_extra=applied(),
    )
    hr_option: str = Field(
        default="Both",
        description='Which hires-fix pass the unit applies to ("Both", "Low res only", "High res only").',
        json_schema_extra=HIRES_ONLY,
    )
    save_detected_map: bool = Field(
        default=True,
        description="Return the detected map after the images (always on here).",
        json_schema_extra=refused("detected maps are always returned after the images", True),
    )


class ControlNetScript(BaseModel):
    """sd-webui-controlnet's always-on script (`alwayson_scripts.controlnet`)."""

    model_config = ConfigDict(extra="forbid")

    args: list[ControlNetArgs] = Field(
        default_factory=list, description="ControlNet units.", json_schema_extra=applied()
    )


class AlwaysOnScripts(BaseModel):
    """Always-on scripts, by name (case-insensitive, as in A1111). Only `controlnet` runs; any other script
    is a 400 naming it and listing the supported ones."""

    model_config = ConfigDict(extra="allow")

    controlnet: ControlNetScript | None = Field(
        default=None, description="sd-webui-controlnet units.", json_schema_extra=applied()
    )

    @model_validator(mode="before")
    @classmethod
    def _case_insensitive(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k.lower() if isinstance(k, str) and k.lower() in SUPPORTED_SCRIPTS else k: v
                for k, v in data.items()
            }
        return data

    def unsupported(self) -> list[str]:
        """The names of the scripts sent that this deployment does not run."""
        return list(self.model_extra or {})


class _A1111Base(BaseModel):
    """The fields txt2img and img2img share (any other field is a 400 naming it)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(default="", description="What to draw.", json_schema_extra=applied())
    negative_prompt: str | None = Field(default="", description="What to avoid.", json_schema_extra=applied())
    styles: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        description="Names of the deployment's prompt styles (`GET /sdapi/v1/prompt-styles`), in order.",
        json_schema_extra=applied(),
    )
    seed: int = Field(
        default=-1, description="-1 picks a random seed; image i uses seed + i.", json_schema_extra=applied()
    )
    subseed: int = Field(default=-1, description="Variation seed (-1: random).", json_schema_extra=applied())
    subseed_strength: Number = Field(
        default=0, description="Blend towards the variation seed's noise, 0-1.", json_schema_extra=applied()
    )
    seed_resize_from_h: int = Field(
        default=-1, description="Draw the noise as for this height (-1/0: off).", json_schema_extra=applied()
    )
    seed_resize_from_w: int = Field(
        default=-1, description="Draw the noise as for this width (-1/0: off).", json_schema_extra=applied()
    )
    sampler_name: str | None = Field(
        default=None,
        description='Sampler, optionally with a schedule word ("DPM++ 2M Karras"). '
        f'Default "{DEFAULT_SAMPLER}".',
        json_schema_extra=applied(),
    )
    sampler_index: str | None = Field(
        default=None,
        description="Old name of sampler_name.",
        json_schema_extra=applied("used when sampler_name is empty"),
    )
    scheduler: str | None = Field(
        default=None, description="Schedule type (karras, exponential, ...).", json_schema_extra=applied()
    )
    batch_size: int = Field(default=1, description="Images per batch.", json_schema_extra=applied())
    n_iter: int = Field(default=1, description="Number of batches.", json_schema_extra=applied())
    steps: int = Field(default=DEFAULT_STEPS, description="Denoising steps.", json_schema_extra=applied())
    cfg_scale: Number = Field(
        default=7, description="Classifier-free guidance scale.", json_schema_extra=applied()
    )
    width: int = Field(
        default=512, description="Width in pixels, a multiple of 8.", json_schema_extra=applied()
    )
    height: int = Field(
        default=512, description="Height in pixels, a multiple of 8.", json_schema_extra=applied()
    )
    restore_faces: bool | None = Field(
        default=False, description="Run the deployment's face restorer.", json_schema_extra=applied()
    )
    tiling: bool | None = Field(
        default=False,
        description="Seamless tiling (not supported: must be false).",
        json_schema_extra=refused("tiling is not supported by this deployment"),
    )
    do_not_save_samples: bool = Field(
        default=False, description="A1111: do not save images to its disk.", json_schema_extra=SAVED_ANYWAY
    )
    do_not_save_grid: bool = Field(
        default=False, description="A1111: do not save the grid to its disk.", json_schema_extra=SAVED_ANYWAY
    )
    eta: Number | None = Field(
        default=None,
        description="Noise multiplier of ancestral samplers and DDIM (A1111's default: 1 / 0).",
        json_schema_extra=SAMPLER_KNOB,
    )
    s_min_uncond: Number = Field(
        default=0,
        description="Skip the negative prompt below this sigma (not supported: must be 0).",
        json_schema_extra=refused("diffusers has no negative-guidance sigma minimum (s_min_uncond)"),
    )
    s_churn: Number = Field(
        default=0, description="Stochasticity of Euler / Heun / DPM2.", json_schema_extra=SAMPLER_KNOB
    )
    s_tmax: Number | None = Field(
        default=None,
        description="Highest sigma where churn applies (0 or null: infinity).",
        json_schema_extra=SAMPLER_KNOB,
    )
    s_tmin: Number = Field(
        default=0, description="Lowest sigma where churn applies.", json_schema_extra=SAMPLER_KNOB
    )
    s_noise: Number = Field(
        default=1, description="Noise scale of the stochastic samplers.", json_schema_extra=SAMPLER_KNOB
    )
    override_settings: dict[str, Any] | None = Field(
        default=None,
        description="A1111 settings for this request. Each key is applied or refused (400 naming it): see "
        "`docs/request-fields.md#a1111-override_settings`.",
        json_schema_extra=applied("key by key, see the override_settings table"),
    )
    override_settings_restore_afterwards: bool = Field(
        default=True,
        description="A1111: restore the server-wide settings afterwards.",
        json_schema_extra=no_effect(
            "overrides only ever apply to their own request here; nothing server-wide changes"
        ),
    )
    refiner_checkpoint: str | None = Field(
        default=None, description="SDXL refiner checkpoint.", json_schema_extra=applied()
    )
    refiner_switch_at: Number | None = Field(
        default=None,
        description="Fraction of the schedule where the refiner takes over (default 0.8).",
        json_schema_extra=applied(),
    )
    disable_extra_networks: bool = Field(
        default=False,
        description="A1111: ignore `<lora:…>` tags (not supported: must be false).",
        json_schema_extra=refused("LoRA tags in prompts are always applied"),
    )
    comments: dict[str, Any] | None = Field(
        default=None,
        description="A1111: comments shown in its UI.",
        json_schema_extra=no_effect(
            "A1111 shows them in its web UI only; they change nothing in the image or the info"
        ),
    )
    script_name: str | None = Field(
        default=None,
        description="Scripts are not supported (must be null).",
        json_schema_extra=refused("scripts are not supported by this deployment"),
    )
    script_args: list[Any] = Field(
        default_factory=list,
        description="Arguments of `script_name` (must be empty).",
        json_schema_extra=refused("scripts are not supported by this deployment"),
    )
    send_images: bool = Field(
        default=True,
        description="false: the answer has no images (they are still stored).",
        json_schema_extra=applied(),
    )
    save_images: bool = Field(
        default=False, description="A1111: save the images to its disk.", json_schema_extra=SAVED_ANYWAY
    )
    alwayson_scripts: AlwaysOnScripts = Field(
        default_factory=AlwaysOnScripts,
        description="Always-on scripts: `controlnet` (case-insensitive); any other is a 400.",
        json_schema_extra=applied(),
    )
    force_task_id: str | None = Field(
        default=None,
        description="A1111: the task id to report progress under (not supported: must be null).",
        json_schema_extra=refused("job ids are chosen by the deployment: poll the id the answer gives"),
    )
    infotext: str | None = Field(
        default=None,
        description="A1111: read the request's fields from an infotext (not supported: must be null).",
        json_schema_extra=refused("send the fields themselves (POST /sdapi/v1/png-info parses an infotext)"),
    )


class Txt2ImgRequest(_A1111Base):
    """`POST /sdapi/v1/txt2img` body (A1111 `StableDiffusionTxt2ImgProcessingAPI`)."""

    denoising_strength: Number | None = Field(
        default=0, description="Second-pass strength of hires fix.", json_schema_extra=HIRES_ONLY
    )
    enable_hr: bool = Field(
        default=False,
        description="Hires fix; not supported (must be false).",
        json_schema_extra=refused("hires fix is not supported by this deployment"),
    )
    firstphase_width: int = Field(
        default=0,
        description="Old hires-fix field.",
        json_schema_extra=no_effect("A1111 ignores it (kept for old clients)"),
    )
    firstphase_height: int = Field(
        default=0,
        description="Old hires-fix field.",
        json_schema_extra=no_effect("A1111 ignores it (kept for old clients)"),
    )
    hr_scale: Number = Field(
        default=2, description="Hires fix: upscale factor.", json_schema_extra=HIRES_ONLY
    )
    hr_upscaler: str | None = Field(
        default=None, description="Hires fix: upscaler.", json_schema_extra=HIRES_ONLY
    )
    hr_second_pass_steps: int = Field(
        default=0, description="Hires fix: second-pass steps.", json_schema_extra=HIRES_ONLY
    )
    hr_resize_x: int = Field(default=0, description="Hires fix: target width.", json_schema_extra=HIRES_ONLY)
    hr_resize_y: int = Field(default=0, description="Hires fix: target height.", json_schema_extra=HIRES_ONLY)
    hr_checkpoint_name: str | None = Field(
        default=None, description="Hires fix: second-pass checkpoint.", json_schema_extra=HIRES_ONLY
    )
    hr_sampler_name: str | None = Field(
        default=None, description="Hires fix: second-pass sampler.", json_schema_extra=HIRES_ONLY
    )
    hr_scheduler: str | None = Field(
        default=None, description="Hires fix: second-pass schedule type.", json_schema_extra=HIRES_ONLY
    )
    hr_prompt: str = Field(
        default="", description="Hires fix: second-pass prompt.", json_schema_extra=HIRES_ONLY
    )
    hr_negative_prompt: str = Field(
        default="", description="Hires fix: second-pass negative prompt.", json_schema_extra=HIRES_ONLY
    )
    hr_additional_modules: list[str] | None = Field(
        default=None, description="Hires fix: second-pass extra modules.", json_schema_extra=HIRES_ONLY
    )
    firstpass_image: str | None = Field(
        default=None,
        description="Hires fix: start from this image instead of a first pass.",
        json_schema_extra=refused("hires fix is not supported by this deployment"),
    )


class Img2ImgRequest(_A1111Base):
    """`POST /sdapi/v1/img2img` body (A1111 `StableDiffusionImg2ImgProcessingAPI`)."""

    init_images: list[str] | None = Field(
        default=None, description="Input images, base64 (data: URLs accepted).", json_schema_extra=applied()
    )
    resize_mode: int = Field(
        default=0,
        description="0 just resize, 1 crop and resize, 2 resize and fill, 3 latent upscale.",
        json_schema_extra=applied(),
    )
    denoising_strength: Number | None = Field(
        default=DEFAULT_DENOISING_STRENGTH,
        description="How much to change the image, 0-1.",
        json_schema_extra=applied(),
    )
    image_cfg_scale: Number | None = Field(
        default=None,
        description="Image guidance of instruct-pix2pix checkpoints.",
        json_schema_extra=no_effect(
            "A1111 uses it only with instruct-pix2pix checkpoints, which no catalog family serves"
        ),
    )
    mask: str | None = Field(
        default=None, description="Inpainting mask, base64; white is repainted.", json_schema_extra=applied()
    )
    mask_blur: int | None = Field(
        default=None, description="Sets mask_blur_x and mask_blur_y.", json_schema_extra=applied()
    )
    mask_blur_x: int = Field(
        default=4,
        description="Mask blur, pixels (the larger of x and y is used).",
        json_schema_extra=applied(),
    )
    mask_blur_y: int = Field(
        default=4,
        description="Mask blur, pixels (the larger of x and y is used).",
        json_schema_extra=applied(),
    )
    inpainting_fill: int = Field(
        default=0,
        description="0 fill, 1 original, 2 latent noise, 3 latent nothing.",
        json_schema_extra=applied(),
    )
    inpaint_full_res: bool | int = Field(
        default=True, description="Inpaint only the masked area at full res.", json_schema_extra=applied()
    )
    inpaint_full_res_padding: int = Field(
        default=0, description="Padding around the masked area, pixels.", json_schema_extra=applied()
    )
    inpainting_mask_invert: int = Field(
        default=0, description="1: repaint the black area instead.", json_schema_extra=applied()
    )
    initial_noise_multiplier: Number | None = Field(
        default=None,
        description="Scale of img2img's added noise (not supported: must be 1).",
        json_schema_extra=refused("diffusers' img2img has no initial noise multiplier", 1),
    )
    include_init_images: bool = Field(
        default=False,
        description="A1111 drops this field before processing.",
        json_schema_extra=no_effect("A1111 excludes it from processing (`exclude=True` in its API model)"),
    )


A1111Request = Txt2ImgRequest | Img2ImgRequest


class PngInfoRequest(BaseModel):
    """`POST /sdapi/v1/png-info` body."""

    image: str = Field(description="The PNG, base64 (a data: URL is accepted).", json_schema_extra=applied())


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
