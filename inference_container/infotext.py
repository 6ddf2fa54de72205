"""A1111's `info` JSON and infotext lines (the text A1111 shows under an image and writes into its PNG)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import Job, Task
from sdapi.schema.samplers import SCHEDULE_LABELS, display_name, find_sampler, schedule_key

VERSION = "sdapi-0.1.0"
"""What `info.version` and the infotext's `Version:` report (this project, not an A1111 release)."""


KNOB_LABELS = {
    "eta": "Eta DDIM",
    "s_churn": "Sigma churn",
    "s_tmin": "Sigma tmin",
    "s_tmax": "Sigma tmax",
    "s_noise": "Sigma noise",
}
"""A1111's infotext key of each sampler knob the worker applies (of the samplers it runs only DDIM takes eta,
which A1111 reports as `Eta DDIM`)."""


def quote(text: Any) -> str:
    """A1111's `quote`: values with a comma, colon or newline are written as JSON strings."""
    text = str(text)
    if "," not in text and "\n" not in text and ":" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def number(value: float) -> int | float:
    """1.0 → 1, 0.5 → 0.5 (as the ControlNet extension prints what the request held)."""
    return int(value) if float(value).is_integer() else float(value)


@dataclass
class GenerationFacts:
    """What the worker knows after resolving the job: the names and hashes A1111 reports."""

    model_name: str
    model_hash: str | None
    vae_name: str | None = None
    vae_hash: str | None = None
    face_restorer: str | None = None
    inpainting_conditioning: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    styled_prompt: str | None = None
    """The prompt with the job's styles merged in (A1111 `all_prompts`); None: the prompt as written."""
    styled_negative: str | None = None
    styles: list[str] = field(default_factory=list)
    job_timestamp: str = field(default_factory=lambda: time.strftime("%Y%m%d%H%M%S", time.gmtime()))


def infotext(job: Job, facts: GenerationFacts, seeds: list[int], subseeds: list[int], index: int) -> str:
    spec = find_sampler(job.sampler)
    params: dict[str, Any] = {
        "Steps": job.steps,
        "Sampler": spec.name if spec else job.sampler,
        "Schedule type": None,
        "CFG scale": float(job.cfg_scale),
        "Seed": seeds[index],
        "Face restoration": facts.face_restorer if job.restore_faces else None,
        "Size": f"{job.width}x{job.height}",
        "Model hash": facts.model_hash,
        "Model": facts.model_name,
        "VAE hash": facts.vae_hash if facts.vae_name else None,
        "VAE": facts.vae_name,
        "Variation seed": subseeds[index] if job.subseed_strength else None,
        "Variation seed strength": job.subseed_strength if job.subseed_strength else None,
        "Seed resize from": (
            f"{job.seed_resize_from_w}x{job.seed_resize_from_h}"
            if job.seed_resize_from_w > 0 and job.seed_resize_from_h > 0
            else None
        ),
        "Denoising strength": (
            denoising_strength(job) if job.task != Task.TXT2IMG or job.hires is not None else None
        ),
        "Mask blur": job.mask.blur if job.mask else None,
        "Clip skip": job.clip_skip if job.clip_skip > 1 else None,
        **facts.extra,
        "Version": VERSION,
    }
    key = schedule_key(job.scheduler)
    if key != "automatic":
        params["Schedule type"] = SCHEDULE_LABELS.get(key, key)
    text = ", ".join(k if k == v else f"{k}: {quote(v)}" for k, v in params.items() if v is not None)
    prompt, negative_prompt = _styled(job, facts)
    negative = f"\nNegative prompt: {negative_prompt}" if negative_prompt else ""
    return f"{prompt}{negative}\n{text}".strip()


def _styled(job: Job, facts: GenerationFacts) -> tuple[str, str]:
    prompt = facts.styled_prompt if facts.styled_prompt is not None else job.prompt
    negative = facts.styled_negative if facts.styled_negative is not None else job.negative_prompt
    return prompt, negative


def denoising_strength(job: Job) -> float:
    if job.task == Task.TXT2IMG:
        return job.hires.denoising_strength if job.hires is not None else 0
    return job.denoising_strength if job.denoising_strength is not None else DEFAULT_DENOISING_STRENGTH


def hires_facts(job: Job, checkpoint: str | None) -> dict[str, Any]:
    """A1111's hires-fix infotext entries, in the order `StableDiffusionProcessingTxt2Img.init` adds them
    (`checkpoint`: the second pass's checkpoint title when the job names one)."""
    hires = job.hires
    if hires is None:
        return {}
    facts: dict[str, Any] = {}
    if checkpoint:
        facts["Hires checkpoint"] = checkpoint
    if hires.sampler is not None and hires.sampler != job.sampler:
        facts["Hires sampler"] = hires.sampler
    if hires.scheduler is not None and schedule_key(hires.scheduler) != schedule_key(job.scheduler):
        facts["Hires schedule type"] = SCHEDULE_LABELS.get(schedule_key(hires.scheduler), hires.scheduler)
    if hires.prompt is not None and hires.prompt != job.prompt:
        facts["Hires prompt"] = hires.prompt
    if hires.negative_prompt is not None and hires.negative_prompt != job.negative_prompt:
        facts["Hires negative prompt"] = hires.negative_prompt
    if hires.resize_x == 0 and hires.resize_y == 0:
        facts["Hires upscale"] = number(hires.scale)
    else:
        facts["Hires resize"] = f"{hires.resize_x}x{hires.resize_y}"
    if hires.steps:
        facts["Hires steps"] = hires.steps
    facts["Hires upscaler"] = hires.upscaler
    return facts


def info_json(job: Job, facts: GenerationFacts, seeds: list[int], subseeds: list[int]) -> str:
    count = job.image_count
    styled, styled_negative = _styled(job, facts)
    info = {
        "prompt": job.prompt,
        "all_prompts": [styled] * count,
        "negative_prompt": job.negative_prompt,
        "all_negative_prompts": [styled_negative] * count,
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": subseeds[0],
        "all_subseeds": subseeds,
        "subseed_strength": job.subseed_strength,
        "width": job.width,
        "height": job.height,
        "sampler_name": display_name(job.sampler, job.scheduler),
        "cfg_scale": float(job.cfg_scale),
        "steps": job.steps,
        "batch_size": job.batch_size,
        "restore_faces": job.restore_faces,
        "face_restoration_model": facts.face_restorer if job.restore_faces else None,
        "sd_model_name": facts.model_name,
        "sd_model_hash": facts.model_hash,
        "sd_vae_name": facts.vae_name,
        "sd_vae_hash": facts.vae_hash if facts.vae_name else None,
        "seed_resize_from_w": job.seed_resize_from_w,
        "seed_resize_from_h": job.seed_resize_from_h,
        "denoising_strength": denoising_strength(job),
        "extra_generation_params": dict(facts.extra),
        "index_of_first_image": 0,
        "infotexts": [infotext(job, facts, seeds, subseeds, i) for i in range(count)],
        "styles": list(facts.styles),
        "job_timestamp": facts.job_timestamp,
        "clip_skip": job.clip_skip,
        "is_using_inpainting_conditioning": facts.inpainting_conditioning,
        "version": VERSION,
    }
    return json.dumps(info, ensure_ascii=False)
