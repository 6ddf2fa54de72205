"""Fixtures shared by every kind of test.

- `catalog`, `settings`: the local catalog (pools `sdxl` default and `sd15`) and Lambda settings.
- `aws`: moto (`mock_aws`) with fake credentials in us-east-1 and every resource created by
  `local.resources.create_resources`; yields `LocalResources` (names, ARNs, URLs, `.settings`).
- `api_key`: a key made with `sdapi.auth.create_key` → `ApiKey(key, principal, webhook_secret)`.
- `service`: `JobService` on the real AWS adapters (against moto).
- `aws_calls`: records every AWS API call made through `sdapi.aws` clients as ("s3", "PutObject") pairs.
- `make_job`: builds a valid canonical `Job` (txt2img on `sd_xl_base_1.0`), keyword overrides applied.
- `png_b64`: a small PNG as bare base64.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.catalog import local_catalog
from sdapi.auth import Principal, create_key
from sdapi.config import Settings
from sdapi.ids import new_id
from sdapi.schema.catalog import Catalog
from sdapi.schema.job import Job


@pytest.fixture
def catalog() -> Catalog:
    return local_catalog()


@pytest.fixture
def settings(catalog: Catalog) -> Settings:
    return Settings(jobs_table="sdapi-jobs", keys_table="sdapi-keys", bucket="sdapi-data", catalog=catalog)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, us-east-1, and no endpoint overrides: nothing can reach real AWS."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def aws(aws_credentials: None, settings: Settings) -> Iterator[Any]:
    from moto import mock_aws

    from local import moto_transactions
    from local.resources import create_resources
    from sdapi.aws import clients

    moto_transactions.install()
    clients.reset()
    with mock_aws():
        yield create_resources(settings)
    clients.reset()


@dataclass(frozen=True)
class ApiKey:
    key: str
    principal: Principal
    webhook_secret: str


@pytest.fixture
def api_key(aws: Any) -> ApiKey:
    from sdapi.aws.keys_table import KeysTable

    created = create_key(KeysTable(aws.keys_table), owner="alice", name="tests")
    return ApiKey(created.key, Principal(owner=created.owner, key_id=created.key_id), created.webhook_secret)


@pytest.fixture
def service(aws: Any):
    from sdapi.aws.bucket import Bucket
    from sdapi.aws.jobs_table import JobsTable
    from sdapi.aws.sagemaker import SageMaker, SageMakerRuntime
    from sdapi.service.jobs import JobService

    s = aws.settings
    return JobService(s, JobsTable(s.jobs_table), Bucket(s.bucket), SageMakerRuntime(s.bucket), SageMaker())


@pytest.fixture
def aws_calls(aws: Any) -> list[tuple[str, str]]:
    """AWS calls made through the `sdapi.aws` clients from now on, in order."""
    from sdapi.aws.clients import client

    calls: list[tuple[str, str]] = []

    def record(model, **_: Any) -> None:
        calls.append((model.service_model.service_name, model.name))

    for service_name in ("s3", "dynamodb", "sagemaker-runtime", "sagemaker", "sns", "sqs"):
        client(service_name).meta.events.register("before-call", record)
    return calls


@pytest.fixture
def png_b64() -> str:
    return image_b64("PNG")


def image_b64(fmt: str = "PNG", size: tuple[int, int] = (16, 16)) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@pytest.fixture
def make_job() -> Callable[..., Job]:
    def build(**overrides: Any) -> Job:
        job_id = overrides.pop("id", None) or new_id()
        values: dict[str, Any] = {
            "id": job_id,
            "owner": "alice",
            "key_id": "key_test",
            "dialect": "native",
            "pool": "sdxl",
            "task": "txt2img",
            "model": "sd_xl_base_1.0",
            "prompt": "an astronaut riding a horse",
            "width": 1024,
            "height": 1024,
            "steps": 30,
            "sampler": "DPM++ 2M",
            "scheduler": "karras",
            "seed": 1234,
            "output": {"prefix": f"outputs/{job_id}/"},
            "created_at": time.time(),
        }
        values.update(overrides)
        return Job.model_validate(values)

    return build
