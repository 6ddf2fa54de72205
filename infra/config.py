"""Typed deployment configuration, read from `cdk.json` context (and `-c key=value` overrides).

Every key is validated at synth; a bad value stops the synth with a message naming the key and the reason.
docs/configuration.md documents every key. The catalog the Lambdas receive (`SDAPI_CATALOG`) is built here
and validated with the shared `sdapi.schema.Catalog` model, so the API and the endpoints agree on models.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sdapi.config import Limits
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family, ModelEntry, Pool
from sdapi.schema.prompt import Style

LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The values CloudWatch Logs accepts for a log group's retention."""

_CDK_CONTEXT_PREFIXES = (
    "@aws-cdk/",
    "aws:cdk:",
    "aws-cdk:",
    "cdk-",
    "acknowledged-issue-numbers",
    "@aws-cdk",
)


def log_retention(days: int):
    """CDK's RetentionDays member for a number of days (one of LOG_RETENTION_DAYS)."""
    from aws_cdk import aws_logs as logs

    members = [m for m in logs.RetentionDays if m is not logs.RetentionDays.INFINITE]
    return dict(zip(LOG_RETENTION_DAYS, members, strict=True))[days]


class ConfigError(ValueError):
    """The deployment configuration is invalid; the message names every bad key and why."""


