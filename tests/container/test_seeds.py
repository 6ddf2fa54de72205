"""Seeds: same seed → same pixels, image i gets seed + i, variation seeds slerp the noise as A1111 does."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inference_container import seeds
from tests.container.conftest import make_job, pixels, png_b64

pytestmark = pytest.mark.container


def test_the_same_seed_gives_the_same_pixels(generator_worker):
    first = generator_worker.generate(make_job(seed=42, sampler="Euler a"))
    second = generator_worker.generate(make_job(seed=42, sampler="Euler a"))
    other = generator_worker.generate(make_job(seed=43, sampler="Euler a"))

    assert np.array_equal(pixels(first.images[0]), pixels(second.images[0]))
    assert not np.array_equal(pixels(first.images[0]), pixels(other.images[0]))


def test_img2img_is_reproducible_too(generator_worker):
    job = make_job(
        task="img2img", init_images=(png_b64(),), denoising_strength=0.7, seed=7, sampler="DPM++ 2M SDE"
    )

    a, b = generator_worker.generate(job), generator_worker.generate(job)

    assert np.array_equal(pixels(a.images[0]), pixels(b.images[0]))


def test_image_i_of_a_batch_gets_seed_plus_i(generator_worker):
    batch = generator_worker.generate(make_job(seed=100, batch_size=2, n_iter=2, sampler="Euler"))
    third_alone = generator_worker.generate(make_job(seed=102, sampler="Euler"))

    info = json.loads(batch.info)
    assert info["all_seeds"] == [100, 101, 102, 103]
    assert info["all_subseeds"] == [info["subseed"] + i for i in range(4)]
    # image 2 is the first of the second iteration: the same computation as seed 102 on its own
    assert np.array_equal(pixels(batch.images[2]), pixels(third_alone.images[0]))
    # within a batch the noise differs per image (batched float math may differ by a rounding step)
    second_alone = generator_worker.generate(make_job(seed=101, sampler="Euler"))
    assert np.abs(pixels(batch.images[1]) - pixels(second_alone.images[0])).max() <= 2


def test_variation_seed_shares_the_seed_and_moves_the_subseed(generator_worker):
    job = make_job(seed=5, subseed=900, subseed_strength=0.3, batch_size=2)
    result = generator_worker.generate(job)
    plain = generator_worker.generate(make_job(seed=5))

    info = json.loads(result.info)
    assert info["all_seeds"] == [5, 5]
    assert info["all_subseeds"] == [900, 901]
    assert "Variation seed: 900, Variation seed strength: 0.3" in info["infotexts"][0]
    assert not np.array_equal(pixels(result.images[0]), pixels(result.images[1]))
    assert not np.array_equal(pixels(result.images[0]), pixels(plain.images[0]))


def test_initial_noise_is_drawn_per_seed_on_the_cpu():
    noise = seeds.initial_noise((4, 8, 8), [1, 2])

    assert noise.shape == (2, 4, 8, 8)
    assert noise.device.type == "cpu"
    assert torch.equal(noise[1], seeds.randn(2, (4, 8, 8)))


def test_slerp_is_the_seed_at_strength_0_and_the_subseed_at_strength_1():
    noise = seeds.initial_noise((4, 8, 8), [1], [2], subseed_strength=1.0)
    none = seeds.initial_noise((4, 8, 8), [1], [2], subseed_strength=0.0)

    assert torch.allclose(noise[0], seeds.randn(2, (4, 8, 8)), atol=1e-5)
    assert torch.equal(none[0], seeds.randn(1, (4, 8, 8)))


def test_seed_resize_from_keeps_the_centre_of_the_smaller_seed_noise():
    small = seeds.randn(3, (4, 4, 4))
    noise = seeds.initial_noise((4, 8, 8), [3], seed_resize_from=(32, 32))

    assert torch.equal(noise[0, :, 2:6, 2:6], small)
