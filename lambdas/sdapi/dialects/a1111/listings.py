"""The A1111 listings (`GET /sdapi/v1/samplers`, `sd-models`, `options`, ...), answered from the catalog and
the sampler table; RunPod's GET calls answer the same bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family
from sdapi.schema.defaults import CANNY_THRESHOLDS
from sdapi.schema.model_rules import PREPROCESSORS
from sdapi.schema.samplers import SAMPLERS, SCHEDULE_LABELS, SCHEDULES
from sdapi.schema.upscaling import BUILTIN_UPSCALERS, LATENT_UPSCALE_MODES

BUILTIN_SCALE = 4
"""A1111 lists its built-in upscalers with `UpscalerData`'s default scale, 4."""


def samplers_listing() -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/samplers`: the samplers this deployment can run."""
    return [
        {"name": s.name, "aliases": list(s.aliases), "options": {"scheduler": s.default_schedule}}
        for s in SAMPLERS.values()
        if s.supported
    ]


def schedulers_listing() -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/schedulers`: the schedule types this deployment can run."""
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
    """Return `GET /sdapi/v1/sd-models`: the checkpoints and refiners of the catalog."""
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
    """Return `GET /sdapi/v1/sd-vae`: the VAEs of the catalog."""
    return [{"model_name": e.name, "filename": e.name} for e in catalog.models if e.family == Family.VAE]


def face_restorers_listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/face-restorers`: the face restorers of the catalog."""
    return [{"name": e.name, "cmd_dir": None} for e in catalog.models if e.family == Family.FACE_RESTORER]


def upscalers_listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/upscalers`: A1111's built-in `None`, `Lanczos` and `Nearest`, then every
    upscaler of the catalog (`model_path` is where the container finds it under its model root)."""
    builtins = [
        {"name": name, "model_name": None, "model_path": None, "model_url": None, "scale": BUILTIN_SCALE}
        for name in BUILTIN_UPSCALERS
    ]
    models = [
        {"name": e.name, "model_name": e.name, "model_path": e.path, "model_url": None, "scale": e.scale}
        for e in catalog.models
        if e.family == Family.UPSCALER
    ]
    return builtins + models


def latent_upscale_modes_listing() -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/latent-upscale-modes`: hires fix's latent upscalers."""
    return [{"name": name} for name in LATENT_UPSCALE_MODES]


def options_listing(catalog: Catalog) -> dict[str, Any]:
    """Return `GET /sdapi/v1/options`: the defaults a request gets (read-only; `POST /options` is not
    offered)."""
    pool = catalog.pool(catalog.default_pool)
    default = catalog.find(pool.default_model) if pool else None
    restorers = face_restorers_listing(catalog)
    return {
        "sd_model_checkpoint": (default.title or default.name) if default else None,
        "sd_vae": "Automatic",
        "CLIP_stop_at_last_layers": 1,
        "face_restoration_model": restorers[0]["name"] if restorers else None,
        "code_former_weight": 0.5,
        "samples_format": "png",
        "sd_checkpoint_hash": default.hash if default else None,
    }


def embeddings_listing(catalog: Catalog) -> dict[str, Any]:
    """Return `GET /sdapi/v1/embeddings`: embeddings that fit the default checkpoint's family are `loaded`,
    the others `skipped` (as A1111 lists them for its loaded model). Shapes: container only."""
    pool = catalog.pool(catalog.default_pool)
    default = catalog.find(pool.default_model) if pool else None
    listing: dict[str, Any] = {"loaded": {}, "skipped": {}}
    for entry in catalog.models:
        if entry.family != Family.EMBEDDING:
            continue
        side = "loaded" if default is None or entry.fits(default.family) else "skipped"
        listing[side][entry.name] = {
            "step": None,
            "sd_checkpoint": None,
            "sd_checkpoint_name": None,
            "shape": None,
            "vectors": None,
        }
    return listing


def loras_listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/loras` (A1111's Lora extension): every LoRA of the catalog."""
    return [
        {
            "name": e.name,
            "alias": e.name,
            "path": e.path,
            "metadata": {"base": e.base.value if e.base else None},
        }
        for e in catalog.models
        if e.family == Family.LORA
    ]


def prompt_styles_listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/prompt-styles`: the deployment's styles."""
    return [s.model_dump() for s in catalog.styles]


def scripts_listing() -> dict[str, Any]:
    """Return `GET /sdapi/v1/scripts`: the always-on ControlNet script (A1111 lists script titles lower-case);
    no selectable scripts are offered."""
    return {"txt2img": ["controlnet"], "img2img": ["controlnet"]}


