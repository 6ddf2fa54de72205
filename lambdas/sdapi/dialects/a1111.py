"""AUTOMATIC1111 web UI API (`/sdapi/v1/...`): request models, request → `Job`, record → response, errors.

The A1111 payload is also what RunPod workers and SD-on-EKS tasks carry, so `payload_to_job` and
`to_caller_path` are reused by those dialects.

Decisions (where A1111 and the seeds leave room):
- Defaults follow the community RunPod worker's schema the seeds come from: `sampler_name` "Euler a",
  `steps` 20; everything else as upstream (cfg 7, 512x512, denoising 0.75 for img2img, ...).
- Sampler/schedule: as A1111's `get_sampler_and_scheduler`, a schedule word at the end of the sampler name
  ("DPM++ SDE Karras") wins over the `scheduler` field; otherwise `scheduler`; otherwise `automatic` (the
  sampler's own default). Unknown names are a 400 (A1111 silently falls back).
- ControlNet units without `enabled` are applied (the seeds omit it); `enabled: false` units are dropped.
  Canny thresholds outside 1-255 (and ControlNet's -1 "unset") fall back to the defaults 100/200 as
  sd-webui-controlnet does; `processor_res` -1 means 512.
- Features this deployment does not have are refused with a 400 naming the field: `enable_hr` (hires fix),
  `tiling`, `script_name` (scripts).
- `parameters` echoes the request with defaults filled, images nulled and `override_settings` null, with
  the combined sampler display name ("DPM++ SDE Karras"), exactly as the seeds show.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sdapi.dialects.common import (
    SubmitContext,
    build_job,
    choose_model,
    invalid,
    problems_from_validation,
    resolve_sampler,
    resolve_seed,
    split_path,
    strip_data_url,
)
from sdapi.errors import DomainError, FieldProblem, InvalidRequest
from sdapi.records import JobRecord
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family
from sdapi.schema.job import (
    ControlMode,
    ControlNetUnit,
    Dialect,
    InpaintFill,
    Job,
    Mask,
    OutputOptions,
    Refiner,
    ResizeMode,
    Task,
    Timeouts,
    Webhook,
)
from sdapi.schema.samplers import SAMPLERS, SCHEDULE_LABELS, SCHEDULES, display_name

Number = int | float
"""Numbers are echoed in `parameters` as the caller sent them (10 stays 10, 7.5 stays 7.5)."""

DEFAULT_STEPS = 20
DEFAULT_REFINER_SWITCH_AT = 0.8
CANNY_DEFAULTS = (100.0, 200.0)

# ------------------------------------------------------------------------------------------ models


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
    model_config = ConfigDict(extra="allow")

    args: list[ControlNetArgs] = Field(default_factory=list, description="ControlNet units.")


class AlwaysOnScripts(BaseModel):
    """Always-on scripts. Only `controlnet` runs; other keys are accepted and echoed."""

    model_config = ConfigDict(extra="allow")

    controlnet: ControlNetScript | None = None


class _A1111Base(BaseModel):
    model_config = ConfigDict(extra="allow")

    prompt: str | None = Field(default="", description="What to draw.")
    negative_prompt: str | None = Field(default="", description="What to avoid.")
    styles: list[str] | None = Field(default=None, description="Accepted and echoed; styles are not applied.")
    seed: int = Field(default=-1, description="-1 picks a random seed; image i uses seed + i.")
    subseed: int = Field(default=-1, description="Variation seed (-1: random).")
    subseed_strength: Number = Field(default=0, description="Blend towards the variation seed's noise, 0-1.")
    seed_resize_from_h: int = -1
    seed_resize_from_w: int = -1
    sampler_name: str | None = Field(
        default=None,
        description='Sampler, optionally with a schedule word ("DPM++ 2M Karras"). Default "Euler a".',
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
        "`face_restoration_model`.",
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
    denoising_strength: Number | None = Field(default=0.75, description="How much to change the image, 0-1.")
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


# --------------------------------------------------------------------------------------- request → job

_RESIZE_INTS = {
    0: ResizeMode.JUST_RESIZE,
    1: ResizeMode.CROP_AND_RESIZE,
    2: ResizeMode.RESIZE_AND_FILL,
    3: ResizeMode.LATENT_UPSCALE,
}
_CN_RESIZE = {
    "just resize": ResizeMode.JUST_RESIZE,
    "envelope (outer fit)": ResizeMode.JUST_RESIZE,
    "crop and resize": ResizeMode.CROP_AND_RESIZE,
    "scale to fit (inner fit)": ResizeMode.CROP_AND_RESIZE,
    "inner fit (scale to fit)": ResizeMode.CROP_AND_RESIZE,
    "resize and fill": ResizeMode.RESIZE_AND_FILL,
    "outer fit (shrink to fit)": ResizeMode.RESIZE_AND_FILL,
}
_CN_MODES = {
    "balanced": ControlMode.BALANCED,
    "my prompt is more important": ControlMode.PROMPT,
    "controlnet is more important": ControlMode.CONTROLNET,
}
_FILLS = [InpaintFill.FILL, InpaintFill.ORIGINAL, InpaintFill.LATENT_NOISE, InpaintFill.LATENT_NOTHING]
_NO_VAE = ("", "automatic", "none")


def payload_to_job(
    payload: A1111Request,
    ctx: SubmitContext,
    *,
    dialect: Dialect,
    task: Task | None = None,
    pool_name: str | None = None,
    model: str | None = None,
    output_prefix: str | None = None,
    base64: bool = True,
    webhook: Webhook | None = None,
    timeouts: Timeouts | None = None,
    track_id: str | None = None,
    context: Any = None,
    extra_images: list[str] | None = None,
) -> Job:
    """The canonical job for an A1111 payload. `model` overrides `override_settings.sd_model_checkpoint`
    (tasks routing); `extra_images` are init images fetched from URLs (tasks `image_link`)."""
    _refuse_unsupported(payload)
    overrides = payload.override_settings or {}
    choice = choose_model(ctx.catalog, model or overrides.get("sd_model_checkpoint"), pool_name=pool_name)
    sampler, scheduler = resolve_sampler(payload.sampler_name or payload.sampler_index, payload.scheduler)
    img2img = isinstance(payload, Img2ImgRequest)
    init_images = [strip_data_url(i) for i in (payload.init_images or [])] if img2img else []
    init_images.extend(extra_images or [])
    mask = _mask(payload) if img2img else None
    if task is None:
        task = Task.IMG2IMG if img2img else Task.TXT2IMG
    if task == Task.IMG2IMG and mask is not None:
        task = Task.INPAINT
    if task != Task.TXT2IMG and not init_images:
        raise InvalidRequest.field("init_images", f"{task} needs at least one init image")
    vae = overrides.get("sd_vae")
    return build_job(
        id=ctx.job_id,
        owner=ctx.owner,
        key_id=ctx.key_id,
        dialect=dialect,
        pool=choice.pool.name,
        task=task,
        model=choice.model,
        vae=None if not isinstance(vae, str) or vae.strip().lower() in _NO_VAE else vae,
        refiner=_refiner(payload),
        prompt=payload.prompt or "",
        negative_prompt=payload.negative_prompt or "",
        width=payload.width,
        height=payload.height,
        steps=payload.steps,
        cfg_scale=payload.cfg_scale,
        sampler=sampler,
        scheduler=scheduler,
        seed=resolve_seed(payload.seed, ctx.seed),
        subseed=resolve_seed(payload.subseed, ctx.subseed),
        subseed_strength=payload.subseed_strength,
        seed_resize_from_w=payload.seed_resize_from_w,
        seed_resize_from_h=payload.seed_resize_from_h,
        batch_size=payload.batch_size,
        n_iter=payload.n_iter,
        clip_skip=overrides.get("CLIP_stop_at_last_layers", 1),
        denoising_strength=payload.denoising_strength if task != Task.TXT2IMG else None,
        init_images=tuple(init_images),
        resize_mode=_RESIZE_INTS.get(payload.resize_mode, payload.resize_mode)
        if img2img
        else ResizeMode.JUST_RESIZE,
        mask=mask,
        controlnet=_controlnet(payload),
        restore_faces=bool(payload.restore_faces),
        face_restorer=overrides.get("face_restoration_model") or None,
        output=OutputOptions(prefix=output_prefix or f"outputs/{ctx.job_id}/", base64=base64),
        webhook=webhook,
        track_id=track_id,
        context=context,
        request=parameters_echo(payload),
        timeouts=timeouts or Timeouts(),
        created_at=ctx.now,
    )


def _refuse_unsupported(payload: A1111Request) -> None:
    if isinstance(payload, Txt2ImgRequest) and payload.enable_hr:
        raise InvalidRequest.field("enable_hr", "hires fix is not supported by this deployment")
    if payload.tiling:
        raise InvalidRequest.field("tiling", "tiling is not supported by this deployment")
    if payload.script_name:
        raise InvalidRequest.field("script_name", "scripts are not supported by this deployment")


def _refiner(payload: A1111Request) -> Refiner | None:
    name = payload.refiner_checkpoint
    if not name or name.strip().lower() in ("none", ""):
        return None
    switch_at = payload.refiner_switch_at
    if switch_at is None:
        switch_at = DEFAULT_REFINER_SWITCH_AT
    if switch_at >= 1:
        return None  # A1111: the switch point is never reached
    if switch_at <= 0:
        raise InvalidRequest.field("refiner.switch_at", "must be between 0 and 1 (exclusive)")
    return Refiner(checkpoint=name, switch_at=switch_at)


def _mask(payload: Img2ImgRequest) -> Mask | None:
    if not payload.mask:
        return None
    if payload.inpainting_fill not in range(len(_FILLS)):
        raise InvalidRequest.field(
            "mask.fill", "must be 0 (fill), 1 (original), 2 (latent noise) or 3 (latent nothing)"
        )
    blur = (
        payload.mask_blur if payload.mask_blur is not None else max(payload.mask_blur_x, payload.mask_blur_y)
    )
    return sub_model(
        Mask,
        "mask",
        image=strip_data_url(payload.mask),
        blur=blur,
        invert=bool(payload.inpainting_mask_invert),
        fill=_FILLS[payload.inpainting_fill],
        full_res=bool(payload.inpaint_full_res),
        full_res_padding=payload.inpaint_full_res_padding,
    )


def _controlnet(payload: A1111Request) -> tuple[ControlNetUnit, ...]:
    script = payload.alwayson_scripts.controlnet
    if script is None:
        return ()
    units = []
    for index, arg in enumerate(script.args):
        if arg.enabled is False:
            continue
        path = f"controlnet[{index}]"
        if not arg.model or arg.model.strip().lower() == "none":
            raise InvalidRequest.field(f"{path}.model", "a ControlNet model is required")
        image = arg.image.get("image") if isinstance(arg.image, dict) else arg.image
        image = image or arg.input_image
        module = (arg.module or "none").strip().lower()
        threshold_a, threshold_b = arg.threshold_a, arg.threshold_b
        if module == "canny":
            threshold_a = threshold_a if 1 <= threshold_a <= 255 else CANNY_DEFAULTS[0]
            threshold_b = threshold_b if 1 <= threshold_b <= 255 else CANNY_DEFAULTS[1]
        units.append(
            sub_model(
                ControlNetUnit,
                path,
                model=arg.model,
                module=module,
                weight=arg.weight,
                image=strip_data_url(image) if isinstance(image, str) and image else None,
                resize_mode=_choice(
                    arg.resize_mode, _CN_RESIZE, list(_RESIZE_INTS.values())[:3], f"{path}.resize_mode"
                ),
                processor_res=512 if arg.processor_res <= 0 else arg.processor_res,
                threshold_a=None if threshold_a == -1 else threshold_a,
                threshold_b=None if threshold_b == -1 else threshold_b,
                guidance_start=arg.guidance_start,
                guidance_end=arg.guidance_end,
                control_mode=_choice(arg.control_mode, _CN_MODES, list(ControlMode), f"{path}.control_mode"),
                pixel_perfect=arg.pixel_perfect,
                low_vram=arg.lowvram,
            )
        )
    return tuple(units)


def _choice(value: str | int, by_name: dict[str, Any], by_index: list[Any], path: str) -> Any:
    if isinstance(value, int) and 0 <= value < len(by_index):
        return by_index[value]
    if isinstance(value, str):
        found = by_name.get(value.strip().lower())
        if found is not None:
            return found
        if value.strip().isdigit() and int(value) < len(by_index):
            return by_index[int(value)]
    names = [k for k in by_name if k[0].isalpha()]
    raise InvalidRequest.field(path, f"unknown value {value!r}; use one of {names} or 0-{len(by_index) - 1}")


def sub_model(cls: type[BaseModel], path: str, **fields: Any) -> Any:
    """Build a canonical sub-model, reporting pydantic's complaints under its canonical path."""
    try:
        return cls(**fields)
    except ValidationError as error:
        problems = [
            FieldProblem(f"{path}.{p.field}" if p.field else path, p.reason)
            for p in problems_from_validation(error)
        ]
        raise invalid(problems) from None


