"""A job's prompts as the encoders read them and as info/infotext report them.

A1111 order: styles merge into the prompt and negative prompt first (`all_prompts`, shown in the infotext);
then extra-network tags (`<lora:…>`) are taken out of the positive prompt before it is scheduled and encoded.
The negative prompt keeps any tag as text, as in A1111. `info.prompt` stays the prompt as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inference_container.conditioning.schedule import PromptConditioning, encode_prompts
from inference_container.conditioning.selection import conditioner_for
from sdapi.schema.job import Job
from sdapi.schema.prompt import LoraRequest, apply_styles, loras_of


@dataclass(frozen=True)
class JobText:
    styled_prompt: str
    """Styles applied, tags kept (A1111 `all_prompts`, the infotext's first line)."""
    styled_negative: str
    prompt: str
    """What the encoders read: styled, extra-network tags removed."""
    negative_prompt: str
    loras: tuple[LoraRequest, ...]
    """The LoRAs the prompt's tags ask for, in order."""


def job_text(job: Job) -> JobText:
    styled, styled_negative = apply_styles(job.prompt, job.negative_prompt, list(job.styles))
    prompt, loras = loras_of(styled)
    return JobText(styled, styled_negative, prompt, styled_negative, tuple(loras))


@dataclass
class JobConditioning:
    """The encoded prompts of one job: for the base pipeline and, if any, the refiner's own encoders."""

    text: JobText
    base: PromptConditioning
    refiner: PromptConditioning | None = None
    embeddings_used: frozenset[str] = frozenset()
    """Textual-inversion embeddings the prompts used (A1111 infotext `TI hashes`)."""

    def base_kwargs(self, pipe, n: int, then: Callable) -> dict:
        """Pipeline arguments for the base pass: embeddings, and the step callback that switches them."""
        return self._kwargs(self.base, pipe, n, then)

    def refiner_kwargs(self, pipe, n: int, then: Callable) -> dict:
        """The refiner continues the base's step count (A1111 swaps models inside one sampling loop)."""
        assert self.refiner is not None
        self.refiner.step_offset = self.base.steps_run
        return self._kwargs(self.refiner, pipe, n, then)

    @staticmethod
    def _kwargs(cond: PromptConditioning, pipe, n: int, then: Callable) -> dict:
        return {
            **cond.pipeline_kwargs(n),
            "callback_on_step_end": cond.callback(then),
            "callback_on_step_end_tensor_inputs": ["latents", *cond.tensor_inputs(pipe)],
        }


def condition_job(job: Job, text: JobText, base, refiner=None) -> JobConditioning:
    """Encode the job's prompts with the loaded base (and refiner) checkpoints' text encoders."""
    request = _PromptRequest(
        text.prompt, text.negative_prompt, job.steps, job.clip_skip, job.sdxl_clip_l_skip
    )
    used: set[str] = set()
    return JobConditioning(
        text=text,
        base=request.encode(base, used),
        refiner=request.encode(refiner, used) if refiner is not None else None,
        embeddings_used=frozenset(used),
    )


@dataclass(frozen=True)
class _PromptRequest:
    """What every checkpoint of a job encodes: the same prompts, steps and CLIP skips."""

    prompt: str
    negative_prompt: str
    steps: int
    clip_skip: int
    sdxl_clip_l_skip: bool

    def encode(self, loaded, used: set[str]) -> PromptConditioning:
        """The prompts through `loaded`'s text encoders; the embeddings they used are added to `used`."""
        conditioner = conditioner_for(loaded.pipe, loaded.family, self.clip_skip, self.sdxl_clip_l_skip)
        encoded = encode_prompts(conditioner, self.prompt, self.negative_prompt, self.steps)
        for encoder in conditioner.encoders:
            used.update(encoder.used)
        return encoded
