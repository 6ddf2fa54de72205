"""The RunPod request and response models (`/run`, `/runsync`, `/status` bodies)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects.a1111.models import (
    ExtrasBatchImagesRequest,
    ExtrasSingleImageRequest,
    Img2ImgRequest,
    Txt2ImgRequest,
)
from sdapi.schema.handling import applied, no_effect


class RunPodApi(BaseModel):
    """Which A1111 route the community worker should call."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(
        default="POST",
        description="POST for txt2img/img2img and the extras, GET for listings.",
        json_schema_extra=applied(),
    )
    endpoint: str = Field(
        description='A1111 route, e.g. "/sdapi/v1/txt2img", "/sdapi/v1/extra-single-image" or '
        '"/sdapi/v1/samplers" (the allow-list).',
        json_schema_extra=applied(),
    )


class RunPodPolicy(BaseModel):
    """RunPod's execution policy: time limits in milliseconds."""

    model_config = ConfigDict(extra="forbid")

    executionTimeout: int | None = Field(
        default=None,
        description="Milliseconds of work allowed (default 600000).",
        json_schema_extra=applied(),
    )
    ttl: int | None = Field(
        default=None,
        description="Milliseconds the job may wait (at most 21600000).",
        json_schema_extra=applied("capped at SageMaker's 6 h"),
    )
    lowPriority: bool | None = Field(
        default=None,
        description="RunPod: do not scale up for this job.",
        json_schema_extra=no_effect(
            "scaling follows the pool's backlog as a whole; one job does not hold scale-up back"
        ),
    )


class RunPodRequest(BaseModel):
    """Body of `/run` and `/runsync`."""

    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(
        json_schema_extra=applied("validated as the A1111 payload of the route it names"),
        description="Either an A1111 txt2img/img2img payload, or {api: {method, endpoint}, payload: {...}} "
        "(txt2img, img2img, extra-single-image, extra-batch-images, listings and the other A1111 calls).",
        examples=[
            {"api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"}, "payload": {"prompt": "a cat"}}
        ],
    )
    webhook: str | None = Field(
        default=None,
        description="https URL POSTed the /status body when the job ends.",
        json_schema_extra=applied(),
    )
    policy: RunPodPolicy | None = Field(default=None, description="Time limits.", json_schema_extra=applied())
    s3Config: dict[str, Any] | None = Field(
        default=None,
        description="RunPod: credentials for the worker's own uploads.",
        json_schema_extra=no_effect(
            "RunPod hands it to the worker, and the A1111 workers do not use it: images are stored in this "
            "deployment's bucket (never send credentials here)"
        ),
    )


class RunPodCall(BaseModel):
    """What a `/run` body asks for, after looking at its shape."""

    route: str
    method: str = "POST"
    payload: (
        Txt2ImgRequest | Img2ImgRequest | ExtrasSingleImageRequest | ExtrasBatchImagesRequest | None
    ) = None
    """The payload of a call that runs as a job (txt2img / img2img / the extras); None for a listing or
    another A1111 call."""
    body: Any = None
    """The raw payload of another A1111 call (options, png-info, ...)."""
    action: bool = False
    """A call answered at once for the caller's key (`submit.ACTIONS`)."""
    prefix: str = "input."


class RunPodStatus(BaseModel):
    """`/status`, `/runsync`, `/cancel` and `/retry` answers (and the webhook body)."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]
    delayTime: int | None = Field(default=None, description="Milliseconds queued.")
    executionTime: int | None = Field(default=None, description="Milliseconds of work.")
    output: Any = Field(
        default=None,
        description="The A1111 response: {images, parameters, info}; {html_info, image(s)} for the extras.",
    )
    error: str | None = None
