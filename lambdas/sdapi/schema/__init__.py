"""The shared contract between the Lambdas and the inference container.

Only pydantic, lark and the standard library may be imported here: the container image copies this folder in.
"""

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
