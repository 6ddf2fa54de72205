"""v3 request → canonical job: the URL inputs to fetch first, then the job, and canonical → v3 field paths."""

from __future__ import annotations

from typing import Any

from sdapi.dialects.common import (
    SubmitContext,
    build_job,
    choose_model,
    default_upscaler,
    first_of_family,
    refuse_declared,
    resolve_sampler,
    resolve_seed,
    sub_model,
)
from sdapi.dialects.v3.models import V3Request
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Family
from sdapi.schema.job import Dialect, Extras, Job, Task, Upscale, Webhook
from sdapi.schema.prompt import LoraRequest

KINDS = {"text2img": Task.TXT2IMG, "img2img": Task.IMG2IMG, "inpaint": Task.INPAINT}
"""The generation routes (`/api/v3/{kind}`) and the task each runs."""


def url_inputs(request: V3Request, kind: str) -> dict[str, str]:
    """Return the URL inputs to fetch (through the guard) before `to_job`: caller field → URL."""
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
    """Return the canonical job (errors in canonical paths: translate them with `to_caller_path`)."""
    task = KINDS[kind]
    refuse_declared(request)
    choice = choose_model(ctx.catalog, request.model_id)
    has_checker = first_of_family(ctx.catalog, choice.pool, Family.SAFETY_CHECKER) is not None
    safety = request.safety_checker == "yes" if request.safety_checker is not None else has_checker
    sampler, scheduler = resolve_sampler(
        request.scheduler, "karras" if request.use_karras_sigmas == "yes" else None
    )
    seed = resolve_seed(request.seed, ctx.seed)
    init = [ctx.images["init_image"]] if task != Task.TXT2IMG and "init_image" in ctx.images else []
    mask = (
        {"image": ctx.images["mask_image"]} if task == Task.INPAINT and "mask_image" in ctx.images else None
    )
    strength = request.strength if task != Task.TXT2IMG else None
    return build_job(
        ctx,
        base64=request.base64 == "yes",
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
        clip_skip=request.clip_skip if request.clip_skip is not None else 1,
        vae=request.vae or None,
        sampler=sampler,
        scheduler=scheduler,
        seed=seed,
        subseed=ctx.subseed,
        batch_size=request.samples,
        denoising_strength=strength,
        init_images=tuple(init),
        mask=mask,
        safety_checker=safety,
        extras=_upscale(request, ctx, choice.pool),
        loras=_loras(request),
        embeddings=tuple(_names(request.embeddings_model)),
        webhook=Webhook(url=request.webhook) if request.webhook else None,
        track_id=None if request.track_id is None else str(request.track_id),
        request=_meta(
            request,
            ctx.job_id,
            {
                "model": choice.model,
                "scheduler": sampler,
                "seed": seed,
                "safety": safety,
                "strength": strength,
            },
        ),
    )


def _upscale(request: V3Request, ctx: SubmitContext, pool) -> Extras | None:
    """v3 `upscale`: "yes" is 2x, a number is that factor; done after generation with the pool's first
    upscaler model, else A1111's Lanczos."""
    factor = 2.0 if request.upscale == "yes" else request.upscale
    if factor in (None, "no") or factor == 1:
        return None
    upscale = sub_model(Upscale, "extras.upscale", scale=factor, upscaler=default_upscaler(ctx.catalog, pool))
    return Extras(upscale=upscale)


def _meta(request: V3Request, job_id: str, ran: dict[str, Any]) -> dict[str, Any]:
    """Return v3's `meta`: the request as it ran (`ran` holds what the door resolved), shown in every
    answer."""
    return {
        "H": request.height,
        "W": request.width,
        "base64": request.base64 or "no",
        "enhance_prompt": "no",
        "file_prefix": job_id,
        "guidance_scale": request.guidance_scale,
        "init_image": request.init_image,
        "mask_image": request.mask_image,
        "model": ran["model"],
        "n_samples": request.samples,
        "negative_prompt": request.negative_prompt or "",
        "prompt": request.prompt or "",
        "safety_checker": "yes" if ran["safety"] else "no",
        "scheduler": ran["scheduler"],
        "seed": ran["seed"],
        "steps": request.num_inference_steps,
        "strength": ran["strength"],
        "track_id": request.track_id,
        "webhook": request.webhook,
        "lora_model": request.lora_model,
        "lora_strength": request.lora_strength,
        "embeddings_model": request.embeddings_model,
        "clip_skip": request.clip_skip,
        "vae": request.vae,
        "use_karras_sigmas": request.use_karras_sigmas or "no",
        "upscale": request.upscale or "no",
    }


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _loras(request: V3Request) -> tuple[LoraRequest, ...]:
    """`lora_model` + `lora_strength` → one LoRA each, its strength on both the text encoder and UNet."""
    names = _names(request.lora_model)
    raw = request.lora_strength
    strengths = [s.strip() for s in str(raw).split(",") if s.strip()] if raw is not None else []
    if strengths and len(strengths) not in (1, len(names)):
        raise InvalidRequest.field(
            "lora_strength", f"give one strength or one per lora_model entry ({len(names)})"
        )
    try:
        weights = [float(s) for s in strengths] or [1.0]
    except ValueError:
        raise InvalidRequest.field("lora_strength", f"{raw!r} is not a number list") from None
    if len(weights) == 1:
        weights = weights * len(names)
    return tuple(LoraRequest(name, w, w) for name, w in zip(names, weights, strict=True))


_PATHS = {
    "extras.upscale.scale": "upscale",
    "extras.upscale.upscaler": "upscale",
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
    """Return the v3 field a canonical job path comes from (`steps` → `num_inference_steps`)."""
    if path.startswith("loras["):
        return "lora_model"
    if path.startswith("embeddings["):
        return "embeddings_model"
    return _PATHS.get(path, path)
