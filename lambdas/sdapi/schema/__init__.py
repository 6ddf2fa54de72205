"""The shared contract between the Lambdas and the inference container.

Only pydantic, lark and the standard library may be imported here: the container image copies this folder in.

The names below load from their modules on first use (PEP 562 `__getattr__`), so that importing one
module of the package (e.g. `sdapi.schema.storable`) does not build every model of the contract.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sdapi.schema.catalog import Catalog, Family, ModelEntry, Pool
    from sdapi.schema.job import (
        SCHEMA_VERSION,
        TERMINAL_STATES,
        ControlMode,
        ControlNetUnit,
        Dialect,
        InpaintFill,
        Job,
        JobState,
        Mask,
        OutputOptions,
        Refiner,
        ResizeMode,
        Task,
        Timeouts,
        Webhook,
    )
    from sdapi.schema.manifest import Manifest, Timings
    from sdapi.schema.samplers import SAMPLERS, SCHEDULES, SamplerSpec, split_sampler_name

_HOMES = {
    "Catalog": "sdapi.schema.catalog",
    "ControlMode": "sdapi.schema.job",
    "ControlNetUnit": "sdapi.schema.job",
    "Dialect": "sdapi.schema.job",
    "Family": "sdapi.schema.catalog",
    "InpaintFill": "sdapi.schema.job",
    "Job": "sdapi.schema.job",
    "JobState": "sdapi.schema.job",
    "Manifest": "sdapi.schema.manifest",
    "Mask": "sdapi.schema.job",
    "ModelEntry": "sdapi.schema.catalog",
    "OutputOptions": "sdapi.schema.job",
    "Pool": "sdapi.schema.catalog",
    "Refiner": "sdapi.schema.job",
    "ResizeMode": "sdapi.schema.job",
    "SAMPLERS": "sdapi.schema.samplers",
    "SCHEDULES": "sdapi.schema.samplers",
    "SCHEMA_VERSION": "sdapi.schema.job",
    "SamplerSpec": "sdapi.schema.samplers",
    "TERMINAL_STATES": "sdapi.schema.job",
    "Task": "sdapi.schema.job",
    "Timeouts": "sdapi.schema.job",
    "Timings": "sdapi.schema.manifest",
    "Webhook": "sdapi.schema.job",
    "split_sampler_name": "sdapi.schema.samplers",
}

__all__ = [
    "SAMPLERS",
    "SCHEDULES",
    "SCHEMA_VERSION",
    "TERMINAL_STATES",
    "Catalog",
    "ControlMode",
    "ControlNetUnit",
    "Dialect",
    "Family",
    "InpaintFill",
    "Job",
    "JobState",
    "Manifest",
    "Mask",
    "ModelEntry",
    "OutputOptions",
    "Pool",
    "Refiner",
    "ResizeMode",
    "SamplerSpec",
    "Task",
    "Timeouts",
    "Timings",
    "Webhook",
    "split_sampler_name",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
