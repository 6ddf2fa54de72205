"""The task request models (`POST /v1alpha2`) and `TaskSubmit`, what either version asks for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.schema.handling import applied
from sdapi.schema.job import Task


class TaskMetadata(BaseModel):
    """Routing fields of a v1alpha2 task."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        description="Task id chosen by the caller (letters, digits, . _ -; at most 64).",
        json_schema_extra=applied(),
    )
    runtime: str = Field(
        description="Runtime: a pool name or a checkpoint name.", json_schema_extra=applied()
    )
    tasktype: Literal["text-to-image", "image-to-image", "extra-single-image"] = Field(
        description="What to run (`extra-single-image`: the content is A1111's extras request).",
        json_schema_extra=applied(),
    )
    prefix: str | None = Field(
        default=None,
        description="Output folder: images land in {prefix}/{id}/ from the bucket's root.",
        json_schema_extra=applied(),
    )
    context: Any = Field(
        default=None,
        description="Anything; echoed in the status and the callback.",
        json_schema_extra=applied(),
    )


class TaskSpec(BaseModel):
    """A v1alpha2 task: its routing fields and its A1111 payload."""

    model_config = ConfigDict(extra="forbid")

    metadata: TaskMetadata = Field(description="Routing fields.", json_schema_extra=applied())
    content: dict[str, Any] = Field(
        default_factory=dict,
        description="An A1111 txt2img/img2img payload; `alwayson_scripts.image_link` is downloaded.",
        json_schema_extra=applied("validated as the A1111 payload of the task type"),
    )


class V1Alpha2Request(BaseModel):
    """Body of `POST /v1alpha2`."""

    model_config = ConfigDict(extra="forbid")

    task: TaskSpec = Field(description="The task.", json_schema_extra=applied())


class TaskSubmit(BaseModel):
    """A task request after looking at its version: what `to_job` needs."""

    version: Literal["v1alpha1", "v1alpha2"]
    id: str
    runtime: str | None
    task: Task
    prefix: str | None
    context: Any = None
    content: dict[str, Any]
    model: str | None
    content_prefix: str
    """Where the A1111 payload sits in the caller's body (`task.content.` or "")."""
