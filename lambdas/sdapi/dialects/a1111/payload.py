"""The A1111 payload → canonical job, and its `parameters` echo. RunPod workers and SD-on-EKS tasks carry the
same payload, so this module is the A1111 dialect's public library for those dialects (with `paths`).

- Sampler/schedule: as A1111's `get_sampler_and_scheduler` (see `sdapi.dialects.common.resolve_sampler`).
- Each field is handled as its model declares (`sdapi.schema.handling`): a field declared refused is a 400
  naming it when set away from its default (`tiling`, `script_name`, ...); an always-on
  script other than ControlNet is a 400 naming it and listing the supported ones; `override_settings` keys
  are applied or refused one by one (`overrides`); the sampler knobs follow `schema/sampler_knobs.py`.
- Hires fix (`enable_hr`) becomes the job's `hires`: the `hr_*` fields, `denoising_strength` for the second
  pass (A1111's 0.75 when the request leaves it out); "Use same sampler" / "Use same checkpoint" mean none.
- `parameters` echoes the request with defaults filled, images nulled and `override_settings` null, with
  the combined sampler display name ("DPM++ SDE Karras"), exactly as the seeds show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sdapi.dialects.a1111.controlnet import RESIZE_BY_INDEX, controlnet_units
from sdapi.dialects.a1111.models import (
    DEFAULT_REFINER_SWITCH_AT,
    SUPPORTED_SCRIPTS,
    A1111Request,
    Img2ImgRequest,
    Txt2ImgRequest,
)
from sdapi.dialects.a1111.overrides import Overrides, read_overrides
from sdapi.dialects.common import (
    SubmitContext,
    build_job,
    choose_model,
    knob_fields,
    refuse_declared,
    resolve_sampler,
    resolve_seed,
    second_pass_sampler,
    strip_data_url,
    sub_model,
)
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Catalog
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import (
    Dialect,
    Hires,
    InpaintFill,
    Job,
    Mask,
    Refiner,
    ResizeMode,
    Task,
    Timeouts,
    Webhook,
)
from sdapi.schema.layout import OUTPUTS_ROOT
from sdapi.schema.prompt import Style
from sdapi.schema.samplers import display_name

FILLS = [InpaintFill.FILL, InpaintFill.ORIGINAL, InpaintFill.LATENT_NOISE, InpaintFill.LATENT_NOTHING]
"""A1111's `inpainting_fill` integers 0-3."""

SAME = ("", "use same sampler", "use same scheduler", "use same checkpoint", "none")
"""hr_sampler_name / hr_scheduler / hr_checkpoint_name values that mean the first pass's."""


@dataclass(frozen=True)
class Routing:
    """What the carrying dialect decides around the payload (the A1111 routes use the defaults)."""

    dialect: Dialect = Dialect.A1111
    task: Task | None = None
    """The task named outside the payload (tasks' `tasktype`); None: txt2img or img2img by payload type."""
    pool_name: str | None = None
    model: str | None = None
    """Overrides `override_settings.sd_model_checkpoint` (tasks routing)."""
    folder: str | None = None
    """Output folder (tasks' `prefix`), under `root`."""
    root: str = OUTPUTS_ROOT
    """Where output folders start: `outputs/`, or the bucket's root for SD-on-EKS tasks."""
    base64: bool = True
    webhook: Webhook | None = None
    timeouts: Timeouts | None = None
    context: Any = None
    extra_images: tuple[str, ...] = ()
    """Init images fetched from URLs outside the payload (tasks' `image_link`), base64."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The calling key's stored A1111 options (`POST /sdapi/v1/options`): defaults under the payload's own
    `override_settings`."""


def payload_to_job(payload: A1111Request, ctx: SubmitContext, routing: Routing | None = None) -> Job:
    """Return the canonical job for an A1111 payload (errors in canonical paths: translate them with
    `sdapi.dialects.a1111.paths.to_caller_path`)."""
    routing = routing or Routing()
    refuse_unsupported(payload)
    stored = _stored_options_for_pool(routing.options, ctx.catalog, routing.pool_name)
    overrides = read_overrides({**stored, **(payload.override_settings or {})})
    choice = choose_model(ctx.catalog, routing.model or overrides.model, pool_name=routing.pool_name)
    img2img = isinstance(payload, Img2ImgRequest)
    init_images = [strip_data_url(i) for i in (payload.init_images or [])] if img2img else []
    init_images.extend(routing.extra_images)
    mask = _mask(payload) if img2img else None
    task = _task(routing.task, img2img, mask is not None)
    if task != Task.TXT2IMG and not init_images:
        raise InvalidRequest.field("init_images", f"{task} needs at least one init image")
    hires = _hires(payload) if task == Task.TXT2IMG else None
    return build_job(
        ctx,
        base64=routing.base64,
        folder=routing.folder,
        root=routing.root,
        dialect=routing.dialect,
        pool=choice.pool.name,
        task=task,
        model=choice.model,
        refiner=_refiner(payload),
        init_images=tuple(init_images),
        resize_mode=_resize_mode(payload),
        mask=mask,
        denoising_strength=payload.denoising_strength if task != Task.TXT2IMG else None,
        hires=hires,
        styles=tuple(Style(name=name) for name in payload.styles or ()),
        webhook=routing.webhook,
        timeouts=routing.timeouts or Timeouts(),
        context=routing.context,
        **overrides.job_fields(),
        **_generation(payload, ctx, overrides, hires),
    )


