"""Prompt conditioning as A1111 builds it, handed to diffusers as `prompt_embeds` (+ pooled for SDXL).

`chunks` tokenizes weighted text into 75-token chunks; `encoders` runs one CLIP encoder with A1111's layer
choice (clip skip) and emphasis; `schedule` encodes prompt-editing schedules for both halves of CFG and
switches them during sampling; `selection` picks a pipeline's encoders; `job` is what the worker calls
(`job_text`, then `condition_job` once the job's LoRAs are active).
"""

from __future__ import annotations

from inference_container.conditioning.job import JobConditioning, JobText, condition_job, job_text
from inference_container.conditioning.schedule import Conditioner, PromptConditioning, encode_prompts
from inference_container.conditioning.selection import conditioner_for

__all__ = [
    "Conditioner",
    "JobConditioning",
    "JobText",
    "PromptConditioning",
    "condition_job",
    "conditioner_for",
    "encode_prompts",
    "job_text",
]