def parameters_echo(payload: A1111Request) -> dict[str, Any]:
    """A1111's `parameters`: the request with defaults, images nulled, the combined sampler name."""
    data = payload.model_dump(mode="json", exclude=set(payload.model_extra or {}))
    data["alwayson_scripts"] = _scripts_echo(payload)
    sampler, scheduler = resolve_sampler(payload.sampler_name or payload.sampler_index, payload.scheduler)
    shown = display_name(sampler, scheduler)
    data["sampler_name"] = data["sampler_index"] = shown
    data["override_settings"] = None
    for key in ("init_images", "mask"):
        if key in data:
            data[key] = None
    return dict(sorted(data.items()))


def _scripts_echo(payload: A1111Request) -> dict[str, Any]:
    scripts = payload.alwayson_scripts.model_dump(mode="json", exclude_unset=True)
    controlnet = scripts.get("controlnet")
    if isinstance(controlnet, dict):
        for arg in controlnet.get("args", []):
            for key in ("image", "input_image"):
                if arg.get(key) is not None:
                    arg[key] = None
    return scripts


# ------------------------------------------------------------------------------------- job → answer


def response_body(record: JobRecord, images: list[str]) -> dict[str, Any]:
    """`{images, parameters, info}` for a completed job; `images` are base64 (generated, then maps)."""
    return {"images": images, "parameters": record.request, "info": record.info or ""}


