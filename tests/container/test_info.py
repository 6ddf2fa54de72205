"""The A1111 `info` JSON and infotext lines, compared with the seeds' responses (keys, types, line shape)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inference_container import infotext
from tests.container.conftest import make_job, png_b64

pytestmark = pytest.mark.container

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def _seed_info(name: str) -> dict:
    text = (SEEDS / name).read_text()
    match = re.search(r'"info": "(.*?)",\n', text)
    return json.loads(json.loads(f'"{match.group(1)}"'))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not beside the repository")
@pytest.mark.parametrize(
    "seed_file", ["000_4fd16116483c5035.txt", "001_73df3e3e5cfc09bb.txt", "002_ff1daea69f0dc1f9.txt"]
)
def test_info_has_every_key_of_the_seed_responses_with_the_same_types(generator_worker, seed_file):
    expected = _seed_info(seed_file)
    task = "txt2img" if seed_file.startswith("002") else "img2img"
    extra = {} if task == "txt2img" else {"init_images": (png_b64(),), "denoising_strength": 0.75}
    result = generator_worker.generate(
        make_job(
            task=task,
            sampler="DPM++ SDE",
            scheduler="karras",
            steps=2,
            cfg_scale=10,
            restore_faces=seed_file.startswith("000"),
            **extra,
        )
    )

    info = json.loads(result.info)
    assert set(expected) <= set(info)
    for key, value in expected.items():
        if value is None or info[key] is None:
            continue
        kind = float if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value)
        assert isinstance(info[key], kind if kind is not float else (int, float)), key
    assert info["sampler_name"] == "DPM++ SDE Karras"
    assert isinstance(info["cfg_scale"], float)


def test_the_infotext_line_follows_a1111(generator_worker):
    job = make_job(
        prompt="at the ocean",
        negative_prompt="blurry",
        sampler="DPM++ SDE",
        scheduler="karras",
        steps=2,
        cfg_scale=7,
        seed=123,
        width=64,
        height=64,
    )

    line = json.loads(generator_worker.generate(job).info)["infotexts"][0]

    prompt, negative, params = line.split("\n")
    assert prompt == "at the ocean"
    assert negative == "Negative prompt: blurry"
    assert params.startswith(
        "Steps: 2, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 7.0, Seed: 123, "
        "Size: 64x64, Model hash: "
    )
    assert ", Model: v1-5-pruned-emaonly, " in params
    assert params.endswith(f"Version: {infotext.VERSION}")


def test_an_empty_negative_prompt_leaves_its_line_out(generator_worker):
    line = json.loads(generator_worker.generate(make_job(prompt="x")).info)["infotexts"][0]

    assert line.split("\n")[1].startswith("Steps: 2, Sampler: Euler, CFG scale: 7.0")


def test_values_with_commas_are_quoted():
    assert infotext.quote("a, b") == '"a, b"'
    assert infotext.quote("plain") == "plain"
