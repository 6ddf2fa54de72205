"""The deployment's model catalog and model pools.

The api Lambda gets the catalog from configuration (it never touches the model files) and refuses requests
for models the deployment does not have; the container finds the same names under its model root.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sdapi.schema.prompt.styles import Style


class Family(StrEnum):
    SD15 = "sd15"
    SDXL = "sdxl"
    SDXL_REFINER = "sdxl-refiner"
    CONTROLNET = "controlnet"
    VAE = "vae"
    FACE_RESTORER = "face-restorer"
    """GFPGAN or CodeFormer weights, loaded through spandrel (`architecture` says which)."""
    UPSCALER = "upscaler"
    """An image upscaler spandrel recognises from its weights (ESRGAN, Real-ESRGAN, SwinIR, ...)."""
    SAFETY_CHECKER = "safety-checker"
    LORA = "lora"
    """A LoRA (`<lora:name:weight>` in prompts, v3 `lora_model`); `base` is the checkpoint family it fits."""
    EMBEDDING = "embedding"
    """A textual-inversion embedding, used by its name inside prompts; `base` is its checkpoint family."""


CHECKPOINT_FAMILIES = frozenset({Family.SD15, Family.SDXL})


class ModelEntry(BaseModel):
    """One model the deployment serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Name clients use (A1111 `sd_model_checkpoint`, ControlNet `model`, …).")
    family: Family = Field(description="What the model is and which architecture it belongs to.")
    base: Family | None = Field(
        default=None,
        description="For ControlNets, VAEs, LoRAs and embeddings: the checkpoint family they fit.",
    )
    path: str | None = Field(
        default=None, description="Where the container finds it, relative to the model root (container only)."
    )
    hash: str | None = Field(default=None, description="Short hash shown as A1111's `sd_model_hash`.")
    title: str | None = Field(
        default=None, description="Display title (A1111 `title`); defaults to the name."
    )
    aliases: tuple[str, ...] = Field(default=(), description="Other names accepted for this model.")
    architecture: str | None = Field(
        default=None,
        description="Upscalers and face restorers: spandrel's architecture id (`ESRGAN`, `RealCUGAN`, "
        "`GFPGAN`, `CodeFormer`, ...); GFPGAN and CodeFormer pick the extras' `gfpgan_visibility` and "
        "`codeformer_visibility` restorers.",
    )
    scale: int | None = Field(
        default=None, ge=1, le=16, description="Upscalers: the model's scale factor (A1111 `scale`)."
    )

    def fits(self, checkpoint_family: Family) -> bool:
        """Whether this add-on (ControlNet, VAE, LoRA, embedding) fits a checkpoint of the given family."""
        if self.base is None:
            return True
        base = Family.SDXL if self.base == Family.SDXL_REFINER else self.base
        wanted = Family.SDXL if checkpoint_family == Family.SDXL_REFINER else checkpoint_family
        return base == wanted


def find_model(entries: Iterable[ModelEntry], name: str) -> ModelEntry | None:
    """The entry called `name` (or with that alias); A1111 titles such as `name.safetensors [hash]` are
    also found. The door's `Catalog` and the container's `ModelCatalog` both look models up this way."""
    index: dict[str, ModelEntry] = {}
    for entry in entries:
        for key in (entry.name, *entry.aliases):
            index[key] = entry
    if name in index:
        return index[name]
    stripped = name.split(" [", 1)[0].strip()
    for candidate in (stripped, stripped.rsplit(".", 1)[0]):
        if candidate in index:
            return index[candidate]
    return None


class Pool(BaseModel):
    """A model pool: one SageMaker async endpoint and the models it serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="RunPod's `{endpoint}` path segment.")
    endpoint_name: str = Field(description="The SageMaker endpoint name.")
    default_model: str = Field(description="Checkpoint used when a request names none.")
    models: tuple[str, ...] = Field(description="Names of every model this pool serves (any family).")
    max_concurrency: int = Field(default=1, ge=1, description="MaxConcurrentInvocationsPerInstance.")


class Catalog(BaseModel):
    """Every model and pool of a deployment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: tuple[ModelEntry, ...]
    pools: tuple[Pool, ...]
    default_pool: str
    styles: tuple[Style, ...] = Field(
        default=(), description="The deployment's A1111 prompt styles (request field `styles` names them)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names = {key: entry for entry in self.models for key in (entry.name, *entry.aliases)}
        pool_names = {p.name for p in self.pools}
        if self.default_pool not in pool_names:
            raise ValueError(
                f"default_pool {self.default_pool!r} is not one of the pools {sorted(pool_names)}"
            )
        for pool in self.pools:
            missing = [m for m in (*pool.models, pool.default_model) if m not in names]
            if missing:
                raise ValueError(f"pool {pool.name!r} names models missing from the catalog: {missing}")
            if names[pool.default_model].family not in CHECKPOINT_FAMILIES:
                raise ValueError(f"pool {pool.name!r}: default_model must be an sd15 or sdxl checkpoint")
        return self

    def find(self, name: str) -> ModelEntry | None:
        """A model by name or alias. A1111 clients also send titles such as `name.safetensors [hash]`."""
        return find_model(self.models, name)

    def style(self, name: str) -> Style | None:
        return next((s for s in self.styles if s.name == name), None)

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    def pool_for_model(self, model: str) -> Pool | None:
        """The pool serving a checkpoint: the default pool if it has it, else the first that does."""
        entry = self.find(model)
        if entry is None:
            return None
        ordered = sorted(self.pools, key=lambda p: p.name != self.default_pool)
        return next((p for p in ordered if entry.name in p.models), None)

    def in_pool(self, pool: Pool, family: Family | None = None) -> list[ModelEntry]:
        entries = [e for e in self.models if e.name in pool.models]
        return [e for e in entries if family is None or e.family == family]
