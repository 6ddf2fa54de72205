"""Typed container configuration: the only place the container reads `os.environ`.

Variables (docs/architecture.md): SDAPI_JOBS_TABLE, SDAPI_BUCKET, SDAPI_MODEL_ROOT, SDAPI_DEFAULT_MODEL,
SDAPI_DEVICE, SDAPI_DTYPE, SDAPI_COMPILE, SDAPI_PROGRESS_INTERVAL_S, SAGEMAKER_BIND_TO_PORT. AWS endpoints are
not configured here: boto3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_ENV = {
    "jobs_table": "SDAPI_JOBS_TABLE",
    "bucket": "SDAPI_BUCKET",
    "model_root": "SDAPI_MODEL_ROOT",
    "default_model": "SDAPI_DEFAULT_MODEL",
    "device": "SDAPI_DEVICE",
    "dtype": "SDAPI_DTYPE",
    "compile": "SDAPI_COMPILE",
    "progress_interval_s": "SDAPI_PROGRESS_INTERVAL_S",
    "port": "SAGEMAKER_BIND_TO_PORT",
    "host": "SDAPI_BIND_HOST",
    "max_loaded_models": "SDAPI_MAX_LOADED_MODELS",
    "warmup": "SDAPI_WARMUP",
    "region": "AWS_REGION",
}


class ContainerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    jobs_table: str | None = Field(default=None, description="SDAPI_JOBS_TABLE; None: no job-item updates.")
    bucket: str | None = Field(default=None, description="SDAPI_BUCKET; outputs are written here.")
    model_root: Path = Field(
        default=Path("/opt/ml/model"), description="SDAPI_MODEL_ROOT (holds catalog.json)."
    )
    default_model: str | None = Field(
        default=None, description="SDAPI_DEFAULT_MODEL; None: the first sd15/sdxl checkpoint of the catalog."
    )
    device: str = Field(
        default="auto", description="SDAPI_DEVICE: auto (cuda if available), cuda, cuda:1, cpu."
    )
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = Field(
        default="auto", description="SDAPI_DTYPE: auto = float16 on CUDA, float32 on CPU."
    )
    compile: bool = Field(
        default=False, description="SDAPI_COMPILE=1: torch.compile the UNet, warmed at start."
    )
    progress_interval_s: float = Field(default=1.0, ge=0, description="SDAPI_PROGRESS_INTERVAL_S.")
    port: int = Field(default=8080, ge=0, le=65535, description="SAGEMAKER_BIND_TO_PORT.")
    host: str = Field(default="0.0.0.0", description="SDAPI_BIND_HOST (SageMaker needs 0.0.0.0).")
    max_loaded_models: int = Field(
        default=0,
        ge=0,
        description="SDAPI_MAX_LOADED_MODELS: 0 = as many as fit in the accelerator's memory.",
    )
    warmup: bool = Field(default=True, description="SDAPI_WARMUP=0 skips the warm-up generation at start.")
    region: str | None = Field(default=None, description="AWS_REGION or AWS_DEFAULT_REGION (boto3 clients).")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ContainerConfig:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field, var in _ENV.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            if field in ("compile", "warmup"):
                values[field] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[field] = raw
        if "region" not in values and env.get("AWS_DEFAULT_REGION"):
            values["region"] = env["AWS_DEFAULT_REGION"]
        return cls.model_validate(values)

    def torch_device(self):
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def torch_dtype(self):
        import torch

        if self.dtype == "auto":
            return torch.float16 if self.torch_device().type == "cuda" else torch.float32
        return getattr(torch, self.dtype)