def pending_body(record: JobRecord, waited_s: float) -> dict[str, Any]:
    status = "in_progress" if record.state == "IN_PROGRESS" else "queued"
    return {
        "id": record.id,
        "status": status,
        "detail": f"job still {status.replace('_', ' ')} after {waited_s:g}s; "
        f"poll GET /sdapi/v1/jobs/{record.id}",
    }


# -------------------------------------------------------------------------------------------- paths

_PATHS = {
    "model": "override_settings.sd_model_checkpoint",
    "pool": "override_settings.sd_model_checkpoint",
    "vae": "override_settings.sd_vae",
    "clip_skip": "override_settings.CLIP_stop_at_last_layers",
    "face_restorer": "override_settings.face_restoration_model",
    "refiner": "refiner_checkpoint",
    "refiner.checkpoint": "refiner_checkpoint",
    "refiner.switch_at": "refiner_switch_at",
    "sampler": "sampler_name",
    "mask": "mask",
    "mask.image": "mask",
    "mask.blur": "mask_blur",
    "mask.invert": "inpainting_mask_invert",
    "mask.fill": "inpainting_fill",
    "mask.full_res": "inpaint_full_res",
    "mask.full_res_padding": "inpaint_full_res_padding",
    "controlnet": "alwayson_scripts.controlnet.args",
}
_UNIT_FIELDS = {"low_vram": "lowvram"}


