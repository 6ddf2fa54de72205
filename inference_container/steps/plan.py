"""Step 1 of a job, the plan: every model the job names resolved against the container's catalog, the model
rules checked (`sdapi.schema.model_rules`, the same rules the door runs), the sampler resolved, and the
prompt side planned (styles merged, LoRA tags read, LoRAs and embeddings resolved). A job that cannot run
fails here with InvalidJob, before anything is loaded."""

from __future__ import annotations

from dataclasses import dataclass, field

from inference_container import conditioning, samplers
from inference_container.catalog import ModelCatalog
from inference_container.errors import InvalidJob
from inference_container.loras import LoraUse
from inference_container.prompt_plan import plan_prompt
from sdapi.schema.catalog import ModelEntry
from sdapi.schema.job import Job
from sdapi.schema.model_rules import check_models, describe


@dataclass
class Plan:
    """The job's models, each resolved to its catalog entry, and its prompts as the encoders read them."""

    checkpoint: ModelEntry
    vae: ModelEntry | None
    refiner: ModelEntry | None
    controlnets: list[ModelEntry]
    face_restorer: ModelEntry | None
    safety_checker: ModelEntry | None
    text: conditioning.JobText
    loras: list[LoraUse]
    hires_checkpoint: ModelEntry | None = None
    """Hires fix's second-pass checkpoint when it is not the first pass's."""
    hires_text: conditioning.JobText | None = None
    """Hires fix's prompts as the encoders read them (the first pass's when the job names none)."""
    upscalers: dict[str, ModelEntry] = field(default_factory=dict)
    """The model upscalers the job names (hires fix, extras), by the name it uses."""
    gfpgan: ModelEntry | None = None
    codeformer: ModelEntry | None = None


def make_plan(job: Job, catalog: ModelCatalog) -> Plan:
    """The plan for `job`, or InvalidJob naming every problem (worded as the door words them)."""
    choice, problems = check_models(job, catalog)
    if problems:
        raise InvalidJob(describe(problems))
    samplers.job_knobs(job)
    if job.hires is not None:
        samplers.job_knobs(hires_job(job))
    assert choice.checkpoint is not None  # no problems: every named model resolved
    text, loras = plan_prompt(job, choice.checkpoint, catalog)
    hires_text = conditioning.job_text(hires_job(job)) if job.hires is not None else None
    return Plan(
        checkpoint=choice.checkpoint,
        vae=choice.vae,
        refiner=choice.refiner,
        controlnets=[entry for entry in choice.controlnets if entry is not None],
        face_restorer=choice.face_restorer,
        safety_checker=choice.safety_checker,
        text=text,
        loras=loras,
        hires_checkpoint=choice.hires_checkpoint,
        hires_text=hires_text,
        upscalers=choice.upscalers,
        gfpgan=choice.gfpgan,
        codeformer=choice.codeformer,
    )


def hires_job(job: Job) -> Job:
    """The job as its hires pass sees it: A1111's `hr_prompt` / `hr_negative_prompt` (the first pass's when
    empty), the second pass's steps, sampler and schedule type."""
    hires = job.hires
    assert hires is not None
    negative = job.negative_prompt if hires.negative_prompt is None else hires.negative_prompt
    return job.model_copy(
        update={
            "prompt": job.prompt if hires.prompt is None else hires.prompt,
            "negative_prompt": negative,
            "steps": hires.steps or job.steps,
            "sampler": hires.sampler or job.sampler,
            "scheduler": hires.scheduler or job.scheduler,
        }
    )
