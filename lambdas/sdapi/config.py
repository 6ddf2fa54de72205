"""Typed configuration. Handlers build `Settings.from_env()` once per cold start and pass it down;
nothing else reads `os.environ`.

`Settings` is a pydantic-settings model (`sdapi.schema.settings.EnvModel`): field `x` is the variable
`SDAPI_X`, `catalog` and `limits` are JSON. `infra/` (which sets them on each Lambda) and `local/` (which
sets them for the embedded stack) build a `Settings` and take its `to_env()`, so no name is typed twice.

AWS endpoints are not configured here: boto3 reads the standard `AWS_ENDPOINT_URL` /
`AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local stack points the unchanged code at moto and
the SageMaker emulator.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from sdapi.schema.catalog import Catalog
from sdapi.schema.settings import EnvModel

LAMBDA_EVENT_BYTES = 6 * 1024 * 1024
"""Lambda's synchronous invocation payload limit: the whole API Gateway event (body, headers, context)."""
MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest body that fits in that event even base64-encoded (4 MiB x 4/3 = 5.33 MiB), with ~0.6 MiB left
for headers and the request context."""


class Limits(BaseModel):
    """Per-deployment request limits (documented in README; each breach is a 4xx naming the field)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_width: int = Field(default=2048, ge=64, le=4096, description="Largest width, pixels (multiple of 8).")
    max_height: int = Field(
        default=2048, ge=64, le=4096, description="Largest height, pixels (multiple of 8)."
    )
    max_pixels: int = Field(default=2048 * 2048, description="Largest width x height.")
    max_steps: int = Field(default=150, ge=1, le=150)
    max_batch_size: int = Field(default=8, ge=1, le=16)
    max_images: int = Field(default=16, ge=1, le=64, description="Largest batch_size x n_iter.")
    max_prompt_chars: int = Field(default=8000, ge=1, le=20000)
    max_controlnet_units: int = Field(default=3, ge=0, le=8)
    max_image_bytes: int = Field(default=8 * 1024 * 1024, description="Largest decoded input image, bytes.")
    max_image_pixels: int = Field(default=4096 * 4096, description="Largest input image, pixels.")
    max_body_bytes: int = Field(
        default=MAX_BODY_BYTES,
        ge=1024,
        le=MAX_BODY_BYTES,
        description="Largest request body, bytes (decoded). At most 4 MiB: Lambda refuses an event above "
        "6 MB as a whole, and API Gateway passes binary bodies base64-encoded (4/3 larger), so a larger "
        "limit could never be the one that answers.",
    )


class Settings(EnvModel):
    """Everything a Lambda needs to know about its deployment: field `x` is variable `SDAPI_X`."""

    model_config = SettingsConfigDict(env_prefix="SDAPI_", frozen=True, extra="ignore")

    jobs_table: str = Field(description="SDAPI_JOBS_TABLE")
    keys_table: str = Field(description="SDAPI_KEYS_TABLE")
    bucket: str = Field(description="SDAPI_BUCKET")
    catalog: Catalog = Field(description="SDAPI_CATALOG (JSON)")
    limits: Limits = Field(default_factory=Limits, description="SDAPI_LIMITS (JSON)")
    events_topic_arn: str | None = Field(default=None, description="SDAPI_EVENTS_TOPIC_ARN")
    webhook_queue_url: str | None = Field(default=None, description="SDAPI_WEBHOOK_QUEUE_URL")
    presign_expiry_s: int = Field(default=3600, ge=60, le=604800, description="SDAPI_PRESIGN_EXPIRY_S")
    sync_wait_s: float = Field(
        default=25.0,
        ge=0,
        le=900,
        description="SDAPI_SYNC_WAIT_S: the longest a synchronous route waits (never past the invocation's "
        "remaining time less 3 s); the long-wait function sets its own timeout here.",
    )
    v3_wait_s: float = Field(
        default=2.0, ge=0, le=25, description="SDAPI_V3_WAIT_S: v3 waits this long, then answers processing."
    )
    rate_table: str | None = Field(
        default=None,
        description="SDAPI_RATE_TABLE: per-key request counters; set on the long-wait function only (API "
        "Gateway throttles the REST path), which then admits `key_rate_per_s` / `key_burst` per key.",
    )
    key_rate_per_s: float = Field(default=20.0, gt=0, le=10000, description="SDAPI_KEY_RATE_PER_S")
    key_burst: int = Field(default=40, ge=1, le=5000, description="SDAPI_KEY_BURST")
    job_retention_days: int = Field(default=30, ge=1, description="SDAPI_JOB_RETENTION_DAYS")
    output_retention_days: int = Field(default=30, ge=1, description="SDAPI_OUTPUT_RETENTION_DAYS")
    allow_loopback_urls: bool = Field(
        default=False, description="SDAPI_ALLOW_LOOPBACK_URLS (local mode only)"
    )
    allow_http_urls: bool = Field(default=False, description="SDAPI_ALLOW_HTTP_URLS (local mode only)")
    webhook_max_attempts: int = Field(default=8, ge=1, le=50, description="SDAPI_WEBHOOK_MAX_ATTEMPTS")
    webhook_window_s: int = Field(default=3600, ge=10, description="SDAPI_WEBHOOK_WINDOW_S")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60, description="SDAPI_WEBHOOK_TIMEOUT_S")
    url_fetch_timeout_s: float = Field(default=10.0, gt=0, le=60, description="SDAPI_URL_FETCH_TIMEOUT_S")
    cold_start_s: int = Field(
        default=300, ge=0, description="SDAPI_COLD_START_S: expected scale-from-zero time for wait estimates."
    )
