"""Typed container configuration: the only place the container reads `os.environ`.

`ContainerConfig` is a pydantic-settings model (`sdapi.schema.settings.EnvModel`, shipped in the image with
the rest of `sdapi.schema`): field `x` is the variable `SDAPI_X`, except `port` (`SAGEMAKER_BIND_TO_PORT`,
SageMaker's name), `host` (`SDAPI_BIND_HOST`) and `region` (`AWS_REGION`, else `AWS_DEFAULT_REGION`); empty
variables count as unset.
`infra/inference.py` and `local/stack.py` build one and take its `to_env()`. AWS endpoints are not
configured here: boto3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sdapi.schema.settings import EnvModel


class ContainerConfig(EnvModel):
    """Everything the inference server needs to know about its deployment."""

    model_config = SettingsConfigDict(
        env_prefix="SDAPI_",
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
    )

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
    port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("SAGEMAKER_BIND_TO_PORT"),
        description="SAGEMAKER_BIND_TO_PORT.",
    )
    host: str = Field(
        default="0.0.0.0",
        validation_alias=AliasChoices("SDAPI_BIND_HOST"),
        description="SDAPI_BIND_HOST (SageMaker needs 0.0.0.0).",
    )
    max_loaded_models: int = Field(
        default=0,
        ge=0,
        description="SDAPI_MAX_LOADED_MODELS: 0 = as many as fit in the accelerator's memory.",
    )
    warmup: bool = Field(default=True, description="SDAPI_WARMUP=0 skips the warm-up generation at start.")
    region: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        description="AWS_REGION or AWS_DEFAULT_REGION (boto3 clients).",
    )

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
