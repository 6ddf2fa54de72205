"""LoRAs for one job: loaded through diffusers' LoRA loaders (peft backend), removed again afterwards.

`LoraLibrary.applied(loaded, uses)` loads every LoRA the job asks for as its own adapter, sets A1111's two
multipliers per adapter (text encoders: the `te` weight, UNet: the `unet` weight), and on exit unloads all
of them (`unload_lora_weights` takes the peft layers out again), so the next job on the worker runs the
checkpoint exactly as it was. The weights themselves (safetensors state dicts) stay in a small in-memory LRU,
so a LoRA used again costs no disk read.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from inference_container.catalog import ModelCatalog
from inference_container.errors import ModelLoadError
from sdapi.schema.catalog import ModelEntry
from sdapi.schema.prompt import LoraRequest

log = logging.getLogger(__name__)

CACHE_BYTES = 2 * 1024**3
"""LoRA state dicts kept in host memory (a typical SD1.5 LoRA is 10-150 MB, SDXL 50-900 MB)."""


@dataclass(frozen=True)
class LoraUse:
    entry: ModelEntry
    request: LoraRequest


class LoraLibrary:
    def __init__(self, catalog: ModelCatalog, cache_bytes: int = CACHE_BYTES):
        self.catalog = catalog
        self.cache_bytes = cache_bytes
        self._weights: OrderedDict[str, tuple[dict[str, torch.Tensor], int]] = OrderedDict()
        self._lock = threading.Lock()
        self.read_seconds = 0.0
        """Seconds spent reading LoRA files from disk (0 for a cached LoRA)."""

    def state_dict(self, entry: ModelEntry) -> dict[str, torch.Tensor]:
        with self._lock:
            if entry.name in self._weights:
                self._weights.move_to_end(entry.name)
                return self._weights[entry.name][0]
        from safetensors.torch import load_file

        path = self._file(entry)
        started = time.perf_counter()
        try:
            weights = load_file(str(path))
        except Exception as exc:
            raise ModelLoadError(f"LoRA {entry.name!r}: {path} could not be read ({exc})") from exc
        self.read_seconds += time.perf_counter() - started
        nbytes = sum(t.numel() * t.element_size() for t in weights.values())
        with self._lock:
            self._weights[entry.name] = (weights, nbytes)
            while len(self._weights) > 1 and sum(n for _, n in self._weights.values()) > self.cache_bytes:
                self._weights.popitem(last=False)
        return weights

    def cached(self) -> list[str]:
        with self._lock:
            return list(self._weights)

    def _file(self, entry: ModelEntry) -> Path:
        path = self.catalog.path(entry)
        if path.is_dir():
            files = sorted(path.glob("*.safetensors"))
            if len(files) != 1:
                raise ModelLoadError(f"LoRA {entry.name!r}: {path} must hold exactly one .safetensors file")
            return files[0]
        if not path.is_file():
            raise ModelLoadError(f"LoRA {entry.name!r}: {path} does not exist (check catalog.json paths)")
        return path

    @contextmanager
    def applied(self, pipe, uses: list[LoraUse]) -> Iterator[None]:
        """The job's LoRAs active on `pipe` (and every `from_pipe` view sharing its modules) inside the
        block; none of them after it, whatever happens inside."""
        if not uses:
            yield
            return
        names: list[str] = []
        try:
            for index, use in enumerate(uses):
                name = f"job{index}_{re.sub(r'[^A-Za-z0-9_]', '_', use.entry.name)}"
                pipe.load_lora_weights(dict(self.state_dict(use.entry)), adapter_name=name)
                names.append(name)
            components = [c for c in ("text_encoder", "text_encoder_2") if getattr(pipe, c, None) is not None]
            weights = [
                {"unet": use.request.unet_weight, **{c: use.request.te_weight for c in components}}
                for use in uses
            ]
            pipe.set_adapters(names, adapter_weights=weights)
            yield
        finally:
            if names:
                pipe.unload_lora_weights()


def lora_hashes(uses: list[LoraUse]) -> str | None:
    """A1111's infotext `Lora hashes`: `name: shorthash` for each LoRA with a hash (':' and ',' dropped)."""
    parts = []
    for use in uses:
        if use.entry.hash:
            alias = use.request.name.replace(":", "").replace(",", "")
            parts.append(f"{alias}: {use.entry.hash}")
    return ", ".join(parts) or None