def to_caller_path(path: str, overrides: dict[str, str] | None = None) -> str:
    """Canonical job path → the A1111 payload path (`controlnet[0].model` →
    `alwayson_scripts.controlnet.args[0].model`)."""
    if overrides and path in overrides:
        return overrides[path]
    if path in _PATHS:
        return _PATHS[path]
    head, index, rest = split_path(path)
    if head == "controlnet" and index:
        base = f"alwayson_scripts.controlnet.args{index}"
        return f"{base}.{_UNIT_FIELDS.get(rest, rest)}" if rest else base
    return path


# ------------------------------------------------------------------------------------------- errors


def error_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """A1111's error shape `{error, detail, body, errors}` (plus `fields`)."""
    return error.status, {
        "error": error.kind,
        "detail": error.message,
        "body": "",
        "errors": error.message,
        "fields": [{"field": p.field, "reason": p.reason} for p in error.problems],
    }


def validation_body(errors: list[dict[str, Any]], body: Any = None) -> tuple[int, dict[str, Any]]:
    """422 for request-schema errors, FastAPI-style `detail` list inside A1111's shape."""
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
    ]
    text = "; ".join(f"{'.'.join(str(p) for p in d['loc'][1:])}: {d['msg']}" for d in detail)
    return 422, {"error": "RequestValidationError", "detail": detail, "body": body, "errors": text}


