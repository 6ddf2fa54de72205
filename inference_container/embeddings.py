"""Textual-inversion embeddings, as A1111 has them: every embedding of a checkpoint's family is loaded into
that checkpoint's tokenizers and text encoders (diffusers' `load_textual_inversion`) and used by its name in
any prompt; embeddings of other families are skipped.

File layouts (A1111's): SD1.5 `emb_params` (safetensors) or `string_to_param` (`.pt`); SDXL `clip_l` and
`clip_g`, one per encoder (the refiner has only `clip_g`'s encoder).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import torch

from inference_container.catalog import ModelCatalog
from inference_container.errors import ModelLoadError
from sdapi.schema.catalog import Family, ModelEntry

log = logging.getLogger(__name__)


class EmbeddingLibrary:
    def __init__(self, catalog: ModelCatalog):
        self.catalog = catalog
        self._lock = threading.Lock()

    def fitting(self, family: Family) -> list[ModelEntry]:
        return [e for e in self.catalog.of_family(Family.EMBEDDING) if e.fits(family)]

    def ensure(self, pipe, family: Family) -> list[ModelEntry]:
        """Load every fitting embedding not yet in `pipe`; return the embeddings it holds."""
        entries = self.fitting(family)
        with self._lock:
            for entry in entries:
                if not _holds(pipe, entry.name):
                    self._load(pipe, entry)
        return entries

    def _load(self, pipe, entry: ModelEntry) -> None:
        vectors = _read(self._file(entry), entry.name)
        targets = [
            (encoder, tokenizer, key)
            for encoder, tokenizer, key in (
                ("text_encoder", "tokenizer", "clip_l"),
                ("text_encoder_2", "tokenizer_2", "clip_g"),
            )
            if getattr(pipe, encoder, None) is not None
        ]
        for encoder, tokenizer, key in targets:
            vector = vectors.get(key, vectors.get("*"))
            if vector is None:
                raise ModelLoadError(f"embedding {entry.name!r} has no vectors for {key}")
            pipe.load_textual_inversion(
                {entry.name: vector},
                token=entry.name,
                text_encoder=getattr(pipe, encoder),
                tokenizer=getattr(pipe, tokenizer),
            )
        log.info("embedding %s loaded (%d vectors)", entry.name, next(iter(vectors.values())).shape[0])

    def _file(self, entry: ModelEntry) -> Path:
        path = self.catalog.path(entry)
        if path.is_dir():
            files = sorted([*path.glob("*.safetensors"), *path.glob("*.pt"), *path.glob("*.bin")])
            if len(files) != 1:
                raise ModelLoadError(f"embedding {entry.name!r}: {path} must hold exactly one file")
            return files[0]
        return path


def _holds(pipe, name: str) -> bool:
    """Whether the pipeline's tokenizer already has the embedding's token (CLIP tokenizers lowercase it)."""
    tokenizer = getattr(pipe, "tokenizer", None) or pipe.tokenizer_2
    added = {token.lower() for token in tokenizer.added_tokens_encoder}
    return name.lower() in added


def _read(path: Path, name: str) -> dict[str, torch.Tensor]:
    """{"clip_l": …, "clip_g": …} for SDXL files, {"*": vectors} for SD1.5 ones."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            data: dict = load_file(str(path))
        else:
            data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"embedding {name!r}: {path} could not be read ({exc})") from exc
    if "clip_l" in data or "clip_g" in data:
        return {k: data[k] for k in ("clip_l", "clip_g") if k in data}
    if "string_to_param" in data:
        return {"*": next(iter(data["string_to_param"].values()))}
    if "emb_params" in data:
        return {"*": data["emb_params"]}
    if len(data) == 1:
        return {"*": next(iter(data.values()))}
    raise ModelLoadError(f"embedding {name!r}: {path} is not an A1111 or diffusers embedding file")


def ti_hashes(catalog: ModelCatalog, used: frozenset[str] | set[str]) -> str | None:
    """A1111's infotext `TI hashes`: `name: shorthash` for each embedding the prompts used."""
    by_token = {e.name.lower(): e for e in catalog.of_family(Family.EMBEDDING)}  # CLIP lowercases tokens
    parts = []
    for token in sorted(used):
        entry = by_token.get(token.lower())
        if entry is not None and entry.hash:
            parts.append(f"{entry.name.replace(':', '').replace(',', '')}: {entry.hash}")
    return ", ".join(parts) or None
