"""What the inference container answers for one job (small enough to ride inside the SNS notification)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.schema.job import SCHEMA_VERSION


class Timings(BaseModel):
    model_config = ConfigDict(extra="allow")

    load_s: float = Field(default=0.0, description="Seconds spent loading/switching models for this job.")
    inference_s: float = Field(default=0.0, description="Seconds of denoising and decoding.")
    lora_s: float = Field(default=0.0, description="Seconds applying the job's LoRAs (0 without LoRAs).")
    encode_s: float = Field(default=0.0, description="Seconds encoding the prompts (within inference_s).")
    total_s: float = Field(default=0.0, description="Seconds from reading the input to the last upload.")
    it_per_s: float | None = Field(default=None, description="Denoising iterations per second.")


class Manifest(BaseModel):
    """The `/invocations` answer for a job the container finished (or stopped because it was cancelled)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    job_id: str
    attempt: int = 0
    status: Literal["completed", "cancelled"] = Field(
        default="completed", description="`cancelled`: the job was cancelled before or while it ran."
    )
    images: list[str] = Field(
        default_factory=list,
        description="S3 keys of the generated images, in order, then any detected ControlNet maps.",
    )
    n_generated: int = Field(default=0, description="How many of `images` are generated (the rest are maps).")
    info: str = Field(default="", description="A1111 `info`: a JSON string (all_seeds, infotexts, …).")
    nsfw: list[bool] = Field(default_factory=list, description="Safety-checker verdict per generated image.")
    timings: Timings = Field(default_factory=Timings)
    started_at: float | None = None
    finished_at: float | None = None


class InvocationError(BaseModel):
    """The JSON body of a non-2xx `/invocations` answer; SageMaker stores it at the failure location."""

    error: str = Field(description="Human-readable reason, shown to the caller as the job's error.")
    type: str = Field(description="Exception class or error kind, e.g. `InvalidJob`, `OutOfMemory`.")
    job_id: str | None = None