def cmd_flags_listing() -> dict[str, Any]:
    """Return `GET /sdapi/v1/cmd-flags`: the A1111 flags that describe this deployment (an API without a web
    UI); A1111's other flags concern its own process and have no counterpart."""
    return {"api": True, "nowebui": True, "listen": True, "no_half": False, "xformers": False}


def memory_listing() -> dict[str, Any]:
    """Return `GET /sdapi/v1/memory` as A1111 answers when it cannot read the numbers: the GPU workers are
    SageMaker instances that come and go with the queue, not this API's process."""
    reason = "not available: the GPU workers scale with the queue and are not this API's process"
    return {"ram": {"error": reason}, "cuda": {"error": reason}}


def extensions_listing() -> list[dict[str, Any]]:
    """Return `GET /sdapi/v1/extensions`: empty (ControlNet is built in)."""
    return []


LISTINGS: dict[str, tuple[str, Callable[[Catalog], Any]]] = {
    "samplers": ("Samplers this deployment runs", lambda _catalog: samplers_listing()),
    "schedulers": ("Schedule types this deployment runs", lambda _catalog: schedulers_listing()),
    "sd-models": ("Checkpoints", sd_models_listing),
    "sd-vae": ("VAEs", sd_vae_listing),
    "options": ("Defaults (read-only)", options_listing),
    "face-restorers": ("Face restorers", face_restorers_listing),
    "upscalers": ("Upscalers: the built-in ones and the deployed models", upscalers_listing),
    "latent-upscale-modes": (
        "Hires fix's latent upscale modes",
        lambda _catalog: latent_upscale_modes_listing(),
    ),
    "embeddings": ("Textual-inversion embeddings (loaded and skipped)", embeddings_listing),
    "loras": ("LoRAs", loras_listing),
    "prompt-styles": ("Prompt styles of this deployment", prompt_styles_listing),
    "scripts": ("Scripts (the always-on ControlNet)", lambda _catalog: scripts_listing()),
    "extensions": ("Extensions (ControlNet is built in)", lambda _catalog: extensions_listing()),
    "cmd-flags": ("The A1111 flags that describe this deployment", lambda _catalog: cmd_flags_listing()),
    "hypernetworks": ("Hypernetworks (none: not supported)", lambda _catalog: []),
    "memory": ("Memory (not available: the workers scale with the queue)", lambda _catalog: memory_listing()),
}
"""Every listing by its route name (`/sdapi/v1/{name}`): its summary and how to answer it."""


def listing(name: str, catalog: Catalog) -> Any:
    """Return the body of the listing `name` (a key of `LISTINGS`)."""
    return LISTINGS[name][1](catalog)


def controlnet_model_list(catalog: Catalog) -> dict[str, Any]:
    """Return sd-webui-controlnet's `GET /controlnet/model_list`: the catalog's ControlNets
    ("name [hash]")."""
    names = [
        f"{e.name} [{e.hash}]" if e.hash else e.name for e in catalog.models if e.family == Family.CONTROLNET
    ]
    return {"model_list": names}


def controlnet_module_list() -> dict[str, Any]:
    """Return sd-webui-controlnet's `GET /controlnet/module_list`: the preprocessors this deployment runs,
    with their sliders."""
    low, high = CANNY_THRESHOLDS
    resolution = {"name": "Preprocessor Resolution", "value": 512, "min": 64, "max": 2048}
    details = {
        "none": {"model_free": False, "sliders": []},
        "canny": {
            "model_free": False,
            "sliders": [
                resolution,
                {"name": "Canny Low Threshold", "value": low, "min": 1, "max": 255},
                {"name": "Canny High Threshold", "value": high, "min": 1, "max": 255},
            ],
        },
    }
    return {
        "module_list": list(PREPROCESSORS),
        "module_detail": {m: details[m] for m in PREPROCESSORS if m in details},
    }


CONTROLNET_LISTINGS: dict[str, tuple[str, Callable[[Catalog], Any]]] = {
    "model_list": ("ControlNet models (sd-webui-controlnet)", controlnet_model_list),
    "module_list": (
        "ControlNet preprocessors (sd-webui-controlnet)",
        lambda _catalog: controlnet_module_list(),
    ),
    "version": ("sd-webui-controlnet API version", lambda _catalog: {"version": 2}),
}
"""sd-webui-controlnet's listings by route name (`/controlnet/{name}`)."""
