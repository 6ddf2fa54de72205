"""Native request → canonical job for the hires fix, extras, sampler knobs, noise source, LoRAs, styles,
CodeFormer's weight and task `extras`; bad combinations are a 400 naming the native field."""

from __future__ import annotations

import pytest

from sdapi.dialects import native
from sdapi.dialects.common import caller_paths
from sdapi.errors import InvalidRequest
from sdapi.schema.job import NoiseSource, Task
from tests.unit.dialects.support import ctx

SD15 = "v1-5-pruned-emaonly"


def to_job(**fields):
    return native.to_job(native.JobRequest.model_validate(fields), ctx())


def refused(**fields) -> list[str]:
    """The native fields a request is refused for (canonical paths translated as the route does)."""
    with pytest.raises(InvalidRequest) as raised, caller_paths(native.to_caller_path):
        to_job(**fields)
    return [p.field for p in raised.value.problems]


# --- hires fix -------------------------------------------------------------------------------------------


def test_hires_fix_becomes_the_jobs_hires_with_the_second_pass_sampler_resolved():
    job = to_job(
        model=SD15,
        sampler="Euler",
        hires={
            "scale": 1.5,
            "upscaler": "ESRGAN_4x",
            "steps": 4,
            "denoising_strength": 0.4,
            "prompt": "sharper",
            "sampler": "DPM++ 2M Karras",
        },
    )

    assert job.hires.scale == 1.5
    assert job.hires.upscaler == "ESRGAN_4x"
    assert job.hires.steps == 4
    assert job.hires.denoising_strength == 0.4
    assert job.hires.prompt == "sharper"
    assert (job.hires.sampler, job.hires.scheduler) == ("DPM++ 2M", "karras")


def test_hires_fix_defaults_are_a1111s():
    hires = to_job(model=SD15, hires={}).hires

    assert (hires.scale, hires.upscaler, hires.steps, hires.denoising_strength) == (2.0, "Latent", 0, 0.75)
    assert (hires.sampler, hires.scheduler, hires.checkpoint) == (None, None, None)


def test_hires_width_and_height_are_the_resize_sides():
    hires = to_job(model=SD15, width=64, height=96, hires={"width": 128, "height": 128}).hires

    assert (hires.resize_x, hires.resize_y) == (128, 128)


def test_a_hires_schedule_alone_keeps_the_first_pass_sampler():
    hires = to_job(model=SD15, sampler="DPM++ 2M", hires={"scheduler": "Karras"}).hires

    assert (hires.sampler, hires.scheduler) == (None, "karras")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hires": {"scale": 2, "width": 128}}, "hires.scale"),
        ({"hires": {"scale": 9}}, "hires.scale"),
        ({"hires": {"steps": 151}}, "hires.steps"),
        ({"hires": {"height": 5000}}, "hires.height"),
        ({"hires": {}, "init_images": ["AAAA"]}, "hires"),
        ({"denoising_strength": 0.5}, "denoising_strength"),
        ({"resize_mode": "crop_and_resize"}, "resize_mode"),
        ({"face_restorer": "CodeFormer"}, "face_restorer"),
    ],
)
def test_fields_without_effect_on_a_txt2img_name_the_native_field(fields, field):
    assert refused(model=SD15, **fields) == [field]


# --- extras after generation -------------------------------------------------------------------------


def test_extras_upscale_and_face_restoration_become_the_jobs_extras():
    job = to_job(
        model=SD15,
        extras={
            "upscale": {"upscaler": "R-ESRGAN General 4xV3", "scale": 3},
            "face_restoration": {
                "gfpgan_visibility": 0.25,
                "codeformer_visibility": 0.5,
                "codeformer_weight": 0.3,
            },
        },
    )

    assert job.extras.upscale.upscaler == "R-ESRGAN General 4xV3"
    assert job.extras.upscale.scale == 3
    assert job.extras.gfpgan_visibility == 0.25
    assert job.extras.codeformer_visibility == 0.5
    assert job.extras.codeformer_weight == 0.3


def test_an_upscale_without_an_upscaler_uses_the_pools_first_upscaler_model():
    assert to_job(model=SD15, extras={"upscale": {}}).extras.upscale.upscaler == "ESRGAN_4x"


def test_an_upscale_to_a_size_keeps_the_crop_choice():
    upscale = to_job(
        model=SD15, extras={"upscale": {"width": 200, "height": 100, "crop": False}}
    ).extras.upscale

    assert (upscale.width, upscale.height, upscale.crop) == (200, 100, False)


