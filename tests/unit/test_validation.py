"""Deployment validation: catalog, pools, families, samplers, limits, images; canonical field paths."""

from __future__ import annotations

import base64

import pytest

from sdapi.config import Limits
from sdapi.errors import InvalidRequest
from sdapi.validation import normalize, validate
from tests.conftest import image_b64


def problems(job, settings) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as raised:
        validate(job, settings)
    return {p.field: p.reason for p in raised.value.problems}


def controlnet(model: str, image: str | None = None) -> dict:
    return {"model": model, "module": "canny", "threshold_a": 75, "threshold_b": 75, "image": image}


def test_a_plain_sdxl_job_fits(make_job, settings):
    assert validate(make_job(), settings) is None


def test_seed_001_sdxl_checkpoint_with_an_sd15_controlnet_names_both_families(make_job, settings, png_b64):
    job = make_job(
        task="img2img",
        init_images=(png_b64,),
        vae="sdxl_vae.safetensors",
        refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8},
        sampler="DPM++ SDE",
        scheduler="karras",
        width=480,
        height=640,
        controlnet=(controlnet("control_v11p_sd15_canny"),),
    )

    found = problems(job, settings)

    assert list(found) == ["controlnet[0].model"]
    reason = found["controlnet[0].model"]
    assert "control_v11p_sd15_canny" in reason
    assert "sd_xl_base_1.0" in reason
    assert "sd15" in reason
    assert "sdxl" in reason


def test_the_matching_sd15_pair_is_accepted(make_job, settings, png_b64):
    job = make_job(
        pool="sd15",
        model="v1-5-pruned-emaonly.safetensors",
        task="img2img",
        init_images=(png_b64,),
        width=512,
        height=512,
        controlnet=(controlnet("control_v11p_sd15_canny", png_b64),),
    )
    validate(job, settings)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"model": "nonexistent"}, "model", "not in this deployment's catalog"),
        ({"model": "sdxl_vae"}, "model", "not a checkpoint"),
        ({"model": "v1-5-pruned-emaonly"}, "model", "not served by pool sdxl"),
        ({"pool": "nope"}, "pool", "no model pool"),
        ({"vae": "missing_vae"}, "vae", "not in this deployment's catalog"),
        (
            {"refiner": {"checkpoint": "v1-5-pruned-emaonly", "switch_at": 0.5}},
            "refiner.checkpoint",
            "not a SDXL refiner",
        ),
        ({"sampler": "Nope Sampler"}, "sampler", "unknown sampler"),
        ({"sampler": "DPM fast"}, "sampler", "not available"),
        ({"scheduler": "weird"}, "scheduler", "unknown schedule"),
        ({"scheduler": "align_your_steps"}, "scheduler", "not available"),
        ({"width": 4096, "height": 4096}, "width", "at most"),
        ({"steps": 150}, "steps", None),
        ({"batch_size": 8, "n_iter": 4}, "n_iter", "batch_size x n_iter"),
        ({"prompt": "x" * 9000}, "prompt", "at most 8000"),
        ({"safety_checker": True}, "safety_checker", "no safety checker"),
        ({"face_restorer": "Restorer2", "restore_faces": True}, "face_restorer", "not in this deployment"),
    ],
)
def test_each_rule_names_its_field(make_job, settings, overrides, field, words):
    limits = Limits(max_steps=100)
    found = problems(make_job(**overrides), settings.model_copy(update={"limits": limits}))
    assert field in found, found
    if words:
        assert words in found[field]


def test_a_refiner_needs_an_sdxl_checkpoint(make_job, settings, catalog):
    sd15 = catalog.pool("sd15")
    pool = sd15.model_copy(update={"models": (*sd15.models, "sd_xl_refiner_1.0")})
    wide = catalog.model_copy(update={"pools": (catalog.pool("sdxl"), pool)})
    job = make_job(
        pool="sd15",
        model="v1-5-pruned-emaonly",
        width=512,
        height=512,
        refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8},
    )

    found = problems(job, settings.model_copy(update={"catalog": wide}))

    assert "needs an sdxl checkpoint" in found["refiner.checkpoint"]


def test_face_restoration_needs_a_restorer_in_the_pool(make_job, settings, catalog):
    bare = catalog.pool("sdxl").model_copy(update={"models": ("sd_xl_base_1.0",)})
    no_restorer = catalog.model_copy(update={"pools": (bare, catalog.pool("sd15"))})

    found = problems(make_job(restore_faces=True), settings.model_copy(update={"catalog": no_restorer}))

    assert found["restore_faces"] == "this deployment has no face restorer"
    validate(make_job(restore_faces=True), settings)


def test_too_many_controlnet_units(make_job, settings, png_b64):
    units = tuple(controlnet("control_v11p_sd15_canny") for _ in range(4))
    job = make_job(
        pool="sd15",
        model="v1-5-pruned-emaonly",
        width=512,
        height=512,
        task="img2img",
        init_images=(png_b64,),
        controlnet=units,
    )
    assert "controlnet" in problems(job, settings)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (base64.b64encode(b"definitely not an image").decode(), "could not be decoded"),
        ("@@@not-base64@@@", "not valid base64"),
        (image_b64("GIF"), "not PNG, JPEG or WEBP"),
        (image_b64("PNG", (300, 300)), "more than"),
    ],
)
def test_bad_images_name_their_field(make_job, settings, png_b64, image, words):
    job = make_job(task="img2img", init_images=(png_b64, image))
    limits = Limits(max_image_pixels=200 * 200)

    found = problems(job, settings.model_copy(update={"limits": limits}))

    assert list(found) == ["init_images[1]"]
    assert words in found["init_images[1]"]


def test_jpeg_and_webp_images_are_accepted(make_job, settings):
    job = make_job(task="img2img", init_images=(image_b64("JPEG"), image_b64("WEBP")))
    validate(job, settings)


def test_mask_and_control_images_are_checked(make_job, settings, png_b64):
    job = make_job(
        pool="sd15",
        model="v1-5-pruned-emaonly",
        width=512,
        height=512,
        task="inpaint",
        init_images=(png_b64,),
        mask={"image": "AAAA"},
        controlnet=(controlnet("control_v11p_sd15_canny", "AAAA"),),
    )
    found = problems(job, settings)
    assert {"mask.image", "controlnet[0].image"} <= set(found)


def test_normalize_replaces_aliases_with_catalog_names(make_job, catalog):
    job = make_job(model="sd_xl_base_1.0.safetensors", vae="sdxl_vae.safetensors", restore_faces=True)

    normal = normalize(job, catalog)

    assert (normal.model, normal.vae, normal.face_restorer) == ("sd_xl_base_1.0", "sdxl_vae", "CodeFormer")


def test_the_door_refuses_a_txt2img_controlnet_unit_without_an_image(make_job, settings):
    job = make_job(
        pool="sd15",
        model="v1-5-pruned-emaonly",
        width=512,
        height=512,
        controlnet=(controlnet("control_v11p_sd15_canny"),),
    )

    assert problems(job, settings)["controlnet[0].image"] == "a txt2img ControlNet unit needs an image"
