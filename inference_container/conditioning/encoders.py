"""One CLIP text encoder as A1111 uses it: which hidden layer, emphasis, pooled output.

- SD1.5 (`clip_skip` = A1111 `CLIP_stop_at_last_layers`): the last layer (final layer norm included), or
  hidden layer `-clip_skip` passed through the final layer norm.
- SDXL CLIP-L: the penultimate hidden layer, no final norm; with A1111's `sdxl_clip_l_skip` on, hidden layer
  `-clip_skip` instead.
- SDXL / refiner OpenCLIP-G: the penultimate hidden layer; the pooled (projected) output of the first chunk.

Emphasis is A1111's "Original": each token's vector times its weight, then the whole chunk batch rescaled
so that its mean is what it was before.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch

from inference_container.conditioning.chunks import (
    Chunk,
    TokenIds,
    embedding_groups,
    empty_chunk,
    tokenize_weighted,
)


class Layer(StrEnum):
    SD15 = "sd15"
    """last layer, or hidden[-clip_skip] + final layer norm"""
    SDXL_L = "sdxl-l"
    """hidden[-2], or hidden[-clip_skip] with sdxl_clip_l_skip"""
    SDXL_G = "sdxl-g"
    """hidden[-2] and the pooled projection"""


@dataclass
class TextEncoder:
    tokenizer: object
    model: torch.nn.Module
    layer: Layer
    clip_skip: int = 1
    sdxl_clip_l_skip: bool = False

    def __post_init__(self) -> None:
        self.ids = TokenIds.of(self.tokenizer)
        self.groups = embedding_groups(self.tokenizer)
        self.used: set[str] = set()
        """Names of the textual-inversion embeddings the encoded texts used."""

    @property
    def pooled(self) -> bool:
        return self.layer == Layer.SDXL_G

    def chunks(self, texts: list[str]) -> list[list[Chunk]]:
        """Every text's chunks, shorter ones filled with empty chunks to the longest's count."""
        per_text = [tokenize_weighted(t, self.tokenizer, self.ids, groups=self.groups)[0] for t in texts]
        if self.groups:
            seen = {t for chunks in per_text for c in chunks for t in c.tokens if t in self.groups}
            self.used.update(self.tokenizer.convert_ids_to_tokens(sorted(seen)))
        count = max(len(c) for c in per_text)
        return [c + [empty_chunk(self.ids) for _ in range(count - len(c))] for c in per_text]

    def encode(self, batch: list[list[Chunk]]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, 77 x chunks, dim) hidden states, and (B, proj) pooled from the first chunk if this encoder
        pools."""
        param = next(self.model.parameters())
        zs, pooled = [], None
        for index in range(len(batch[0])):
            tokens = torch.tensor([self._padded(c[index].tokens) for c in batch], device=param.device)
            weights = torch.tensor(
                [c[index].multipliers for c in batch], device=param.device, dtype=param.dtype
            )
            z, pool = self._forward(tokens)
            zs.append(_emphasis(z, weights))
            if index == 0:
                pooled = pool
        return torch.cat(zs, dim=1), pooled

    def _padded(self, tokens: list[int]) -> list[int]:
        """Everything after the first EOS becomes the pad token (OpenCLIP-G pads with 0, CLIP-L with EOS)."""
        if self.ids.pad == self.ids.end:
            return tokens
        first = tokens.index(self.ids.end)
        return tokens[: first + 1] + [self.ids.pad] * (len(tokens) - first - 1)

    def _forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.model(input_ids=tokens, output_hidden_states=True)
        hidden = out.hidden_states
        if self.layer == Layer.SD15:
            if self.clip_skip <= 1:
                return out.last_hidden_state, None
            return _final_norm(self.model)(hidden[-self.clip_skip]), None
        if self.layer == Layer.SDXL_L:
            return (hidden[-self.clip_skip] if self.sdxl_clip_l_skip else hidden[-2]), None
        return hidden[-2], out.text_embeds


def _final_norm(model: torch.nn.Module) -> torch.nn.Module:
    """CLIP's final layer norm (transformers 5 keeps it on the model, 4.x under `text_model`)."""
    inner = getattr(model, "text_model", model)
    return inner.final_layer_norm


def _emphasis(z: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    original_mean = z.mean()
    z = z * weights.reshape((*weights.shape, 1)).expand(z.shape)
    return z * (original_mean / z.mean())
