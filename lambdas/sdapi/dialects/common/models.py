"""Which pool and checkpoint a request runs on, the first catalog entry of a family in a pool, and the default
upscaler."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family, Pool
from sdapi.schema.upscaling import LANCZOS

NO_MODEL = ("none", "automatic")
"""Model names that mean "the pool's default checkpoint" (as A1111 shows them)."""


@dataclass(frozen=True)
class ModelChoice:
    """The pool a job runs on and its checkpoint."""

    pool: Pool
    model: str


def choose_model(
    catalog: Catalog, model: str | None, *, pool_name: str | None = None, field_name: str = "model"
) -> ModelChoice:
    """Return the pool and checkpoint for a request: the named checkpoint (in the named pool, if any), else
    the pool's default checkpoint. Unknown names are a 400 listing what the deployment has."""
    pool = catalog.pool(pool_name) if pool_name else None
    if pool_name and pool is None:
        raise InvalidRequest.field("pool", f"unknown pool {pool_name!r}; available: {_names(catalog.pools)}")
    if not model or model.strip().lower() in NO_MODEL:
        chosen = pool or catalog.pool(catalog.default_pool)
        assert chosen is not None  # Catalog validates default_pool
        return ModelChoice(chosen, chosen.default_model)
    entry = catalog.find(model)
    if entry is None or entry.family not in CHECKPOINT_FAMILIES:
        available = [e.name for e in catalog.models if e.family in CHECKPOINT_FAMILIES]
        what = "is not a checkpoint" if entry else "is not in this deployment's catalog"
        raise InvalidRequest.field(field_name, f"model {model!r} {what}; available checkpoints: {available}")
    if pool is not None:
        if entry.name not in pool.models:
            raise InvalidRequest.field(
                field_name,
                f"model {entry.name!r} is not served by pool {pool.name!r}; it has: {list(pool.models)}",
            )
        return ModelChoice(pool, entry.name)
    found = catalog.pool_for_model(entry.name)
    if found is None:
        raise InvalidRequest.field(field_name, f"model {entry.name!r} is in no pool of this deployment")
    return ModelChoice(found, entry.name)


def first_of_family(catalog: Catalog, pool: Pool, family: Family) -> str | None:
    """Return the name of the pool's first catalog entry of `family`, or None when it has none."""
    found = catalog.in_pool(pool, family)
    return found[0].name if found else None


def default_upscaler(catalog: Catalog, pool: Pool) -> str:
    """The upscaler an after-generation upscale uses when the request names none: the pool's first
    `upscaler` model, else A1111's built-in Lanczos (no weights needed)."""
    return first_of_family(catalog, pool, Family.UPSCALER) or LANCZOS


def _names(items: Iterable[Any]) -> list[str]:
    return [item.name for item in items]
