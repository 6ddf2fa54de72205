"""Memory: the LRU's need read exactly from the weight files, the fp16 variant loaded when present, the
refiner sharing the base's identical modules, and cached pipeline views."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from diffusers import StableDiffusionPipeline

from inference_container import weights
from inference_container.catalog import ModelCatalog
from inference_container.pipelines import ModelCache, module_bytes
from sdapi.schema.job import Task

pytestmark = pytest.mark.container

COMPONENTS = ("unet", "vae", "text_encoder", "text_encoder_2")


def copy_catalog(model_root, tmp_path, names: dict[str, str]):
    """A catalog under tmp_path holding copies of the tiny models `names` (new name → tiny name)."""
    families = {e["name"]: e["family"] for e in json.loads((model_root / "catalog.json").read_text())}
    entries = []
    for name, source in names.items():
        shutil.copytree(model_root / source, tmp_path / name)
        entries.append({"name": name, "family": families[source], "path": name})
    (tmp_path / "catalog.json").write_text(json.dumps(entries))
    return ModelCatalog.load(tmp_path)


def loaded_bytes(pipe) -> int:
    return module_bytes(*(getattr(pipe, name, None) for name in COMPONENTS))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_the_need_read_from_the_file_headers_is_what_the_loaded_tensors_take(catalog, dtype):
    entry = catalog.find("sd_xl_base_1.0")
    cache = ModelCache(catalog, torch.device("cpu"), dtype)

    expected = weights.device_bytes(catalog.path(entry), dtype)
    loaded = cache.checkpoint(entry)

    # the only difference: buffers that are not saved (CLIP's position ids), a few hundred bytes
    assert abs(loaded.nbytes - expected) < 0.01 * expected


def test_half_precision_loads_the_fp16_variant_files_when_present(model_root, tmp_path):
    catalog = copy_catalog(model_root, tmp_path, {"sd15": "v1-5-pruned-emaonly"})
    folder = catalog.path(catalog.find("sd15"))
    pipe = StableDiffusionPipeline.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)
    torch.nn.init.constant_(pipe.unet.conv_in.weight, 0.5)
    pipe.to(dtype=torch.float16).save_pretrained(folder, variant="fp16", safe_serialization=True)

    half = ModelCache(catalog, torch.device("cpu"), torch.float16).checkpoint(catalog.find("sd15"))
    full = ModelCache(catalog, torch.device("cpu"), torch.float32).checkpoint(catalog.find("sd15"))

    assert bool((half.pipe.unet.conv_in.weight == 0.5).all())
    assert not bool((full.pipe.unet.conv_in.weight == 0.5).all())


def test_a_folder_without_fp16_files_has_no_variant(catalog):
    path = catalog.path(catalog.find("sd_xl_base_1.0"))

    assert weights.fp16_variant(path, torch.float16) is None


def refiner_with_the_base_components(model_root, tmp_path):
    catalog = copy_catalog(model_root, tmp_path, {"base": "sd_xl_base_1.0", "refiner": "sd_xl_refiner_1.0"})
    for component in ("text_encoder_2", "vae"):
        shutil.rmtree(tmp_path / "refiner" / component)
        shutil.copytree(tmp_path / "base" / component, tmp_path / "refiner" / component)
    return catalog


def test_a_refiner_shares_the_base_encoder_and_vae_when_their_files_are_identical(model_root, tmp_path):
    catalog = refiner_with_the_base_components(model_root, tmp_path)
    cache = ModelCache(catalog, torch.device("cpu"), torch.float32)

    base = cache.checkpoint(catalog.find("base"))
    refiner = cache.checkpoint(catalog.find("refiner"))

    assert refiner.pipe.vae is base.pipe.vae
    assert refiner.pipe.text_encoder_2 is base.pipe.text_encoder_2
    assert refiner.nbytes == module_bytes(refiner.pipe.unet)


def test_a_refiner_with_its_own_weights_keeps_them(catalog):
    cache = ModelCache(catalog, torch.device("cpu"), torch.float32)

    base = cache.checkpoint(catalog.find("sd_xl_base_1.0"))
    refiner = cache.checkpoint(catalog.find("sd_xl_refiner_1.0"))

    assert refiner.pipe.vae is not base.pipe.vae
    assert refiner.pipe.text_encoder_2 is not base.pipe.text_encoder_2


def test_a_vae_override_view_is_built_once_and_dropped_with_its_vae(catalog, models):
    loaded = models.checkpoint(catalog.find("sd_xl_base_1.0"))
    vae = models.vae(catalog.find("sdxl_vae"))
    scheduler = loaded.pipe.scheduler

    first = loaded.task_pipeline(Task.TXT2IMG, scheduler=scheduler, vae=vae)
    second = loaded.task_pipeline(Task.TXT2IMG, scheduler=scheduler, vae=vae)
    loaded.forget(vae)
    third = loaded.task_pipeline(Task.TXT2IMG, scheduler=scheduler, vae=vae)

    assert second is first
    assert third is not first
