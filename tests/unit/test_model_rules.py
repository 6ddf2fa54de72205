"""The model rules (`schema/model_rules.py`) that the door and the GPU worker both run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sdapi.schema.catalog import Family, ModelEntry, find_model
from sdapi.schema.defaults import CANNY_THRESHOLDS
from sdapi.schema.model_rules import canny_thresholds, check_models, describe

ENTRIES = (
    ModelEntry(name="sd_xl_base_1.0", family="sdxl"),
    ModelEntry(name="v1-5-pruned-emaonly", family="sd15"),
    ModelEntry(name="sd_xl_refiner_1.0", family="sdxl-refiner"),
    ModelEntry(name="sdxl_vae", family="vae", base="sdxl"),
    ModelEntry(name="control_v11p_sd15_canny", family="controlnet", base="sd15"),
    ModelEntry(name="CodeFormer", family="face-restorer", architecture="CodeFormer"),
    ModelEntry(name="ESRGAN_4x", family="upscaler", architecture="ESRGAN", scale=4),
)


@dataclass
class Models:
    """A container's worth of models (every model can run: no pools)."""

    entries: tuple[ModelEntry, ...] = ENTRIES

    def find(self, name):
        return find_model(self.entries, name)

    def available(self, family):
        return [e for e in self.entries if e.family == family]

    def unserved(self, entry, what):
        return None


def reasons(job, models=None) -> dict[str, str]:
    _, problems = check_models(job, models or Models())
    return {p.field: p.reason for p in problems}


def unit(**fields) -> dict:
    return {"model": "control_v11p_sd15_canny", "module": "canny", "image": "AAAA", **fields}


def test_a_fitting_job_resolves_every_model(make_job):
    job = make_job(
        vae="sdxl_vae", refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8}, restore_faces=True
    )

    choice, problems = check_models(job, Models())

    assert problems == []
    assert (choice.checkpoint.name, choice.vae.name, choice.refiner.name) == (
        "sd_xl_base_1.0",
        "sdxl_vae",
        "sd_xl_refiner_1.0",
    )
    assert choice.face_restorer.name == "CodeFormer", "the first restorer when none is named"


def test_an_unknown_model_lists_what_is_available(make_job):
    found = reasons(make_job(model="nope"))

    assert found["model"] == (
        "checkpoint 'nope' is not in this deployment's catalog; "
        "available: ['sd_xl_base_1.0', 'v1-5-pruned-emaonly']"
    )


def test_a_vae_must_fit_the_checkpoint_family(make_job):
    found = reasons(make_job(model="v1-5-pruned-emaonly", vae="sdxl_vae"))

    assert found["vae"] == "VAE sdxl_vae is for sdxl checkpoints but v1-5-pruned-emaonly is sd15"


def test_a_refiner_needs_an_sdxl_base(make_job):
    job = make_job(model="v1-5-pruned-emaonly", refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.5})

    found = reasons(job)

    assert found["refiner.checkpoint"] == (
        "refiner sd_xl_refiner_1.0 needs an sdxl checkpoint but v1-5-pruned-emaonly is sd15"
    )


def test_a_controlnet_must_fit_the_checkpoint_family(make_job):
    found = reasons(make_job(controlnet=(unit(),)))

    assert found["controlnet[0].model"] == (
        "ControlNet control_v11p_sd15_canny is for sd15 checkpoints but sd_xl_base_1.0 is sdxl"
    )


def test_an_unknown_preprocessor_names_the_supported_ones(make_job):
    found = reasons(make_job(model="v1-5-pruned-emaonly", controlnet=(unit(module="depth"),)))

    assert found["controlnet[0].module"] == "unknown preprocessor 'depth' (supported: canny, none)"


def test_canny_thresholds_outside_1_to_255_are_refused(make_job):
    found = reasons(make_job(model="v1-5-pruned-emaonly", controlnet=(unit(threshold_b=300),)))

    assert found["controlnet[0].threshold_b"] == "canny thresholds must be between 1 and 255"


@pytest.mark.parametrize(
    ("given", "used"), [((None, None), CANNY_THRESHOLDS), ((-1, 0), CANNY_THRESHOLDS), ((50, 150), (50, 150))]
)
def test_canny_thresholds_fall_back_to_the_defaults(given, used):
    assert canny_thresholds(*given) == used


def test_a_txt2img_controlnet_unit_needs_an_image(make_job):
    found = reasons(make_job(model="v1-5-pruned-emaonly", controlnet=(unit(image=None),)))

    assert found["controlnet[0].image"] == "a txt2img ControlNet unit needs an image"


def test_inpainting_cannot_upscale_latents(make_job, png_b64):
    job = make_job(
        task="inpaint", init_images=(png_b64,), mask={"image": png_b64}, resize_mode="latent_upscale"
    )

    assert "resize_mode" in reasons(job)


def test_face_restoration_needs_a_restorer(make_job):
    bare = Models(tuple(e for e in ENTRIES if e.family != Family.FACE_RESTORER))

    found = reasons(make_job(restore_faces=True), bare)

    assert found["restore_faces"] == "this deployment has no face restorer"


def test_the_safety_checker_needs_a_checker_model(make_job):
    assert reasons(make_job(safety_checker=True))["safety_checker"] == "this deployment has no safety checker"


def test_every_problem_is_reported_first_one_first(make_job):
    _, problems = check_models(make_job(model="nope", vae="missing"), Models())

    assert describe(problems).startswith("model: checkpoint 'nope'")
    assert "; vae: VAE 'missing'" in describe(problems)


@pytest.mark.parametrize("upscaler", ["Latent (bicubic antialiased)", "Lanczos", "None", "ESRGAN_4x"])
def test_hires_takes_latent_modes_builtins_and_catalog_upscalers(make_job, upscaler):
    assert reasons(make_job(hires={"upscaler": upscaler})) == {}


def test_an_unknown_hires_upscaler_lists_what_is_available(make_job):
    found = reasons(make_job(hires={"upscaler": "SwinIR 4x"}))

    assert found["hires.upscaler"].startswith("unknown upscaler 'SwinIR 4x'; available: ['Latent', ")
    assert found["hires.upscaler"].endswith("'None', 'Lanczos', 'Nearest', 'ESRGAN_4x']")


def test_a_model_upscaler_is_resolved_for_the_worker(make_job):
    choice, _ = check_models(make_job(hires={"upscaler": "ESRGAN_4x"}), Models())

    assert choice.upscalers["ESRGAN_4x"].scale == 4


def test_the_hires_checkpoint_must_be_of_the_base_family(make_job):
    found = reasons(make_job(hires={"checkpoint": "v1-5-pruned-emaonly"}))

    assert found["hires.checkpoint"] == "v1-5-pruned-emaonly is sd15 but sd_xl_base_1.0 is sdxl"


def test_extras_cannot_upscale_in_latent_space(make_job, png_b64):
    job = make_job(task="extras", init_images=[png_b64], extras={"upscale": {"upscaler": "Latent"}})

    assert reasons(job)["extras.upscale.upscaler"].startswith("unknown upscaler 'Latent'")


def test_extras_face_restoration_needs_that_architecture(make_job, png_b64):
    extras = {"gfpgan_visibility": 0.5, "codeformer_visibility": 1}
    job = make_job(task="extras", init_images=[png_b64], extras=extras)

    choice, problems = check_models(job, Models())

    assert [str(p) for p in problems] == [
        "extras.gfpgan_visibility: this deployment has no GFPGAN face restorer"
    ]
    assert choice.codeformer.name == "CodeFormer"
