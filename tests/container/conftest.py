"""Shared fixtures: one tiny random-weight catalog per machine (cached on disk), one model cache per session,
and an in-process moto AWS with the jobs table and bucket the container writes to."""

from __future__ import annotations

import base64
import io
import tempfile
import time
from pathlib import Path

import boto3
import numpy as np
import pytest
import torch
from moto import mock_aws
from PIL import Image

from inference_container.catalog import ModelCatalog
from inference_container.pipelines import ModelCache
from inference_container.tiny import DEFAULT_NAMES, TINY_VERSION, build_tiny_catalog
from inference_container.worker import Worker
from sdapi.schema import items
from sdapi.schema.job import Job

pytestmark = pytest.mark.container

TABLE = "sdapi-jobs"
BUCKET = "sdapi-bucket"
CATALOG_NAMES = (
    *DEFAULT_NAMES,
    "control_sdxl_canny",
    "sd15_inpainting",
    "sd15_vae",
    "safety_checker",
    "add_detail",
    "sd_xl_offset_example-lora_1.0",
    "easynegative",
    "unaestheticXLv31",
)


@pytest.fixture(scope="session")
def model_root() -> Path:
    root = Path(tempfile.gettempdir()) / "sdapi-container-tests" / f"tiny-catalog-v{TINY_VERSION}"
    build_tiny_catalog(root, names=CATALOG_NAMES)
    return root


@pytest.fixture(scope="session")
def catalog(model_root) -> ModelCatalog:
    return ModelCatalog.load(model_root)


@pytest.fixture(scope="session")
def models(catalog) -> ModelCache:
    return ModelCache(catalog, torch.device("cpu"), torch.float32)


@pytest.fixture(scope="session")
def generator_worker(catalog, models) -> Worker:
    """A worker with no AWS side effects, for what `generate` returns."""
    return Worker(catalog, models)


def png_b64(width: int = 64, height: int = 64, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def mask_b64(width: int = 64, height: int = 64) -> str:
    array = np.zeros((height, width), dtype=np.uint8)
    array[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 255
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def make_job(job_id: str = "1001", **fields) -> Job:
    values = dict(
        id=job_id,
        owner="owner-1",
        dialect="native",
        pool="sd15",
        task="txt2img",
        model="v1-5-pruned-emaonly",
        prompt="a lighthouse",
        width=64,
        height=64,
        steps=2,
        seed=1234,
        sampler="Euler",
        output={"prefix": f"outputs/{job_id}/"},
        created_at=time.time(),
    )
    values.update(fields)
    return Job.model_validate(values)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.fixture
def aws(monkeypatch):
    """moto in-process: the jobs table (with a counter item per pool) and the bucket."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        yield s3, dynamodb


def put_job_item(dynamodb, job: Job, state: str = "QUEUED") -> None:
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": job.id},
            items.STATE: {"S": state},
            items.ATTEMPT: {"N": str(job.attempt)},
            "pool": {"S": job.pool},
            items.CREATED_AT: {"N": str(job.created_at)},
        },
    )
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": items.counters_id(job.pool)},
            "queued": {"N": "1"},
            "in_progress": {"N": "0"},
        },
    )


def get_item(dynamodb, key: str) -> dict:
    return dynamodb.get_item(TableName=TABLE, Key={"id": {"S": key}}, ConsistentRead=True)["Item"]
