"""The local stack's own environment (`make local` / `python -m local`), one pydantic-settings model.

Field `x` is the variable `SDAPI_X` (docs/local.md lists them). Scripts and tests that start the stack as a
subprocess build a `LocalEnvironment` and pass its `to_env(exclude_unset=True)`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sdapi.schema.settings import EnvModel


class LocalEnvironment(EnvModel):
    """What the process environment may set for the local stack; empty variables count as unset."""

    model_config = SettingsConfigDict(env_prefix="SDAPI_", env_ignore_empty=True, frozen=True, extra="ignore")

    port: int = Field(default=3000, ge=0, le=65535, description="API port (also `--port`).")
    local_model_dir: Path | None = Field(
        default=None, description="Serve real diffusers models from this folder (also `--model-dir`)."
    )
    local_cache: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "sdapi",
        description="Where tiny models and derived model roots go (also `--cache`).",
    )
    local_key: str | None = Field(default=None, description="Fixes the dev API key (default: random).")
    local_webhook_secret: str | None = Field(
        default=None, description="Fixes the dev key's `whsec_…` webhook signing secret (default: random)."
    )
    allow_loopback_urls: bool = Field(
        default=False, description="Image and webhook URLs may point at 127.0.0.1 over plain http."
    )
    allow_http_urls: bool = Field(default=False, description="Plain http for URL inputs.")
    device: str = Field(default="auto", description="The inference server's device (also `--device`).")
    dtype: str = Field(default="auto", description="The inference server's dtype.")
    progress_interval_s: float = Field(
        default=0.5, ge=0, description="How often the inference server records progress, seconds."
    )
    local_log_level: str = Field(default="INFO", description="Log level of the stack's own loggers.")
    sync_url_port: int = Field(
        default=3001,
        ge=0,
        le=65535,
        description="Port of the long-wait URL (the function URL's stand-in; 0: a free port).",
    )
    local_rest_timeout_s: float = Field(
        default=29.0,
        gt=0,
        le=29.0,
        description="The REST gateway's integration timeout: an answer not ready by then is API Gateway's "
        '504 `{"message": "Endpoint request timed out"}` (deployed: 29 s).',
    )
    local_rest_max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        description="The REST gateway's request body limit: a larger body is API Gateway's 413 (deployed: "
        "10 MB).",
    )
    local_sync_url_timeout_s: float = Field(
        default=900.0,
        gt=0,
        le=900.0,
        description="The long-wait function's timeout: its synchronous routes wait up to this less 3 s "
        "(deployed: `sync_url_timeout_s`, 900 s).",
    )
    local_invocation_delay_s: float = Field(
        default=0.0,
        ge=0,
        le=600,
        description="The SageMaker emulator holds each invocation this long before the model server sees "
        "it: a stand-in for an endpoint starting from zero (tests make slow jobs cheaply with it).",
    )

    @property
    def cache(self) -> Path:
        return self.local_cache.expanduser()
