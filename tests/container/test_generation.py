"""Every task, the refiner hand-off, ControlNet maps, samplers and schedules, on the tiny catalog (CPU)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference_container.errors import InvalidJob
from inference_container.samplers import supported_samplers
from sdapi.schema.samplers import SAMPLERS, SCHEDULES
from tests.container.conftest import make_job, mask_b64, pixels, png_b64

pytestmark = pytest.mark.container


def test_txt2img_sd15_gives_one_image_per_batch_item_at_the_requested_size(generator_worker):
    result = generator_worker.generate(make_job(width=64, height=96, batch_size=2, n_iter=2))

    assert [image.size for image in result.images] == [(64, 96)] * 4
    assert result.maps == []
    assert len(result.infotexts) == 4
    assert result.nsfw == [False] * 4


def test_txt2img_sdxl_with_vae_override_reports_the_vae(generator_worker):
    result = generator_worker.generate(make_job(model="sd_xl_base_1.0", vae="sdxl_vae.safetensors"))

    info = json.loads(result.info)
    assert result.images[0].size == (64, 64)
    assert info["sd_vae_name"] == "sdxl_vae"
    assert "VAE: sdxl_vae" in info["infotexts"][0]


def test_img2img_runs_the_strength_fraction_of_the_steps(generator_worker):
    job = make_job(
        task="img2img",
        init_images=(png_b64(80, 48),),
        denoising_strength=0.5,
        steps=4,
        resize_mode="crop_and_resize",
    )

    result = generator_worker.generate(job)

    assert result.images[0].size == (64, 64)
    assert result.steps_run == 2
    assert json.loads(result.info)["denoising_strength"] == 0.5


@pytest.mark.parametrize("mode", ["just_resize", "crop_and_resize", "resize_and_fill", "latent_upscale"])
def test_img2img_resize_modes(generator_worker, mode):
    job = make_job(task="img2img", init_images=(png_b64(96, 40),), denoising_strength=0.6, resize_mode=mode)

    assert generator_worker.generate(job).images[0].size == (64, 64)


@pytest.mark.parametrize("fill", ["fill", "original", "latent_noise", "latent_nothing"])
def test_inpaint_keeps_the_unmasked_pixels(generator_worker, fill):
    init = png_b64(64, 64, seed=3)
    job = make_job(
        task="inpaint",
        init_images=(init,),
        mask={"image": mask_b64(), "blur": 0, "fill": fill},
        denoising_strength=0.9,
    )

    result = generator_worker.generate(job)

    original = pixels(_decode(init))
    out = pixels(result.images[0])
    assert np.array_equal(out[:8, :8], original[:8, :8]), "outside the mask the original is pasted back"
    assert not np.array_equal(out[24:40, 24:40], original[24:40, 24:40]), "inside the mask it is repainted"


def test_inpaint_at_full_resolution_repaints_only_the_masked_area_of_every_image(generator_worker):
    init = png_b64(64, 64, seed=3)
    job = make_job(
        task="inpaint",
        init_images=(init,),
        mask={"image": mask_b64(), "blur": 0, "full_res": True, "full_res_padding": 4},
        denoising_strength=0.9,
        batch_size=2,
    )

    result = generator_worker.generate(job)

    original = pixels(_decode(init))
    outs = [pixels(image) for image in result.images]
    assert [image.size for image in result.images] == [(64, 64)] * 2
    assert all(np.array_equal(out[:8, :8], original[:8, :8]) for out in outs), "outside: the original"
    assert all(not np.array_equal(out[24:40, 24:40], original[24:40, 24:40]) for out in outs)


def test_inpaint_at_full_resolution_with_two_init_images_starts_each_image_from_its_own(generator_worker):
    first, second = png_b64(64, 64, seed=3), png_b64(64, 64, seed=4)
    job = make_job(
        task="inpaint",
        init_images=(first, second),
        mask={"image": mask_b64(), "blur": 0, "full_res": True},
        denoising_strength=0.9,
        batch_size=2,
    )

    result = generator_worker.generate(job)

    assert np.array_equal(pixels(result.images[0])[:8, :8], pixels(_decode(first))[:8, :8])
    assert np.array_equal(pixels(result.images[1])[:8, :8], pixels(_decode(second))[:8, :8])


def test_inpaint_inverted_mask_repaints_the_outside(generator_worker):
    init = png_b64(64, 64, seed=3)
    job = make_job(
        task="inpaint",
        init_images=(init,),
        mask={"image": mask_b64(), "blur": 0, "invert": True},
        denoising_strength=0.9,
    )

    out = pixels(generator_worker.generate(job).images[0])

    original = pixels(_decode(init))
    assert np.array_equal(out[28:36, 28:36], original[28:36, 28:36])
    assert not np.array_equal(out[:8, :8], original[:8, :8])


def test_inpaint_with_an_inpainting_unet_reports_inpainting_conditioning(generator_worker):
    job = make_job(
        task="inpaint",
        model="sd15_inpainting",
        init_images=(png_b64(),),
        mask={"image": mask_b64(), "blur": 4},
        denoising_strength=1.0,
    )

    result = generator_worker.generate(job)

    info = json.loads(result.info)
    assert info["is_using_inpainting_conditioning"] is True
    assert "Mask blur: 4" in info["infotexts"][0]


def test_sdxl_refiner_takes_over_at_switch_at(generator_worker):
    job = make_job(
        model="sd_xl_base_1.0", steps=10, refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8}
    )

    result = generator_worker.generate(job)

    info = json.loads(result.info)
    assert result.images[0].size == (64, 64)
    assert result.steps_run == 10, "8 base steps + 2 refiner steps"
    assert "Refiner: sd_xl_refiner_1.0" in info["infotexts"][0]
    assert "Refiner switch at: 0.8" in info["infotexts"][0]


def test_refiner_needs_an_sdxl_base(generator_worker):
    job = make_job(refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.5})

    with pytest.raises(InvalidJob, match="needs an sdxl checkpoint"):
        generator_worker.generate(job)


def test_controlnet_canny_returns_the_detected_map_after_the_images(generator_worker):
    unit = {
        "model": "control_v11p_sd15_canny",
        "module": "canny",
        "image": png_b64(128, 128, seed=9),
        "threshold_a": 75,
        "threshold_b": 75,
        "processor_res": 64,
    }
    result = generator_worker.generate(make_job(controlnet=(unit,), batch_size=2))

    assert len(result.images) == 2
    assert len(result.maps) == 1
    edges = np.unique(pixels(result.maps[0]))
    assert result.maps[0].size == (64, 64)
    assert set(edges.tolist()) <= set(range(256))
    assert len(edges) > 1
    entry = json.loads(result.info)["extra_generation_params"]["ControlNet 0"]
    assert entry == (
        "preprocessor: canny, model: control_v11p_sd15_canny, weight: 1, starting/ending: (0, 1), "
        "resize mode: Crop and Resize, pixel perfect: False, control mode: Balanced, "
        "preprocessor params: (64, 75, 75)"
    )


def test_multi_controlnet_img2img_uses_the_init_image_and_returns_one_map_per_unit(generator_worker):
    units = (
        {
            "model": "control_v11p_sd15_canny",
            "module": "canny",
            "pixel_perfect": True,
            "weight": 0.5,
            "guidance_start": 0.2,
            "guidance_end": 0.8,
            "control_mode": "controlnet",
        },
        {"model": "control_v11p_sd15_canny", "module": "none", "resize_mode": "just_resize"},
    )
    job = make_job(task="img2img", init_images=(png_b64(),), denoising_strength=0.75, controlnet=units)

    result = generator_worker.generate(job)

    assert len(result.images) == 1
    assert len(result.maps) == 2
    extra = json.loads(result.info)["extra_generation_params"]
    assert "starting/ending: (0.2, 0.8)" in extra["ControlNet 0"]
    assert "pixel perfect: True" in extra["ControlNet 0"]
    assert "control mode: ControlNet is more important" in extra["ControlNet 0"]
    assert "preprocessor: none" in extra["ControlNet 1"]


def test_sdxl_controlnet_inpaint(generator_worker):
    unit = {"model": "control_sdxl_canny", "module": "canny"}
    job = make_job(
        model="sd_xl_base_1.0",
        task="inpaint",
        init_images=(png_b64(),),
        mask={"image": mask_b64()},
        denoising_strength=0.8,
        controlnet=(unit,),
    )

    result = generator_worker.generate(job)

    assert len(result.images) == 1
    assert len(result.maps) == 1


def test_an_sd15_controlnet_on_an_sdxl_model_is_refused_naming_both_families(generator_worker):
    unit = {"model": "control_v11p_sd15_canny", "module": "canny", "image": png_b64()}
    job = make_job(model="sd_xl_base_1.0", controlnet=(unit,))

    with pytest.raises(InvalidJob, match=r"is for sd15 checkpoints but sd_xl_base_1\.0 is sdxl"):
        generator_worker.generate(job)


def test_restore_faces_uses_the_catalog_restorer(generator_worker):
    plain = generator_worker.generate(make_job())
    restored = generator_worker.generate(make_job(restore_faces=True))

    info = json.loads(restored.info)
    assert info["face_restoration_model"] == "CodeFormer"
    assert "Face restoration: CodeFormer" in info["infotexts"][0]
    assert not np.array_equal(pixels(plain.images[0]), pixels(restored.images[0]))


@pytest.mark.parametrize("sampler", supported_samplers())
def test_every_supported_sampler_generates(generator_worker, sampler):
    result = generator_worker.generate(make_job(sampler=sampler, steps=2, width=64, height=64))

    assert result.images[0].size == (64, 64)
    assert json.loads(result.info)["sampler_name"].startswith(sampler)


@pytest.mark.parametrize("schedule", [k for k, v in SCHEDULES.items() if v is not None])
def test_every_supported_schedule_generates(generator_worker, schedule):
    result = generator_worker.generate(make_job(sampler="DPM++ 2M", scheduler=schedule, steps=3))

    assert result.images[0].size == (64, 64)


@pytest.mark.parametrize("sampler", [name for name, spec in SAMPLERS.items() if not spec.supported])
def test_samplers_without_a_diffusers_counterpart_are_refused(generator_worker, sampler):
    with pytest.raises(InvalidJob, match="no diffusers counterpart"):
        generator_worker.generate(make_job(sampler=sampler))


@pytest.mark.parametrize("schedule", [k for k, v in SCHEDULES.items() if v is None] + ["bogus"])
def test_unsupported_schedules_are_refused(generator_worker, schedule):
    with pytest.raises(InvalidJob, match="schedule type"):
        generator_worker.generate(make_job(scheduler=schedule))


def test_unknown_names_are_refused_with_what_is_available(generator_worker):
    with pytest.raises(InvalidJob, match="available"):
        generator_worker.generate(make_job(model="no-such-model"))
    with pytest.raises(InvalidJob, match="unknown"):
        generator_worker.generate(make_job(sampler="Euler z"))


def _decode(data: str):
    from inference_container.imaging import decode_image

    return decode_image(data, "test")


def test_the_safety_checker_reports_a_verdict_per_image(generator_worker):
    result = generator_worker.generate(make_job(safety_checker=True, batch_size=2))

    assert len(result.nsfw) == 2
    assert all(isinstance(flag, bool) for flag in result.nsfw)


@pytest.fixture
def checker_verdict(catalog, models):
    """Set the tiny safety checker's concept thresholds so that it flags every image (True) or none."""
    model = models.safety_checker(catalog.find("safety_checker")).model
    saved = [model.concept_embeds_weights.clone(), model.special_care_embeds_weights.clone()]

    def flag(everything: bool) -> None:
        for weights in (model.concept_embeds_weights, model.special_care_embeds_weights):
            weights.data.fill_(-10.0 if everything else 10.0)

    yield flag
    model.concept_embeds_weights.data.copy_(saved[0])
    model.special_care_embeds_weights.data.copy_(saved[1])


