"""Hires fix (first pass, upscale, second pass) and A1111's extras on the tiny catalog (CPU)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sdapi.schema.job import Task
from tests.container.conftest import make_job, pixels, png_b64

pytestmark = pytest.mark.container


def hires_job(**hires):
    return make_job(width=96, height=64, steps=4, hires={"denoising_strength": 0.5, **hires})


def test_hires_by_scale_returns_the_upscaled_size(generator_worker):
    result = generator_worker.generate(hires_job(scale=2))

    assert result.images[0].size == (192, 128)


def test_hires_runs_the_first_pass_then_the_strength_share_of_the_second(generator_worker):
    result = generator_worker.generate(hires_job(scale=2, steps=6))

    assert result.steps_run == 4 + 3


def test_hires_resize_to_both_sides_crops_to_them(generator_worker):
    result = generator_worker.generate(hires_job(resize_x=96, resize_y=96, upscaler="Latent (nearest)"))

    assert result.images[0].size == (96, 96)


def test_hires_with_a_model_upscaler_and_its_infotext(generator_worker):
    result = generator_worker.generate(hires_job(scale=1.5, upscaler="ESRGAN_4x", steps=2))

    text = json.loads(result.info)["infotexts"][0]
    assert result.images[0].size == (144, 96)
    assert "Denoising strength: 0.5, Hires upscale: 1.5, Hires steps: 2, Hires upscaler: ESRGAN_4x" in text
    assert "Size: 96x64" in text


def test_hires_prompt_and_sampler_are_reported_when_they_differ(generator_worker):
    result = generator_worker.generate(hires_job(prompt="a lighthouse at night", sampler="DPM++ 2M"))

    text = json.loads(result.info)["infotexts"][0]
    assert 'Hires sampler: DPM++ 2M, Hires prompt: a lighthouse at night' in text


def test_hires_strength_zero_only_upscales(generator_worker):
    result = generator_worker.generate(hires_job(denoising_strength=0, upscaler="Lanczos"))

    assert result.steps_run == 4
    assert result.images[0].size == (192, 128)


def test_hires_is_reproducible_and_differs_from_a_plain_upscale(generator_worker):
    first = generator_worker.generate(hires_job(upscaler="Lanczos")).images[0]
    again = generator_worker.generate(hires_job(upscaler="Lanczos")).images[0]
    upscaled_only = generator_worker.generate(hires_job(upscaler="Lanczos", denoising_strength=0)).images[0]

    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(upscaled_only))


def test_sdxl_hires_with_a_refiner_hands_off_in_the_second_pass(generator_worker):
    job = make_job(
        model="sd_xl_base_1.0",
        width=64,
        height=64,
        steps=4,
        refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.5},
        hires={"denoising_strength": 1.0, "scale": 1.5},
    )

    result = generator_worker.generate(job)

    assert result.images[0].size == (96, 96)
    assert result.steps_run == 4 + 4


def extras_job(**extras):
    return make_job(task=Task.EXTRAS, init_images=(png_b64(40, 24),), extras=extras)


def test_extras_upscale_by_a_model(generator_worker):
    result = generator_worker.generate(extras_job(upscale={"scale": 2, "upscaler": "R-ESRGAN General 4xV3"}))

    assert result.images[0].size == (80, 48)
    assert result.info == "Postprocess upscale by: 2.0, Postprocess upscaler: R-ESRGAN General 4xV3"


def test_extras_upscale_to_a_size_crops_to_it(generator_worker):
    upscale = {"width": 64, "height": 64, "upscaler": "Lanczos", "crop": True}

    result = generator_worker.generate(extras_job(upscale=upscale))

    assert result.images[0].size == (64, 64)


def test_extras_second_upscaler_is_blended_in(generator_worker):
    alone = generator_worker.generate(extras_job(upscale={"upscaler": "Lanczos"})).images[0]
    blended = generator_worker.generate(
        extras_job(upscale={"upscaler": "Lanczos", "upscaler_2": "Nearest", "upscaler_2_visibility": 0.5})
    )

    assert not np.array_equal(pixels(alone), pixels(blended.images[0]))
    assert blended.info.endswith("Postprocess upscaler 2: Nearest")


def test_extras_codeformer_after_the_upscale_names_its_weight(generator_worker):
    result = generator_worker.generate(
        extras_job(upscale={"upscaler": "Lanczos"}, codeformer_visibility=1, codeformer_weight=0.3)
    )

    assert result.images[0].size == (80, 48)
    assert result.info.endswith("CodeFormer visibility: 1.0, CodeFormer weight: 0.3")


def test_extras_after_generation_upscale_the_images_and_join_the_infotext(generator_worker):
    job = make_job(extras={"upscale": {"scale": 2, "upscaler": "Lanczos"}})

    result = generator_worker.generate(job)

    assert result.images[0].size == (128, 128)
    assert "Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos" in result.infotexts[0]
