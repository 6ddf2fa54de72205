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
    compile: bool | None = Field(
        default=None,
        description="SDAPI_COMPILE: torch.compile the UNet and VAE decoder and warm the compile buckets "
        "before /ping (see inference_container/compilation.py); unset = on when the device is CUDA, 0 = off.",
    )
    compile_mode: Literal["max-autotune-no-cudagraphs", "max-autotune", "reduce-overhead", "default"] = Field(
        default="max-autotune-no-cudagraphs",
        description="SDAPI_COMPILE_MODE: inductor mode; max-autotune and reduce-overhead add CUDA graphs.",
    )
    compile_sizes: str = Field(
        default="",
        pattern=r"^(\d+x\d+(,\d+x\d+)*)?$",
        description="SDAPI_COMPILE_SIZES: WIDTHxHEIGHT[,...] warmed before /ping; empty = the default "
        "model's native square (1024x1024 SDXL, 512x512 SD1.5) and 512x512 (a request without a size).",
    )
    compile_warmup_budget_s: float = Field(
        default=900.0,
        gt=0,
        description="SDAPI_COMPILE_WARMUP_BUDGET_S: no further bucket is compiled after this many seconds of "
        "warm-up (the rest run eager), so a cold compile cache never outlasts the health-check timeout.",
    )
    compile_cache_dir: Path | None = Field(
        default=None,
        description="SDAPI_COMPILE_CACHE_DIR: where the portable compile cache is read from before a warm-up "
        "and written after one (default: <temp dir>/sdapi-compile-cache).",
    )
    compile_cache_prefix: str | None = Field(
        default=None,
        pattern=r"^([A-Za-z0-9._-]+/)+$",
        description="SDAPI_COMPILE_CACHE_PREFIX: key prefix in SDAPI_BUCKET of the pool's compile cache: "
        "fetched at start when SDAPI_COMPILE_CACHE_DIR lacks the file, uploaded after a warm-up that "
        "compiled (infra: compile-cache/<pool>/, the only reserved folder the container may write).",
    )
    vae_bfloat16: bool | None = Field(
        default=None,
        description="SDAPI_VAE_BFLOAT16: keep SDXL VAEs that ask for an fp32 upcast in bfloat16 instead; "
        "unset = on for CUDA fp16 on cards with bf16.",
    )
    preload_refiner: bool = Field(
        default=True,
        description="SDAPI_PRELOAD_REFINER: with an SDXL default model, load (and warm) the catalog's first "
        "SDXL refiner before /ping.",
    )
    tf32: bool = Field(
        default=False, description="SDAPI_TF32: TF32 matmuls/convolutions (off until measured)."
    )
    cudnn_benchmark: bool = Field(
        default=False, description="SDAPI_CUDNN_BENCHMARK: cuDNN autotuning (off until measured)."
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

    def compiles(self) -> bool:
        """Whether the container compiles: SDAPI_COMPILE, else on CUDA only."""
        return self.compile if self.compile is not None else self.torch_device().type == "cuda"

    def compile_sizes_list(self) -> list[tuple[int, int]]:
        return [tuple(int(n) for n in size.split("x")) for size in self.compile_sizes.split(",") if size]

    def compile_cache_path(self) -> Path:
        import tempfile

        return self.compile_cache_dir or Path(tempfile.gettempdir()) / "sdapi-compile-cache"

    def torch_dtype(self):
        import torch

        if self.dtype == "auto":
            return torch.float16 if self.torch_device().type == "cuda" else torch.float32
        return getattr(torch, self.dtype)