# ------------------------------------------------------------------------------------------ listings


def samplers_listing() -> list[dict[str, Any]]:
    """`GET /sdapi/v1/samplers`: the samplers this deployment can run."""
    return [
        {"name": s.name, "aliases": list(s.aliases), "options": {"scheduler": s.default_schedule}}
        for s in SAMPLERS.values()
        if s.supported
    ]


def schedulers_listing() -> list[dict[str, Any]]:
    """`GET /sdapi/v1/schedulers`: schedule types this deployment can run."""
    return [
        {
            "name": key,
            "label": SCHEDULE_LABELS[key],
            "aliases": None,
            "default_rho": -1,
            "need_inner_model": False,
        }
        for key, config in SCHEDULES.items()
        if config is not None
    ]


def sd_models_listing(catalog: Catalog) -> list[dict[str, Any]]:
    families = {*CHECKPOINT_FAMILIES, Family.SDXL_REFINER}
    return [
        {
            "title": e.title or (f"{e.name} [{e.hash}]" if e.hash else e.name),
            "model_name": e.name,
            "hash": e.hash,
            "sha256": None,
            "filename": e.name,
            "config": None,
        }
        for e in catalog.models
        if e.family in families
    ]


def sd_vae_listing(catalog: Catalog) -> list[dict[str, Any]]:
    return [{"model_name": e.name, "filename": e.name} for e in catalog.models if e.family == Family.VAE]


def face_restorers_listing(catalog: Catalog) -> list[dict[str, Any]]:
    return [{"name": e.name, "cmd_dir": None} for e in catalog.models if e.family == Family.FACE_RESTORER]


def upscalers_listing() -> list[dict[str, Any]]:
    """No upscalers are deployed: only A1111's "None" entry."""
    return [{"name": "None", "model_name": None, "model_path": None, "model_url": None, "scale": 1}]


def options_listing(catalog: Catalog) -> dict[str, Any]:
    """`GET /sdapi/v1/options`: the defaults a request gets (read-only; `POST /options` is not offered)."""
    pool = catalog.pool(catalog.default_pool)
    default = catalog.find(pool.default_model) if pool else None
    restorers = face_restorers_listing(catalog)
    return {
        "sd_model_checkpoint": (default.title or default.name) if default else None,
        "sd_vae": "Automatic",
        "CLIP_stop_at_last_layers": 1,
        "face_restoration_model": restorers[0]["name"] if restorers else None,
        "samples_format": "png",
        "sd_checkpoint_hash": default.hash if default else None,
    }


def progress_body(record: JobRecord | None, queued: int = 0) -> dict[str, Any]:
    """`GET /sdapi/v1/progress`: the job's progress (`?id_task=`), or the queue size without one."""
    if record is None:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": {"job_count": queued, "job": "", "sampling_step": 0, "sampling_steps": 0},
            "current_image": None,
            "textinfo": None,
        }
    total = record.progress_total or 0
    fraction = 1.0 if record.terminal else (record.progress_step / total if total else 0.0)
    return {
        "progress": round(fraction, 4),
        "eta_relative": 0.0,
        "state": {
            "job": record.id,
            "job_count": 0 if record.terminal else 1,
            "sampling_step": record.progress_step,
            "sampling_steps": total,
            "status": record.state.value,
        },
        "current_image": None,
        "textinfo": record.error,
    }