@pytest.mark.parametrize(
    ("extras", "field"),
    [
        ({}, "extras"),
        ({"upscale": {"width": 128}}, "extras.upscale.height"),
        ({"upscale": {"width": 128, "height": 128, "scale": 2}}, "extras.upscale.scale"),
        ({"upscale": {"crop": False}}, "extras.upscale.crop"),
        ({"upscale": {"upscaler_2": "Lanczos"}}, "extras.upscale.upscaler_2_visibility"),
        ({"upscale": {"scale": 9}}, "extras.upscale.scale"),
        ({"face_restoration": {}}, "extras.face_restoration"),
        (
            {"face_restoration": {"gfpgan_visibility": 1, "codeformer_weight": 0.5}},
            "extras.face_restoration.codeformer_weight",
        ),
        ({"face_restoration": {"gfpgan_visibility": 2}}, "extras.face_restoration.gfpgan_visibility"),
    ],
)
def test_extras_that_would_do_nothing_or_are_out_of_range_name_the_native_field(extras, field):
    assert refused(model=SD15, extras=extras) == [field]


def test_task_extras_runs_only_the_extras_on_the_input_images():
    job = to_job(task="extras", init_images=["AAAA"], extras={"upscale": {"upscaler": "Lanczos"}})

    assert job.task == Task.EXTRAS
    assert job.init_images == ("AAAA",)
    assert job.extras.upscale.upscaler == "Lanczos"


def test_a_generation_field_on_task_extras_is_refused_by_name():
    fields = refused(task="extras", init_images=["AAAA"], extras={"upscale": {}}, steps=30)

    assert fields == ["steps"]


# --- sampler knobs and noise ---------------------------------------------------------------------------


def test_a_knob_the_sampler_takes_is_carried():
    job = to_job(sampler="Euler", s_churn=0.5, s_tmin=0.1, s_tmax=10, s_noise=1.01)

    assert (job.s_churn, job.s_tmin, job.s_tmax, job.s_noise) == (0.5, 0.1, 10, 1.01)


@pytest.mark.parametrize(("knob", "value"), [("eta", 0.0), ("s_tmax", 0), ("s_noise", 1)])
def test_a_knob_at_a1111s_default_is_not_carried(knob, value):
    job = to_job(sampler="DDIM" if knob == "eta" else "Euler", **{knob: value})

    assert getattr(job, knob) is None


def test_ddim_takes_eta():
    assert to_job(sampler="DDIM", eta=0.3).eta == 0.3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sampler": "Euler a", "eta": 0.5}, "eta"),  # used upstream, diffusers has no eta there
        ({"sampler": "DPM++ 2M", "eta": 0.5}, "eta"),  # not used by the sampler at all
        ({"sampler": "Euler", "s_churn": 1, "hires": {"sampler": "Heun"}}, "s_churn"),  # second pass cannot
    ],
)
def test_a_knob_no_pass_can_apply_is_refused_by_name(fields, field):
    assert refused(**fields) == [field]


def test_a_knob_the_second_pass_sampler_uses_is_carried():
    job = to_job(sampler="DPM++ 2M", eta=0.4, hires={"sampler": "DDIM"})

    assert job.eta == 0.4


def test_noise_source_and_ensd_are_the_jobs():
    job = to_job(noise_source="NV", eta_noise_seed_delta=31337)

    assert job.noise_source == NoiseSource.NV
    assert job.eta_noise_seed_delta == 31337


# --- LoRAs, styles, face restoration -------------------------------------------------------------------


def test_loras_take_one_weight_or_one_per_part():
    job = to_job(
        loras=[{"name": "add_detail", "weight": 0.6}, {"name": "b", "weight": 0.5, "unet_weight": 0.2}]
    )

    assert [(lora.name, lora.te_weight, lora.unet_weight) for lora in job.loras] == [
        ("add_detail", 0.6, 0.6),
        ("b", 0.5, 0.2),
    ]


def test_styles_are_named_on_the_job():
    assert [s.name for s in to_job(styles=["sharp", "cinematic"]).styles] == ["sharp", "cinematic"]


def test_codeformer_weight_is_carried_when_restore_faces_runs_codeformer():
    job = to_job(model=SD15, restore_faces=True, face_restorer="CodeFormer", codeformer_weight=0.2)

    assert job.codeformer_weight == 0.2


@pytest.mark.parametrize(
    "fields",
    [
        {"codeformer_weight": 0.2},
        {"restore_faces": True, "face_restorer": "GFPGAN", "codeformer_weight": 0.2},
    ],
)
def test_codeformer_weight_without_codeformer_is_refused(fields):
    assert refused(model=SD15, **fields) == ["codeformer_weight"]


def test_the_models_view_lists_styles_and_the_upscalers_without_weights():
    view = native.models_view(ctx().catalog)

    assert [s["name"] for s in view["styles"]] == ["cinematic", "sharp"]
    assert "Latent (bicubic antialiased)" in view["latent_upscale_modes"]
    assert view["builtin_upscalers"] == ["None", "Lanczos", "Nearest"]