def test_an_image_the_safety_checker_flags_becomes_black_at_its_size(generator_worker, checker_verdict):
    checker_verdict(True)

    result = generator_worker.generate(make_job(safety_checker=True, width=64, height=96))

    assert result.nsfw == [True]
    assert result.images[0].size == (64, 96)
    assert pixels(result.images[0]).max() == 0


def test_an_image_the_safety_checker_passes_is_kept(generator_worker, checker_verdict):
    checker_verdict(False)

    checked = generator_worker.generate(make_job(safety_checker=True))
    unchecked = generator_worker.generate(make_job())

    assert checked.nsfw == [False]
    assert np.array_equal(pixels(checked.images[0]), pixels(unchecked.images[0]))


def test_my_prompt_is_more_important_softens_the_control_and_leaves_no_hook_behind(generator_worker):
    def run(mode: str):
        unit = {"model": "control_v11p_sd15_canny", "module": "none", "image": png_b64(seed=4)}
        unit["control_mode"] = mode
        return pixels(generator_worker.generate(make_job(controlnet=(unit,), steps=3)).images[0])

    balanced = run("balanced")
    prompt = run("prompt")
    without = pixels(generator_worker.generate(make_job(steps=3)).images[0])

    assert not np.array_equal(balanced, without), "the ControlNet steers the UNet"
    assert not np.array_equal(balanced, prompt)
    assert np.array_equal(run("balanced"), balanced), "the soft-injection hook is removed after the job"
