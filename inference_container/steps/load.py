"""Step 2 of a job, load: the plan's models on the device, from the model cache (loaded once, reused by
later jobs), with the catalog's textual-inversion embeddings registered on the checkpoints that fit them.
This is the one place a job's weights are brought in; LoRAs are applied around the denoising step instead
(`inference_container.loras`), because they must come off again after the job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference_container.embeddings import EmbeddingLibrary
from inference_container.pipelines import LoadedCheckpoint, ModelCache
from inference_container.steps.plan import Plan


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


def load_models(plan: Plan, models: ModelCache, embeddings: EmbeddingLibrary) -> LoadedModels:
    """Load (or take from the cache) every model of the plan."""
    before = models.load_seconds
    checkpoint = models.checkpoint(plan.checkpoint)
    vae = models.vae(plan.vae) if plan.vae else None
    refiner = models.checkpoint(plan.refiner) if plan.refiner else None
    controlnets = [models.controlnet(entry) for entry in plan.controlnets]
    restorer = models.face_restorer(plan.face_restorer) if plan.face_restorer else None
    checker = models.safety_checker(plan.safety_checker) if plan.safety_checker else None
    for loaded in (checkpoint, refiner):
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
    )
