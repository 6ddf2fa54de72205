"""The model catalog (catalog.json or a scan) and the typed configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from inference_container.catalog import ModelCatalog
from inference_container.config import ContainerConfig
from inference_container.errors import InvalidJob
from sdapi.schema.catalog import Family

pytestmark = pytest.mark.container


def test_catalog_json_lists_the_local_mode_models_with_their_aliases(model_root):
    catalog = ModelCatalog.load(model_root)

    assert catalog.find("sdxl_vae.safetensors").name == "sdxl_vae"
    assert catalog.find("v1-5-pruned-emaonly.safetensors [abc]").name == "v1-5-pruned-emaonly"
    assert catalog.find("control_v11p_sd15_canny").base == Family.SD15
    assert catalog.default_checkpoint(None).family in (Family.SD15, Family.SDXL)
    entries = json.loads((model_root / "catalog.json").read_text())
    assert all((model_root / entry["path"]).is_dir() for entry in entries)


def test_catalog_json_records_the_spandrel_architecture_and_scale(catalog):
    upscaler = catalog.find("R-ESRGAN General 4xV3")

    assert (upscaler.family, upscaler.architecture, upscaler.scale) == (Family.UPSCALER, "Compact", 4)


def test_without_catalog_json_the_root_is_scanned(model_root, tmp_path: Path):
    for name in (
        "sd_xl_base_1.0",
        "sd_xl_refiner_1.0",
        "sdxl_vae",
        "CodeFormer",
        "control_v11p_sd15_canny",
        "v1-5-pruned-emaonly",
        "ESRGAN_4x",
    ):
        (tmp_path / name).symlink_to(model_root / name, target_is_directory=True)
    (tmp_path / "notes.txt").write_text("not a model")

    catalog = ModelCatalog.load(tmp_path)

    families = {entry.name: (entry.family, entry.base) for entry in catalog.entries}
    assert families == {
        "sd_xl_base_1.0": (Family.SDXL, None),
        "sd_xl_refiner_1.0": (Family.SDXL_REFINER, None),
        "sdxl_vae": (Family.VAE, Family.SDXL),
        "CodeFormer": (Family.FACE_RESTORER, None),
        "control_v11p_sd15_canny": (Family.CONTROLNET, Family.SD15),
        "v1-5-pruned-emaonly": (Family.SD15, None),
        "ESRGAN_4x": (Family.UPSCALER, None),
    }


def test_a_scanned_spandrel_model_gets_its_architecture_from_the_weights(model_root, tmp_path):
    (tmp_path / "4x-thing.pth").symlink_to(model_root / "ESRGAN_4x" / "ESRGAN_4x.pth")

    (entry,) = ModelCatalog.load(tmp_path).entries

    assert (entry.name, entry.architecture, entry.scale) == ("4x-thing", "ESRGAN", 4)


def test_an_empty_root_says_what_to_add(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"catalog\.json"):
        ModelCatalog.load(tmp_path)


def test_require_names_the_family_mismatch(catalog):
    with pytest.raises(InvalidJob, match="is a vae model"):
        catalog.require("sdxl_vae", {Family.SD15, Family.SDXL}, "model")


def test_config_reads_the_documented_variables():
    config = ContainerConfig.from_env(
        {
            "SDAPI_JOBS_TABLE": "jobs",
            "SDAPI_BUCKET": "bucket",
            "SDAPI_MODEL_ROOT": "/models",
            "SDAPI_DEFAULT_MODEL": "sdxl",
            "SDAPI_DEVICE": "cpu",
            "SDAPI_DTYPE": "bfloat16",
            "SDAPI_COMPILE": "1",
            "SDAPI_PROGRESS_INTERVAL_S": "2.5",
            "SAGEMAKER_BIND_TO_PORT": "9090",
        }
    )

    assert (config.jobs_table, config.bucket, config.model_root) == ("jobs", "bucket", Path("/models"))
    assert config.compile is True
    assert config.port == 9090
    assert config.progress_interval_s == 2.5
    assert config.torch_device() == torch.device("cpu")
    assert config.torch_dtype() == torch.bfloat16


def test_config_defaults_follow_the_architecture_page():
    config = ContainerConfig.from_env({})

    assert config.model_root == Path("/opt/ml/model")
    assert config.port == 8080
    assert config.compiles() == (config.torch_device().type == "cuda")
    assert config.progress_interval_s == 1.0
    assert config.torch_dtype() == (torch.float16 if torch.cuda.is_available() else torch.float32)
