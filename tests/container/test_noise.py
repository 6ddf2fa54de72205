"""A1111's noise: the three sources (GPU, CPU, NV), the streams samplers draw from, ENSD, every image of a
batch reproducible from its own seed with every sampler, and the sampler knobs applied."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inference_container import seeds
from inference_container.errors import InvalidJob
from inference_container.philox import PhiloxGenerator
from inference_container.samplers import supported_samplers
from sdapi.schema.job import NoiseSource
from tests.container.conftest import make_job, pixels, png_b64

pytestmark = pytest.mark.container

# A1111's modules/rng_philox.py Generator(seed).randn((2, 3)), first and second call, as float32 bit patterns
# (computed with A1111's own code).
A1111_PHILOX = {
    (0, 0): (0xBF6CB6AD, 0xBED9C6AF, 0xC02934C5, 0x3E14AB15, 0xBDF788DC, 0xBF1468E7),
    (0, 1): (0x3E392A6C, 0xBF0D6117, 0x3F6C7F09, 0xBF3C2704, 0x3FB0A3AA, 0x3F5E1D0C),
    (1234, 0): (0xBFCEE928, 0x3F118648, 0xBF029E14, 0xBF694D8A, 0xBF93E7FC, 0xBE679418),
    (1234, 1): (0x3F2211B7, 0x3FD1629D, 0xBEB114F2, 0x3F8280B5, 0xBED30B93, 0x3FB6C493),
    (4294967294, 0): (0x3EE19E13, 0x3E218C3C, 0xBFC91018, 0x3EB4D245, 0xBECDC867, 0x3E636092),
    (4294967294, 1): (0xBF306B1E, 0xBDF67B0C, 0x3ECEC151, 0xBFD0A505, 0xBF6F452D, 0x3FED5072),
}

# torch.randn((3, 4), generator=torch.Generator("cuda").manual_seed(0), device="cuda"), as A1111's
# rng_philox.py docstring records it.
CUDA_SEED_0 = [
    [-0.92466259, -0.42534415, -2.6438457, 0.14518388],
    [-0.12086647, -0.57972564, -0.62285122, -0.32838709],
    [-1.07454231, -0.36314407, -1.67105067, 2.26550497],
]

CPU = torch.device("cpu")


@pytest.mark.parametrize(("seed", "call"), sorted(A1111_PHILOX))
def test_nv_noise_equals_a1111s_philox_bit_for_bit(seed, call):
    # given A1111's NV generator for a seed, drawn `call` times before
    generator = PhiloxGenerator(seed)
    for _ in range(call):
        generator.randn((2, 3))

    # when it draws the next (2, 3) tensor
    drawn = generator.randn((2, 3))

    # then its float32 bits are A1111's
    assert tuple(int(bits) for bits in drawn.ravel().view(np.uint32)) == A1111_PHILOX[(seed, call)]


def test_nv_noise_is_cudas_normal_generator_within_float32_rounding():
    drawn = PhiloxGenerator(0).randn((3, 4))

    assert np.abs(drawn - np.array(CUDA_SEED_0)).max() < 4e-7


def test_cpu_noise_is_torchs_cpu_generator():
    expected = torch.randn((4, 8, 8), generator=torch.Generator().manual_seed(77))

    assert torch.equal(seeds.randn(77, (4, 8, 8), NoiseSource.CPU), expected)


def test_gpu_noise_on_a_cpu_only_machine_is_the_cpu_generator_as_in_a1111():
    expected = torch.randn((4, 8, 8), generator=torch.Generator().manual_seed(77))

    assert torch.equal(seeds.randn(77, (4, 8, 8), NoiseSource.GPU, CPU), expected)


def test_nv_noise_reaches_the_device_as_float32():
    drawn = seeds.randn(0, (3, 4), NoiseSource.NV, CPU)

    assert drawn.dtype == torch.float32
    assert torch.equal(drawn, torch.from_numpy(PhiloxGenerator(0).randn((3, 4))))


@pytest.mark.parametrize("source", list(NoiseSource))
def test_the_samplers_noise_continues_the_seeds_stream_after_the_initial_noise(source):
    # given a batch's noise for seeds 5 and 6
    noise = seeds.ImageNoise(seeds.NoiseSpec((4, 8, 8), source), [5, 6], [0, 0], CPU)

    # when the initial noise and the first sampler draw are taken
    first, second = noise.first(), noise.next()

    # then each image's draws are its own seed's stream, in order
    stream = seeds.NoiseStream(source, 6, CPU)
    assert torch.equal(first[1], stream.randn((4, 8, 8)))
    assert torch.equal(second[1], stream.randn((4, 8, 8)))


def test_eta_noise_seed_delta_draws_the_samplers_noise_from_seed_plus_delta():
    spec = seeds.NoiseSpec((4, 8, 8), NoiseSource.CPU, eta_noise_seed_delta=31337)
    noise = seeds.ImageNoise(spec, [5], [0], CPU)

    first, second = noise.first(), noise.next()

    assert torch.equal(first[0], seeds.randn(5, (4, 8, 8)))
    assert torch.equal(second[0], seeds.randn(5 + 31337, (4, 8, 8)))


@pytest.mark.parametrize("sampler", supported_samplers())
def test_every_image_of_a_batch_is_reproducible_from_its_own_seed(generator_worker, sampler):
    # given a batch of two images with seeds 100 and 101
    batch = generator_worker.generate(make_job(seed=100, batch_size=2, sampler=sampler, steps=4))

    # when seed 101 is generated on its own
    alone = generator_worker.generate(make_job(seed=101, sampler=sampler, steps=4))

    # then it is the batch's second image (batched float math may differ by a rounding step)
    assert json.loads(batch.info)["all_seeds"] == [100, 101]
    assert np.abs(pixels(batch.images[1]) - pixels(alone.images[0])).max() <= 2


def test_an_img2img_batch_is_reproducible_per_image_with_dpmpp_sde(generator_worker):
    fields = dict(task="img2img", init_images=(png_b64(),), denoising_strength=0.8, sampler="DPM++ SDE")

    batch = generator_worker.generate(make_job(seed=7, batch_size=2, **fields))
    alone = generator_worker.generate(make_job(seed=8, **fields))

    assert np.abs(pixels(batch.images[1]) - pixels(alone.images[0])).max() <= 2


@pytest.mark.parametrize("source", ["CPU", "NV"])
def test_the_noise_source_changes_the_picture_and_is_reported(generator_worker, source):
    gpu = generator_worker.generate(make_job(seed=3))
    other = generator_worker.generate(make_job(seed=3, noise_source=source))

    assert f"RNG: {source}" in json.loads(other.info)["infotexts"][0]
    if source == "NV":  # on a CPU-only machine GPU noise is the CPU generator's, NV is CUDA's
        assert not np.array_equal(pixels(gpu.images[0]), pixels(other.images[0]))


def test_eta_noise_seed_delta_changes_an_ancestral_samplers_picture_and_is_reported(generator_worker):
    fields = dict(seed=3, sampler="Euler a", steps=4)
    plain = generator_worker.generate(make_job(**fields))
    delta = generator_worker.generate(make_job(eta_noise_seed_delta=31337, **fields))

    assert not np.array_equal(pixels(plain.images[0]), pixels(delta.images[0]))
    assert "ENSD: 31337" in json.loads(delta.info)["infotexts"][0]


@pytest.mark.parametrize(
    ("sampler", "knobs", "label"),
    [
        ("Euler", {"s_churn": 1.0}, "Sigma churn: 1.0"),
        ("Euler", {"s_churn": 1.0, "s_noise": 0.5}, "Sigma noise: 0.5"),
        ("DPM++ SDE", {"s_noise": 0.5}, "Sigma noise: 0.5"),
        ("DDIM", {"eta": 1.0}, "Eta DDIM: 1.0"),
    ],
)
def test_a_knob_the_scheduler_takes_changes_the_picture(generator_worker, sampler, knobs, label):
    base = {"s_churn": 1.0} if "s_noise" in knobs and sampler == "Euler" else {}
    plain = generator_worker.generate(make_job(seed=3, sampler=sampler, steps=4, **base))
    tuned = generator_worker.generate(make_job(seed=3, sampler=sampler, steps=4, **knobs))

    assert not np.array_equal(pixels(plain.images[0]), pixels(tuned.images[0]))
    assert label in json.loads(tuned.info)["infotexts"][0]


def test_the_churn_window_keeps_the_picture_when_no_sigma_is_inside_it(generator_worker):
    plain = generator_worker.generate(make_job(seed=3, sampler="Euler", steps=4))
    outside = generator_worker.generate(make_job(seed=3, sampler="Euler", steps=4, s_churn=1.0, s_tmin=500))

    assert np.array_equal(pixels(plain.images[0]), pixels(outside.images[0]))


def test_a_knob_a1111_applies_but_the_scheduler_cannot_is_refused(generator_worker):
    with pytest.raises(InvalidJob, match=r"eta=0\.5 cannot be applied with sampler 'Euler a'"):
        generator_worker.generate(make_job(sampler="Euler a", eta=0.5))


def test_a_knob_at_a1111s_default_is_accepted_by_a_sampler_that_fixes_it(generator_worker):
    result = generator_worker.generate(make_job(sampler="Euler a", eta=1.0, s_noise=1.0))

    assert len(result.images) == 1


def test_sdxl_controlnet_img2img_hands_off_to_the_refiner_at_switch_at(generator_worker):
    # given SDXL img2img with a refiner switching at 0.8, with and without a ControlNet unit
    fields = dict(
        model="sd_xl_base_1.0",
        task="img2img",
        init_images=(png_b64(),),
        denoising_strength=1.0,
        steps=10,
        refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8},
    )
    unit = {"model": "control_sdxl_canny", "module": "canny"}

    # when both run
    plain = generator_worker.generate(make_job(**fields))
    controlled = generator_worker.generate(make_job(controlnet=(unit,), **fields))

    # then both run 8 base steps and 2 refiner steps
    assert plain.steps_run == 10
    assert controlled.steps_run == 10


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_noise_on_cuda_is_cudas_generator_and_nv_reproduces_it():
    cuda = torch.device("cuda")
    expected = torch.randn((4, 64, 64), generator=torch.Generator(cuda).manual_seed(1234), device=cuda)

    gpu = seeds.randn(1234, (4, 64, 64), NoiseSource.GPU, cuda)
    nv = seeds.randn(1234, (4, 64, 64), NoiseSource.NV, cuda)

    assert torch.equal(gpu, expected)
    assert (nv - gpu).abs().max().item() < 1e-5
