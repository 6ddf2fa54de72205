"""Step 2 of a job, load: the plan's models on the device, from the model cache (loaded once, reused by
later jobs), with the catalog's textual-inversion embeddings registered on the checkpoints that fit them.
This is the one place a job's weights are brought in; LoRAs are applied around the denoising step instead
(`inference_container.loras`), because they must come off again after the job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inference_container.embeddings import EmbeddingLibrary
from inference_container.pipelines import LoadedCheckpoint, ModelCache
from inference_container.steps.plan import Plan
from inference_container.upscalers import BuiltinUpscaler
from sdapi.schema.job import Job
from sdapi.schema.upscaling import BUILTIN_UPSCALERS


@dataclass
class LoadedModels:
    """Everything the job runs on, loaded, and how long loading took (zero when all were cached)."""

    checkpoint: LoadedCheckpoint
    vae: Any | None
    refiner: LoadedCheckpoint | None
    controlnets: list[Any]
    """One ControlNet module per unit (the same module twice when two units name the same model)."""
    controlnet: Any | None
    """What the pipelines' `controlnet` argument takes: the one ControlNet, all of them combined, or None."""
    face_restorer: Any | None
    safety_checker: Any | None
    load_s: float
    hires_checkpoint: LoadedCheckpoint | None = None
    """Hires fix's second-pass checkpoint when the job names another one."""
    post: Postprocessors = field(default_factory=lambda: Postprocessors())
    """The upscalers and extras' face restorers the job names."""


@dataclass
class Postprocessors:
    """The upscalers (built-in ones included) and the extras' GFPGAN / CodeFormer a job names."""

    upscalers: dict[str, Any] = field(default_factory=dict)
    """By the name the job uses."""
    gfpgan: Any | None = None
    codeformer: Any | None = None


def load_postprocessors(plan: Plan, models: ModelCache, job: Job) -> Postprocessors:
    """The plan's upscalers and extras' restorers, from the model cache."""
    upscalers: dict[str, Any] = {name: models.upscaler(entry) for name, entry in plan.upscalers.items()}
    for name in _builtin_upscalers(job):
        upscalers[name] = BuiltinUpscaler(name)
    return Postprocessors(
        upscalers=upscalers,
        gfpgan=models.face_restorer(plan.gfpgan) if plan.gfpgan else None,
        codeformer=models.face_restorer(plan.codeformer) if plan.codeformer else None,
    )


def load_models(
    plan: Plan, models: ModelCache, embeddings: EmbeddingLibrary, job: Job | None = None
) -> LoadedModels:
    """Load (or take from the cache) every model of the plan."""
    before = models.load_seconds
    post = load_postprocessors(plan, models, job) if job is not None else Postprocessors()
    checkpoint = models.checkpoint(plan.checkpoint)
    vae = models.vae(plan.vae) if plan.vae else None
    refiner = models.checkpoint(plan.refiner) if plan.refiner else None
    controlnets = [models.controlnet(entry) for entry in plan.controlnets]
    restorer = models.face_restorer(plan.face_restorer) if plan.face_restorer else None
    checker = models.safety_checker(plan.safety_checker) if plan.safety_checker else None
    hires_checkpoint = models.checkpoint(plan.hires_checkpoint) if plan.hires_checkpoint else None
    for loaded in (checkpoint, refiner, hires_checkpoint):
        if loaded is not None:
            embeddings.ensure(loaded.pipe, loaded.family)
    return LoadedModels(
        checkpoint=checkpoint,
        vae=vae,
        refiner=refiner,
        controlnets=controlnets,
        controlnet=models.controlnets(controlnets),
        face_restorer=restorer,
        safety_checker=checker,
        load_s=models.load_seconds - before,
        hires_checkpoint=hires_checkpoint,
        post=post,
    )


def _builtin_upscalers(job: Job) -> list[str]:
    """The built-in upscalers (`None`, `Lanczos`, `Nearest`) the job names."""
    names = [job.hires.upscaler] if job.hires else []
    upscale = job.extras.upscale if job.extras else None
    if upscale is not None:
        names += [upscale.upscaler, upscale.upscaler_2]
    return [name for name in names if name in BUILTIN_UPSCALERS]
