"""The task request models (`POST /v1alpha2`) and `TaskSubmit`, what either version asks for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.schema.job import Task


class TaskMetadata(BaseModel):
    """Routing fields of a v1alpha2 task."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Task id chosen by the caller (letters, digits, . _ -; at most 64).")
    runtime: str = Field(description="Runtime: a pool name or a checkpoint name.")
    tasktype: Literal["text-to-image", "image-to-image"] = Field(description="What to run.")
    prefix: str | None = Field(
        default=None, description="Output folder: images land in outputs/{prefix}/{id}/."
    )
    context: Any = Field(default=None, description="Anything; echoed in the status and notification.")


class TaskSpec(BaseModel):
    """A v1alpha2 task: its routing fields and its A1111 payload."""

    metadata: TaskMetadata
    content: dict[str, Any] = Field(
        default_factory=dict,
        description="An A1111 txt2img/img2img payload; `alwayson_scripts.image_link` is downloaded.",
    )


class V1Alpha2Request(BaseModel):
    """Body of `POST /v1alpha2`."""

    task: TaskSpec


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
