"""The RunPod request and response models (`/run`, `/runsync`, `/status` bodies)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects.a1111.models import Img2ImgRequest, Txt2ImgRequest


class RunPodApi(BaseModel):
    """Which A1111 route the community worker should call."""

    model_config = ConfigDict(extra="allow")

    method: str = Field(default="POST", description="POST for txt2img/img2img, GET for listings.")
    endpoint: str = Field(description='A1111 route, e.g. "/sdapi/v1/txt2img" or "/sdapi/v1/samplers".')


class RunPodPolicy(BaseModel):
    """RunPod's execution policy: time limits in milliseconds."""

    model_config = ConfigDict(extra="allow")

    executionTimeout: int | None = Field(
        default=None, description="Milliseconds of work allowed (default 600000)."
    )
    ttl: int | None = Field(default=None, description="Milliseconds the job may wait (at most 21600000).")
    lowPriority: bool | None = Field(default=None, description="Accepted; has no effect.")


class RunPodRequest(BaseModel):
    """Body of `/run` and `/runsync`."""

    model_config = ConfigDict(extra="allow")

    input: dict[str, Any] = Field(
        description="Either an A1111 txt2img/img2img payload, or {api: {method, endpoint}, payload: {...}}.",
        examples=[
            {"api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"}, "payload": {"prompt": "a cat"}}
        ],
    )
    webhook: str | None = Field(
        default=None, description="https URL POSTed the /status body when the job ends."
    )
    policy: RunPodPolicy | None = None


class RunPodCall(BaseModel):
    """What a `/run` body asks for, after looking at its shape."""

    route: str
    payload: Txt2ImgRequest | Img2ImgRequest | None = None
    prefix: str = "input."


class RunPodStatus(BaseModel):
    """`/status`, `/runsync`, `/cancel` and `/retry` answers (and the webhook body)."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]
    delayTime: int | None = Field(default=None, description="Milliseconds queued.")
    executionTime: int | None = Field(default=None, description="Milliseconds of work.")
    output: Any = Field(default=None, description="The A1111 response {images, info, parameters}.")
    error: str | None = None
