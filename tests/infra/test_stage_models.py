"""Staging models: folders land under the pool's prefix and catalog.json is in the container's format."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from infra.config import DeployConfig
from infra.stage_models import hf_wanted, main, stage
from sdapi.schema.catalog import ModelEntry

CONFIG = DeployConfig.from_context(
    {
        "models": [
            {"name": "xl", "family": "sdxl", "path": "sd_xl_base_1.0", "aliases": ["sdxl"]},
            {"name": "canny", "family": "controlnet", "base": "sdxl", "path": "controlnet/canny"},
        ],
        "default_model": "xl",
    }
)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="deploy-bucket")
        yield client


def diffusers_folder(root):
    (root / "unet").mkdir(parents=True)
    (root / "model_index.json").write_text("{}")
    (root / "unet" / "config.json").write_text("{}")
    (root / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"weights")
    (root / ".cache").mkdir()
    (root / ".cache" / "lock").write_text("")
    return root


def test_uploads_folders_and_writes_the_catalog(s3, tmp_path):
    xl = diffusers_folder(tmp_path / "xl")
    canny = tmp_path / "canny"
    canny.mkdir()
    (canny / "config.json").write_text("{}")
    uri = stage(s3, CONFIG, CONFIG.pools[0], "deploy-bucket", {"xl": xl, "canny": canny}, log=lambda _: None)

    assert uri == "s3://deploy-bucket/models/default/catalog.json"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="deploy-bucket")["Contents"]}
    assert keys == {
        "models/default/catalog.json",
        "models/default/sd_xl_base_1.0/model_index.json",
        "models/default/sd_xl_base_1.0/unet/config.json",
        "models/default/sd_xl_base_1.0/unet/diffusion_pytorch_model.safetensors",
        "models/default/controlnet/canny/config.json",
    }
    body = s3.get_object(Bucket="deploy-bucket", Key="models/default/catalog.json")["Body"].read()
    entries = [ModelEntry.model_validate(item) for item in json.loads(body)]  # the container's format
    assert [(e.name, e.path, e.base) for e in entries] == [
        ("xl", "sd_xl_base_1.0", None),
        ("canny", "controlnet/canny", "sdxl"),
    ]
    assert entries[0].aliases == ("sdxl",)


def test_refuses_a_catalog_whose_models_are_missing(s3, tmp_path):
    xl = diffusers_folder(tmp_path / "xl")
    with pytest.raises(SystemExit, match="canny"):
        stage(s3, CONFIG, CONFIG.pools[0], "deploy-bucket", {"xl": xl}, log=lambda _: None)
    assert s3.list_objects_v2(Bucket="deploy-bucket", Prefix="models/default/catalog.json")["KeyCount"] == 0


def test_refuses_unknown_model_names(s3, tmp_path):
    with pytest.raises(SystemExit, match="not models of pool"):
        stage(s3, CONFIG, CONFIG.pools[0], "deploy-bucket", {"nope": tmp_path}, log=lambda _: None)


def test_cli_reads_cdk_json(s3, tmp_path):
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(
        json.dumps(
            {
                "context": {
                    "models": [{"name": "v15", "family": "sd15", "path": "v15"}],
                    "default_model": "v15",
                }
            }
        )
    )
    folder = diffusers_folder(tmp_path / "v15")
    assert main(["--bucket", "deploy-bucket", "--cdk-json", str(cdk_json), "--source", f"v15={folder}"]) == 0
    assert s3.list_objects_v2(Bucket="deploy-bucket", Prefix="models/default/v15/")["KeyCount"] == 3


def test_hugging_face_pipeline_repos_skip_single_file_checkpoints():
    files = [
        "model_index.json",
        "sd_xl_base_1.0.safetensors",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "unet/diffusion_pytorch_model.bin",
        "README.md",
    ]
    assert hf_wanted(files) == [
        "model_index.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
    ]
    assert hf_wanted(["config.json", "diffusion_pytorch_model.safetensors"]) == [
        "config.json",
        "diffusion_pytorch_model.safetensors",
    ]