class ModelConfig(BaseModel):
    """One model the deployment serves. Its files live under the pool's model prefix at `path`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Name clients use for the model.")
    family: Family = Field(description="sd15 | sdxl | sdxl-refiner | controlnet | vae | face-restorer | ...")
    base: Family | None = Field(default=None, description="For ControlNets and VAEs: the family they fit.")
    path: str = Field(
        min_length=1,
        description="Folder of the model relative to the pool's model prefix (the S3 path of the model is "
        "`<model_data_url><path>/`; inside the container it is `/opt/ml/model/<path>`).",
    )
    hash: str | None = Field(default=None, description="Short hash shown as A1111's `sd_model_hash`.")
    aliases: tuple[str, ...] = Field(default=(), description="Other names accepted for this model.")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        value = value.strip("/")
        if not value or ".." in value.split("/") or value.startswith("s3:"):
            raise ValueError("must be a folder relative to the pool's model prefix (no '..', no s3:// URI)")
        return value


class PoolConfig(BaseModel):
    """A model pool: one SageMaker async endpoint. Unset fields take the deployment-wide value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="RunPod `{endpoint}` path segment.")
    models: tuple[str, ...] | None = Field(
        default=None, description="Models this pool serves (default: all)."
    )
    default_model: str | None = Field(default=None, description="Default checkpoint of the pool.")
    instance_type: str | None = Field(default=None, pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    min_instances: int | None = Field(default=None, ge=0, le=100)
    max_instances: int | None = Field(default=None, ge=1, le=100)
    max_concurrent_invocations: int | None = Field(default=None, ge=1, le=1000)
    model_data_url: str | None = Field(
        default=None,
        pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/(.+/)?$",
        description="S3 prefix (ending in '/') mounted at /opt/ml/model; default: the stack's bucket, "
        "`models/<pool>/`.",
    )


def _default_models() -> tuple[ModelConfig, ...]:
    return (ModelConfig(name="sd_xl_base_1.0", family=Family.SDXL, path="sd_xl_base_1.0"),)


class DeployConfig(BaseModel):
    """Every setting of a deployment (context keys are the field names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(
        default="sdapi",
        pattern=r"^[a-z][a-z0-9-]{0,19}$",
        description="Prefix of named resources (endpoints).",
    )
    instance_type: str = Field(default="ml.g5.xlarge", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    min_instances: int = Field(default=0, ge=0, le=100)
    max_instances: int = Field(default=1, ge=1, le=100)
    scale_in_idle_minutes: int = Field(default=15, ge=1, le=1440)
    backlog_per_instance_target: float = Field(default=2.0, gt=0, le=1000)
    max_concurrent_invocations: int = Field(default=1, ge=1, le=1000)
    model_download_timeout_s: int = Field(default=1800, ge=60, le=3600)
    startup_health_timeout_s: int = Field(default=1200, ge=60, le=3600)
    serving_pools: tuple[str, ...] | None = Field(
        default=None,
        description="Pools whose SageMaker endpoints are deployed; default: every pool. `make deploy` sets "
        "it to the pools whose models are staged (infra/deploy_plan.py), so a first deploy never creates an "
        "endpoint over an empty model prefix. On the command line: comma-separated names, '-' for none.",
    )
    completion_reserved_concurrency: int | None = Field(
        default=5, ge=1, le=1000, description="Reserved concurrency of the completion Lambda (null: none)."
    )
    events_reserved_concurrency: int | None = Field(
        default=2, ge=1, le=1000, description="Reserved concurrency of the events Lambda (null: none)."
    )
    waf_rate_limit: int | None = Field(
        default=None,
        ge=10,
        le=2_000_000_000,
        description="Attach a WAF web ACL to the API stage that blocks an IP above this many requests per "
        "5 minutes (billed per web ACL and request); null: no WAF.",
    )
    inference_ami_version: str = Field(
        default="al2-ami-sagemaker-inference-gpu-3-1",
        pattern=r"^al2[a-z0-9-]*-ami-sagemaker-inference-gpu-[0-9-]+$",
        description="SageMaker GPU AMI of the endpoints (NVIDIA driver 550 / CUDA 12.4 by default; the "
        "image's CUDA 12.8 PyTorch runs on it by CUDA minor-version compatibility).",
    )
    models: tuple[ModelConfig, ...] = Field(default_factory=_default_models, min_length=1)
    default_model: str = "sd_xl_base_1.0"
    pools: tuple[PoolConfig, ...] = Field(default=(PoolConfig(name="default"),), min_length=1)
    default_pool: str = "default"
    throttle_rate: float = Field(default=20.0, gt=0, le=10000, description="Stage steady-state requests/s.")
    throttle_burst: int = Field(default=40, ge=1, le=5000)
    quota_limit: int | None = Field(default=None, ge=1, description="Usage-plan quota (requests per period).")
    quota_period: typing.Literal["DAY", "WEEK", "MONTH"] = "DAY"
    api_keys_required: bool = Field(
        default=False, description="Also require an API Gateway key (x-api-key) so the usage plan applies."
    )
    cors_origins: tuple[str, ...] = Field(default=(), description="Allowed CORS origins; empty = CORS off.")
    input_retention_days: int = Field(default=7, ge=1)
    output_retention_days: int = Field(default=30, ge=1)
    upload_retention_days: int = Field(default=1, ge=1)
    async_retention_days: int = Field(default=7, ge=1)
    job_retention_days: int = Field(default=30, ge=1)
    presign_expiry_s: int = Field(default=3600, ge=60, le=604800)
    sync_wait_s: float = Field(
        default=25.0,
        ge=0,
        le=28,
        description="Longest wait of a synchronous route on the REST API (under API Gateway's 29 s).",
    )
    sync_url_timeout_s: int = Field(
        default=900,
        ge=30,
        le=900,
        description="Timeout of the long-wait function behind the `SyncUrl` function URL: its synchronous "
        "routes wait up to this less 3 s.",
    )
    sync_url_reserved_concurrency: int | None = Field(
        default=10,
        ge=1,
        le=1000,
        description="Reserved concurrency of the long-wait function: at most this many requests on the "
        "`SyncUrl` at once (further ones are throttled with 429); null: none.",
    )
    cold_start_s: int = Field(
        default=480, ge=0, le=3600, description="Expected scale-from-zero time for wait estimates."
    )
    limits: Limits = Field(default_factory=Limits)
    styles: tuple[Style, ...] = Field(
        default=(), description="A1111 prompt styles (name, prompt, negative_prompt) requests may name."
    )
    log_retention_days: int = 30
    alarm_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    oldest_job_alarm_s: int = Field(default=900, ge=60)
    domain_name: str | None = Field(default=None, pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$"
    )
    private_egress: bool = Field(
        default=False,
        description="Run the inference endpoints in a VPC with S3 and DynamoDB gateway endpoints and no "
        "internet route (infra/egress.py).",
    )

    @field_validator("serving_pools", mode="before")
    @classmethod
    def _pool_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # `-c serving_pools=a,b` (or '-' for none) from `make deploy`
            return () if value.strip() == "-" else tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {list(LOG_RETENTION_DAYS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DeployConfig:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"models: duplicate names {duplicates}")
        by_name = {m.name: m for m in self.models}
        if self.default_model not in by_name:
            raise ValueError(f"default_model {self.default_model!r} is not one of the models {names}")
        if by_name[self.default_model].family not in CHECKPOINT_FAMILIES:
            raise ValueError(f"default_model {self.default_model!r} must be an sd15 or sdxl checkpoint")
        pool_names = [p.name for p in self.pools]
        if len(set(pool_names)) != len(pool_names):
            raise ValueError(f"pools: duplicate names {pool_names}")
        if self.default_pool not in pool_names:
            raise ValueError(f"default_pool {self.default_pool!r} is not one of the pools {pool_names}")
        unknown_serving = sorted(set(self.serving_pools or ()) - set(pool_names))
        if unknown_serving:
            raise ValueError(f"serving_pools {unknown_serving} are not among the pools {pool_names}")
        for pool in self.pools:
            low, high = self.pool_min(pool), self.pool_max(pool)
            if low > high:
                raise ValueError(f"pool {pool.name!r}: min_instances ({low}) exceeds max_instances ({high})")
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("domain_name and certificate_arn must be set together")
        for pool in self.pools:
            if len(self.endpoint_name(pool)) > 63:
                raise ValueError(f"endpoint name {self.endpoint_name(pool)!r} is longer than 63 characters")
        self.catalog()  # raises with the shared model's message when models and pools disagree
        return self

    # -- derived values ------------------------------------------------------------------------------------

    def pool_models(self, pool: PoolConfig) -> tuple[str, ...]:
        return pool.models if pool.models is not None else tuple(m.name for m in self.models)

    def pool_default_model(self, pool: PoolConfig) -> str:
        if pool.default_model:
            return pool.default_model
        models = self.pool_models(pool)
        if self.default_model in models:
            return self.default_model
        by_name = {m.name: m for m in self.models}
        checkpoint = next(
            (n for n in models if n in by_name and by_name[n].family in CHECKPOINT_FAMILIES), None
        )
        return checkpoint or self.default_model

    def serves(self, pool: PoolConfig) -> bool:
        """Whether the pool's endpoint is deployed (its models are staged)."""
        return self.serving_pools is None or pool.name in self.serving_pools

    def pool_instance_type(self, pool: PoolConfig) -> str:
        return pool.instance_type or self.instance_type

    def pool_min(self, pool: PoolConfig) -> int:
        return self.min_instances if pool.min_instances is None else pool.min_instances

    def pool_max(self, pool: PoolConfig) -> int:
        return self.max_instances if pool.max_instances is None else pool.max_instances

    def pool_concurrency(self, pool: PoolConfig) -> int:
        return pool.max_concurrent_invocations or self.max_concurrent_invocations

    def endpoint_name(self, pool: PoolConfig) -> str:
        return f"{self.name_prefix}-{pool.name}"

    def catalog(self) -> Catalog:
        """The deployment's catalog in the shared contract's model (validated)."""
        try:
            return Catalog(
                models=tuple(
                    ModelEntry(
                        name=m.name, family=m.family, base=m.base, path=m.path, hash=m.hash, aliases=m.aliases
                    )
                    for m in self.models
                ),
                pools=tuple(
                    Pool(
                        name=p.name,
                        endpoint_name=self.endpoint_name(p),
                        default_model=self.pool_default_model(p),
                        models=self.pool_models(p),
                        max_concurrency=self.pool_concurrency(p),
                    )
                    for p in self.pools
                ),
                default_pool=self.default_pool,
                styles=self.styles,
            )
        except ValidationError as error:
            reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
            raise ValueError(f"models/pools do not form a valid catalog: {reasons}") from None

    def container_catalog(self, pool: PoolConfig) -> list[dict[str, Any]]:
        """The pool's `catalog.json` (the container's format: a list of ModelEntry with `path`)."""
        wanted = set(self.pool_models(pool))
        return [
            ModelEntry(
                name=m.name, family=m.family, base=m.base, path=m.path, hash=m.hash, aliases=m.aliases
            ).model_dump(mode="json", exclude_none=True, exclude={"title"})
            for m in self.models
            if m.name in wanted
        ]

    # -- loading ------------------------------------------------------------------------------------------

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DeployConfig:
        """Validate the context (values from `cdk.json` or `-c key=value`; JSON strings are decoded)."""
        values: dict[str, Any] = {}
        unknown = []
        for key, raw in context.items():
            if key.startswith(_CDK_CONTEXT_PREFIXES):
                continue
            if key not in cls.model_fields:
                unknown.append(key)
                continue
            values[key] = _decode(raw, cls.model_fields[key].annotation)
        if unknown:
            raise ConfigError(
                f"unknown context key(s) {sorted(unknown)}; known keys: {sorted(cls.model_fields)} "
                "(see docs/configuration.md)"
            )
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            lines = []
            for item in error.errors():
                where = ".".join(str(p) for p in item["loc"]) or "(configuration)"
                lines.append(f"  context key {where!r}: {item['msg'].removeprefix('Value error, ')}")
            raise ConfigError("invalid deployment configuration:\n" + "\n".join(lines)) from None


def _decode(raw: Any, annotation: Any) -> Any:
    """`-c` overrides arrive as strings: decode JSON for structured and numeric keys; 'null' clears."""
    if not isinstance(raw, str):
        return raw
    if raw.strip().lower() in ("null", "none", ""):
        return None if _optional(annotation) else raw
    if _wants_str(annotation):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _wants_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return str in typing.get_args(annotation)
    return False


def camel(name: str) -> str:
    """`my-pool` → `MyPool` (for construct ids and output names)."""
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]", name) if part)