def _stored_options_for_pool(
    stored: Mapping[str, Any], catalog: Catalog, pool_name: str | None
) -> Mapping[str, Any]:
    """The key's stored options that fit a request bound to pool `pool_name` (a RunPod endpoint, a task's
    runtime). Each RunPod endpoint is its own A1111 server with its own options, so a stored checkpoint the
    pool does not serve (with the VAE stored beside it) is not this request's default: the pool's is."""
    checkpoint = stored.get("sd_model_checkpoint")
    pool = catalog.pool(pool_name) if pool_name else None
    if pool is None or not checkpoint:
        return stored
    entry = catalog.find(str(checkpoint))
    if entry is not None and entry.name in pool.models:
        return stored
    return {k: v for k, v in stored.items() if k not in ("sd_model_checkpoint", "sd_vae")}


def _hires(payload: A1111Request) -> Hires | None:
    """A1111's hires fix from the `hr_*` fields (None without `enable_hr`)."""
    if not isinstance(payload, Txt2ImgRequest) or not payload.enable_hr:
        return None
    strength = payload.denoising_strength
    if "denoising_strength" not in payload.model_fields_set or strength is None:
        strength = DEFAULT_DENOISING_STRENGTH
    first_sampler, first_schedule = resolve_sampler(
        payload.sampler_name or payload.sampler_index, payload.scheduler
    )
    sampler, scheduler = second_pass_sampler(
        (first_sampler, first_schedule), _named(payload.hr_sampler_name), _named(payload.hr_scheduler)
    )
    return sub_model(
        Hires,
        "hires",
        scale=payload.hr_scale,
        resize_x=payload.hr_resize_x,
        resize_y=payload.hr_resize_y,
        upscaler=payload.hr_upscaler or "Latent",
        steps=payload.hr_second_pass_steps,
        denoising_strength=strength,
        prompt=payload.hr_prompt or None,
        negative_prompt=payload.hr_negative_prompt or None,
        sampler=sampler,
        scheduler=scheduler,
        checkpoint=_named(payload.hr_checkpoint_name),
    )


def _named(value: str | None) -> str | None:
    return None if value is None or value.strip().lower() in SAME else value


def _resize_mode(payload: A1111Request) -> ResizeMode | int:
    if not isinstance(payload, Img2ImgRequest):
        return ResizeMode.JUST_RESIZE
    if payload.resize_mode in range(len(RESIZE_BY_INDEX)):
        return RESIZE_BY_INDEX[payload.resize_mode]
    return payload.resize_mode  # out of range: `Job` refuses it naming `resize_mode`


def _task(named: Task | None, img2img: bool, masked: bool) -> Task:
    task = named or (Task.IMG2IMG if img2img else Task.TXT2IMG)
    return Task.INPAINT if task == Task.IMG2IMG and masked else task


def _generation(
    payload: A1111Request, ctx: SubmitContext, overrides: Overrides, hires: Hires | None
) -> dict[str, Any]:
    """The job fields read straight from the payload (prompt, size, sampling, seeds, batch, echo)."""
    sampler, scheduler = resolve_sampler(payload.sampler_name or payload.sampler_index, payload.scheduler)
    return {
        **_sampler_knobs(payload, sampler, overrides, hires),
        "prompt": payload.prompt or "",
        "negative_prompt": payload.negative_prompt or "",
        "width": payload.width,
        "height": payload.height,
        "steps": payload.steps,
        "cfg_scale": payload.cfg_scale,
        "sampler": sampler,
        "scheduler": scheduler,
        "seed": resolve_seed(payload.seed, ctx.seed),
        "subseed": resolve_seed(payload.subseed, ctx.subseed),
        "subseed_strength": payload.subseed_strength,
        "seed_resize_from_w": payload.seed_resize_from_w,
        "seed_resize_from_h": payload.seed_resize_from_h,
        "batch_size": payload.batch_size,
        "n_iter": payload.n_iter,
        "controlnet": controlnet_units(payload),
        "restore_faces": bool(payload.restore_faces),
        "request": parameters_echo(payload),
    }


def refuse_unsupported(payload: A1111Request) -> None:
    """Refuse (400 naming the field) what the payload asks and this deployment cannot do: a field declared
    refused set away from its default, an always-on script other than ControlNet."""
    for name in payload.alwayson_scripts.unsupported():
        raise InvalidRequest.field(
            f"alwayson_scripts.{name}",
            f"always-on script {name!r} is not available in this deployment; "
            f"supported: {list(SUPPORTED_SCRIPTS)}",
        )
    refuse_declared(payload)


def _sampler_knobs(
    payload: A1111Request, sampler: str, overrides: Overrides, hires: Hires | None
) -> dict[str, float]:
    """The sampler knobs the job carries (`knob_fields`): for the first pass and hires fix's second."""
    eta = payload.eta
    if eta is None:
        eta = overrides.eta_ddim if sampler == "DDIM" else overrides.eta_ancestral
    values = {
        "eta": eta,
        "s_churn": payload.s_churn,
        "s_tmin": payload.s_tmin,
        "s_tmax": payload.s_tmax,
        "s_noise": payload.s_noise,
    }
    return knob_fields(values, sampler, second_pass=hires.sampler if hires else None)


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
    if payload.inpainting_fill not in range(len(FILLS)):
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
        fill=FILLS[payload.inpainting_fill],
        full_res=bool(payload.inpaint_full_res),
        full_res_padding=payload.inpaint_full_res_padding,
    )


def parameters_echo(payload: A1111Request) -> dict[str, Any]:
    """Return A1111's `parameters`: the request with defaults, images nulled, the combined sampler name."""
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
