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

HIRES = applied("hires fix's second pass, with `enable_hr` (without it A1111 ignores the field too)")
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
        json_schema_extra=no_effect(
            "hires fix with ControlNet units is refused, so there is no pass to pick"
        ),
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
        default=False,
        description="Restore faces with `override_settings.face_restoration_model` (default: the first of "
        "`GET /sdapi/v1/face-restorers`); CodeFormer at `override_settings.code_former_weight` (0.5).",
        json_schema_extra=applied(),
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
        default=0,
        description="Hires fix's second-pass strength (A1111's 0.75 when the request leaves it out; 0: "
        "upscale only).",
        json_schema_extra=HIRES,
    )
    enable_hr: bool = Field(
        default=False,
        description="Hires fix: first pass, upscale, then an img2img pass at the larger size (A1111's order; "
        "the refiner, if any, takes over in the second pass).",
        json_schema_extra=applied(),
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
        default=2,
        description="Upscale by this factor (1-8) when neither hr_resize side is set.",
        json_schema_extra=HIRES,
    )
    hr_upscaler: str | None = Field(
        default=None,
        description="A Latent mode (`GET /sdapi/v1/latent-upscale-modes`) or an upscaler (`GET "
        '/sdapi/v1/upscalers`); default "Latent".',
        json_schema_extra=HIRES,
    )
    hr_second_pass_steps: int = Field(
        default=0, description="Second-pass steps (0: the same as `steps`).", json_schema_extra=HIRES
    )
    hr_resize_x: int = Field(
        default=0,
        description="Upscale to this width (0: from the height or the scale).",
        json_schema_extra=HIRES,
    )
    hr_resize_y: int = Field(
        default=0,
        description="Upscale to this height (both sides set: cover, then crop).",
        json_schema_extra=HIRES,
    )
    hr_checkpoint_name: str | None = Field(
        default=None,
        description='Second-pass checkpoint of the same family (default or "Use same checkpoint": the same).',
        json_schema_extra=HIRES,
    )
    hr_sampler_name: str | None = Field(
        default=None,
        description='Second-pass sampler, maybe with a schedule word (default, "Use same sampler": same).',
        json_schema_extra=HIRES,
    )
    hr_scheduler: str | None = Field(
        default=None, description="Second-pass schedule type (default: the same).", json_schema_extra=HIRES
    )
    hr_prompt: str = Field(
        default="", description="Second-pass prompt (empty: the prompt).", json_schema_extra=HIRES
    )
    hr_negative_prompt: str = Field(
        default="", description="Second-pass negative prompt (empty: the same).", json_schema_extra=HIRES
    )
    hr_additional_modules: list[str] | None = Field(
        default=None,
        description="Forge's second-pass extra modules (text encoders, VAE): not supported, must be empty.",
        json_schema_extra=refused("second-pass extra modules are not supported by this deployment", []),
    )
    firstpass_image: str | None = Field(
        default=None,
        description="Hires fix: start from this image instead of a first pass.",
        json_schema_extra=refused("a first-pass image is not supported: send it to img2img"),
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


class A1111Progress(BaseModel):
    """What `GET /sdapi/v1/progress` answers (A1111's `ProgressResponse`)."""

    progress: float = Field(description="0.01 + steps done / steps (1 once the job has ended, 0 when idle).")
    eta_relative: float = Field(description="Estimated seconds left: elapsed / progress - elapsed.")
    state: dict[str, Any] = Field(description="A1111's `shared.state` (job id, step counts, interrupted).")
    current_image: str | None = Field(
        default=None,
        description="The running job's live preview: a base64 PNG (no `data:` prefix) of the first image of "
        "the batch, A1111's 'Approx cheap' projection of the denoised latents at latent resolution (64x64 "
        "for 512x512, at most 128 px a side), updated at most once a second; null before the first one, "
        "once the job has ended, and with `skip_current_image`.",
    )
    textinfo: str | None = Field(
        default=None, description="'Waiting...' while queued; the error once the job failed."
    )


class ExtrasBaseRequest(BaseModel):
    """A1111's `ExtrasBaseRequest`: the postprocessing of `extra-single-image` and `extra-batch-images`, run
    in A1111's order (upscale, GFPGAN, CodeFormer)."""

    model_config = ConfigDict(extra="forbid")

    resize_mode: Literal[0, 1] = Field(
        default=0,
        description="0: scale by `upscaling_resize`; 1: scale to `upscaling_resize_w` x `_h`.",
        json_schema_extra=applied(),
    )
    show_extras_results: bool = Field(
        default=True,
        description="Return the images (must be true: the processed images are always returned).",
        json_schema_extra=refused("the processed images are always returned", True),
    )
    gfpgan_visibility: Number = Field(
        default=0, ge=0, le=1, description="GFPGAN blended in at this much.", json_schema_extra=applied()
    )
    codeformer_visibility: Number = Field(
        default=0, ge=0, le=1, description="CodeFormer blended in at this much.", json_schema_extra=applied()
    )
    codeformer_weight: Number = Field(
        default=0,
        ge=0,
        le=1,
        description="CodeFormer weight (0 = maximum effect, 1 = minimum effect).",
        json_schema_extra=applied(),
    )
    upscaling_resize: Number = Field(
        default=2, ge=1, le=8, description="Scale-by factor (resize_mode 0).", json_schema_extra=applied()
    )
    upscaling_resize_w: int = Field(
        default=512, ge=64, description="Scale-to width (resize_mode 1).", json_schema_extra=applied()
    )
    upscaling_resize_h: int = Field(
        default=512, ge=64, description="Scale-to height (resize_mode 1).", json_schema_extra=applied()
    )
    upscaling_crop: bool = Field(
        default=True, description="Scale to: cover the size, then crop to it.", json_schema_extra=applied()
    )
    upscaler_1: str = Field(
        default="None", description="An upscaler from `GET /sdapi/v1/upscalers`.", json_schema_extra=applied()
    )
    upscaler_2: str = Field(
        default="None", description="A second upscaler, blended over the first.", json_schema_extra=applied()
    )
    extras_upscaler_2_visibility: Number = Field(
        default=0,
        ge=0,
        le=1,
        description="How much of upscaler 2 is blended in.",
        json_schema_extra=applied(),
    )
    upscale_first: bool = Field(
        default=False,
        description="Ignored, as A1111 ≥ 1.6 ignores it: postprocessing runs in A1111's order.",
        json_schema_extra=no_effect("A1111 ≥ 1.6 runs postprocessing in its own order (upscale first)"),
    )


class ExtrasSingleImageRequest(ExtrasBaseRequest):
    """`POST /sdapi/v1/extra-single-image` body."""

    image: str = Field(
        default="", description="The image, base64 (data: URL accepted).", json_schema_extra=applied()
    )


class ExtrasFile(BaseModel):
    """One image of `extra-batch-images` (A1111 `FileData`)."""

    data: str = Field(description="The image, base64 (data: URL accepted).", json_schema_extra=applied())
    name: str = Field(
        default="",
        description="File name (A1111 only uses it to name saved files).",
        json_schema_extra=no_effect("A1111 only names saved files with it; outputs here are numbered"),
    )


class ExtrasBatchImagesRequest(ExtrasBaseRequest):
    """`POST /sdapi/v1/extra-batch-images` body."""

    imageList: list[ExtrasFile] = Field(description="The images.", json_schema_extra=applied())


class ExtrasSingleImageResponse(BaseModel):
    html_info: str = Field(description="What ran, as A1111's postprocessing infotext in HTML.")
    image: str = Field(description="The processed image, base64 PNG.")


class ExtrasBatchImagesResponse(BaseModel):
    html_info: str = Field(description="What ran, as A1111's postprocessing infotext in HTML.")
    images: list[str] = Field(description="The processed images, base64 PNGs, in order.")
