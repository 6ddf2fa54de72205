"""A prompt's conditioning over the sampling steps, for both halves of classifier-free guidance.

`encode_prompts` turns the prompt and negative prompt into `Scheduled` tensors (one entry per prompt-editing
switch, all with the same token length: the shorter side is padded with the empty prompt's encoding, as
A1111's `pad_cond_uncond` does). `PromptConditioning` hands diffusers the first step's tensors and, when a
schedule switches, replaces them in place from `callback_on_step_end` before the step that needs them.

Step numbering is A1111's: sampler step s (0-based, counted across a refiner hand-off) uses the first entry
whose end step is >= s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from inference_container.conditioning.encoders import TextEncoder
from sdapi.schema.prompt import prompt_schedule


@dataclass
class Conditioner:
    """The text encoders of one pipeline, in the order their outputs are concatenated."""

    encoders: list[TextEncoder]
    zero_empty_negative: bool = False
    """SDXL: an all-empty negative prompt is zeros (A1111 `force_zero_negative_prompt`)."""

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor | None]:
        per_encoder = [encoder.chunks(texts) for encoder in self.encoders]
        count = max(len(batch[0]) for batch in per_encoder)
        outputs, pooled = [], None
        for encoder, batch in zip(self.encoders, per_encoder, strict=True):
            filled = [chunks + encoder.chunks([""])[0] * (count - len(chunks)) for chunks in batch]
            z, pool = encoder.encode(filled)
            outputs.append(z)
            if encoder.pooled:
                pooled = pool
        return torch.cat(outputs, dim=-1), pooled


@dataclass
class Scheduled:
    ends: list[int]
    embeds: torch.Tensor
    """(entries, tokens, dim)"""
    pooled: torch.Tensor | None
    """(entries, projection) for SDXL"""

    def index_at(self, step: int) -> int:
        return next((i for i, end in enumerate(self.ends) if step <= end), len(self.ends) - 1)

    def pad_to(self, tokens: int, empty: torch.Tensor) -> Scheduled:
        missing = tokens - self.embeds.shape[1]
        if missing <= 0:
            return self
        repeats = missing // empty.shape[1]
        fill = empty.repeat(self.embeds.shape[0], repeats, 1)
        return Scheduled(self.ends, torch.cat([self.embeds, fill], dim=1), self.pooled)


def _schedule(conditioner: Conditioner, text: str, steps: int, negative: bool) -> Scheduled:
    entries = prompt_schedule(text, steps)
    texts = [t for _, t in entries]
    embeds, pooled = conditioner.encode(texts)
    if negative and conditioner.zero_empty_negative and all(t == "" for t in texts):
        embeds = torch.zeros_like(embeds)
        pooled = torch.zeros_like(pooled) if pooled is not None else None
    return Scheduled([end for end, _ in entries], embeds, pooled)


@dataclass
class PromptConditioning:
    positive: Scheduled
    negative: Scheduled
    step_offset: int = 0
    """Sampler steps already run before this pipeline call (the refiner continues the base's count)."""
    steps_run: int = field(default=0, init=False)

    @property
    def switches(self) -> bool:
        return len(self.positive.ends) > 1 or len(self.negative.ends) > 1

    def _at(self, step: int, n: int):
        p, q = self.positive.index_at(step), self.negative.index_at(step)
        pos = self.positive.embeds[p : p + 1].repeat(n, 1, 1)
        neg = self.negative.embeds[q : q + 1].repeat(n, 1, 1)
        pooled = neg_pooled = None
        if self.positive.pooled is not None and self.negative.pooled is not None:
            pooled = self.positive.pooled[p : p + 1].repeat(n, 1)
            neg_pooled = self.negative.pooled[q : q + 1].repeat(n, 1)
        return pos, neg, pooled, neg_pooled

    def pipeline_kwargs(self, n: int) -> dict:
        """The first step's embeddings for a batch of n images."""
        pos, neg, pooled, neg_pooled = self._at(self.step_offset, n)
        kwargs = {"prompt_embeds": pos, "negative_prompt_embeds": neg}
        if pooled is not None:
            kwargs.update(pooled_prompt_embeds=pooled, negative_pooled_prompt_embeds=neg_pooled)
        return kwargs

    def tensor_inputs(self, pipe) -> list[str]:
        """What `callback_on_step_end` must be given to switch conditioning in this pipeline."""
        if not self.switches:
            return []
        wanted = ["prompt_embeds"]
        if self.positive.pooled is not None:
            wanted.append("add_text_embeds")
        missing = [name for name in wanted if name not in pipe._callback_tensor_inputs]
        if missing:
            raise RuntimeError(f"{type(pipe).__name__} cannot switch {missing} during sampling")
        return wanted

    def callback(self, then: Callable) -> Callable:
        """A `callback_on_step_end` that switches conditioning for the next step, then calls `then`."""

        def on_step_end(pipe, i: int, t, kwargs: dict) -> dict:
            self.steps_run = i + 1
            if self.switches:
                self._switch(pipe, self.step_offset + i + 1, kwargs)
            return then(pipe, i, t, kwargs)

        return on_step_end

    def _switch(self, pipe, step: int, kwargs: dict) -> None:
        current = kwargs["prompt_embeds"]
        cfg = bool(getattr(pipe, "do_classifier_free_guidance", False))
        n = current.shape[0] // 2 if cfg else current.shape[0]
        pos, neg, pooled, neg_pooled = self._at(step, n)
        current.copy_(torch.cat([neg, pos]) if cfg else pos)
        if "add_text_embeds" in kwargs and pooled is not None:
            kwargs["add_text_embeds"].copy_(torch.cat([neg_pooled, pooled]) if cfg else pooled)


def encode_prompts(
    conditioner: Conditioner, prompt: str, negative_prompt: str, steps: int
) -> PromptConditioning:
    """Both schedules encoded and padded to one token length."""
    positive = _schedule(conditioner, prompt, steps, negative=False)
    negative = _schedule(conditioner, negative_prompt, steps, negative=True)
    tokens = max(positive.embeds.shape[1], negative.embeds.shape[1])
    if positive.embeds.shape[1] != negative.embeds.shape[1]:
        empty, _ = conditioner.encode([""])
        positive, negative = positive.pad_to(tokens, empty), negative.pad_to(tokens, empty)
    return PromptConditioning(positive, negative)
