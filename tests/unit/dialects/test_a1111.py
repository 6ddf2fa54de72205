"""A1111 dialect: payload → canonical job, record → `{images, parameters, info}`, errors, listings."""

from __future__ import annotations

import pytest

from sdapi.dialects import a1111
from sdapi.errors import InvalidRequest, NotFound
from sdapi.records import JobRecord
from sdapi.schema.job import ControlMode, InpaintFill, JobState, ResizeMode, Task
from tests.unit.dialects.support import CATALOG, ctx


def to_job(payload: dict, img2img: bool = False, **kwargs):
    model = a1111.Img2ImgRequest if img2img else a1111.Txt2ImgRequest
    return a1111.payload_to_job(model.model_validate(payload), ctx(), a1111.Routing(**kwargs))


def test_defaults_follow_the_worker_schema():
    job = to_job({"prompt": "a cat"})
    assert (job.sampler, job.scheduler, job.steps, job.cfg_scale) == ("Euler a", "automatic", 20, 7)
    assert (job.width, job.height, job.batch_size, job.n_iter) == (512, 512, 1, 1)
    assert job.model == "sd_xl_base_1.0"
    assert job.pool == "sdxl"
    assert job.vae is None
    assert job.refiner is None


def test_override_settings_pick_model_vae_and_clip_skip():
    job = to_job(
        {
            "override_settings": {
                "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors [6ce0161689]",
                "sd_vae": "Automatic",
                "CLIP_stop_at_last_layers": 2,
            }
        }
    )
    assert job.model == "v1-5-pruned-emaonly"
    assert job.pool == "sd15"
    assert job.vae is None
    assert job.clip_skip == 2


def test_img2img_with_mask_is_inpaint_with_a1111_fields():
    job = to_job(
        {
            "init_images": ["QUJD"],
            "mask": "data:image/png;base64,TUFTSw==",
            "mask_blur": 8,
            "inpainting_fill": 2,
            "inpainting_mask_invert": 1,
            "inpaint_full_res": 0,
            "inpaint_full_res_padding": 16,
            "resize_mode": 1,
            "denoising_strength": 0.4,
        },
        img2img=True,
    )
    assert job.task == Task.INPAINT
    assert job.resize_mode == ResizeMode.CROP_AND_RESIZE
    assert job.mask.image == "TUFTSw=="
    assert job.mask.blur == 8
    assert job.mask.invert is True
    assert job.mask.fill == InpaintFill.LATENT_NOISE
    assert job.mask.full_res is False
    assert job.mask.full_res_padding == 16
    assert job.denoising_strength == 0.4


def test_img2img_without_images_is_refused():
    with pytest.raises(InvalidRequest) as raised:
        to_job({"prompt": "x"}, img2img=True)
    assert raised.value.problems[0].field == "init_images"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"enable_hr": True, "hr_scale": 10}, "hires.scale"),
        ({"tiling": True}, "tiling"),
        ({"script_name": "x/y/z plot"}, "script_name"),
        ({"width": 500}, "width"),
        ({"seed": 2**40}, "seed"),
        ({"refiner_checkpoint": "sd_xl_refiner_1.0", "refiner_switch_at": -0.5}, "refiner.switch_at"),
    ],
)
def test_unsupported_or_invalid_values_name_the_field(payload, field):
    with pytest.raises(InvalidRequest) as raised:
        to_job(payload)
    assert raised.value.problems[0].field == field
    assert a1111.to_caller_path(field) in (
        "hr_scale",
        "tiling",
        "script_name",
        "width",
        "seed",
        "refiner_switch_at",
    )


def test_refiner_switch_at_one_means_no_refiner_and_none_means_the_default():
    assert to_job({"refiner_checkpoint": "sd_xl_refiner_1.0", "refiner_switch_at": 1}).refiner is None
    assert to_job({"refiner_checkpoint": "sd_xl_refiner_1.0"}).refiner.switch_at == 0.8


def test_controlnet_units_accept_strings_and_ints_and_skip_disabled_ones():
    scripts = {
        "controlnet": {
            "args": [
                {"enabled": False, "model": "control_v11p_sd15_canny"},
                {
                    "model": "control_v11p_sd15_canny [d14c016b]",
                    "module": "Canny",
                    "resize_mode": 0,
                    "control_mode": 2,
                    "threshold_a": 300,
                    "threshold_b": -1,
                    "processor_res": -1,
                    "image": "data:image/png;base64,SU1H",
                },
                {
                    "model": "control_v11p_sd15_canny",
                    "resize_mode": "Resize and Fill",
                    "control_mode": "My prompt is more important",
                    "lowvram": True,
                },
            ]
        }
    }
    job = to_job(
        {"alwayson_scripts": scripts, "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"}}
    )
    first, second = job.controlnet
    assert first.module == "canny"
    assert first.resize_mode == ResizeMode.JUST_RESIZE
    assert first.control_mode == ControlMode.CONTROLNET
    assert first.image == "SU1H"
    assert (first.threshold_a, first.threshold_b, first.processor_res) == (100, 200, 512)
    assert second.resize_mode == ResizeMode.RESIZE_AND_FILL
    assert second.control_mode == ControlMode.PROMPT
    assert second.low_vram is True
    assert second.threshold_a is None


def test_unknown_controlnet_mode_names_the_unit_field():
    with pytest.raises(InvalidRequest) as raised:
        to_job({"alwayson_scripts": {"controlnet": {"args": [{"model": "m", "control_mode": "Loud"}]}}})
    field = raised.value.problems[0].field
    assert field == "controlnet[0].control_mode"
    assert a1111.to_caller_path(field) == "alwayson_scripts.controlnet.args[0].control_mode"


def test_response_body_and_pending_body():
    job = to_job({"prompt": "a cat"})
    record = JobRecord(
        id=job.id,
        owner="alice",
        dialect=job.dialect,
        pool=job.pool,
        task=job.task,
        model=job.model,
        state=JobState.COMPLETED,
        created_at=1,
        request=job.request,
        output_prefix="outputs/x/",
        info='{"seed": 1}',
    )
    assert a1111.response_body(record, ["B64"]) == {
        "images": ["B64"],
        "parameters": job.request,
        "info": '{"seed": 1}',
    }
    pending = a1111.pending_body(record.model_copy(update={"state": JobState.QUEUED}), 25)
    assert pending["id"] == job.id
    assert pending["status"] == "queued"
    assert job.id in pending["detail"]


def test_error_shapes():
    status, body = a1111.error_body(NotFound("job 1 not found"))
    assert status == 404
    assert body["error"] == "NotFound"
    assert body["detail"] == "job 1 not found"
    assert set(body) >= {"error", "detail", "body", "errors"}
    status, body = a1111.validation_body(
        [{"loc": ("body", "width"), "msg": "Input should be a valid integer", "type": "int_parsing"}],
        {"width": "x"},
    )
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "width"]
    assert "width" in body["errors"]


def test_upscalers_are_the_builtins_then_the_catalog_models():
    listed = a1111.listing("upscalers", CATALOG)

    assert [u["name"] for u in listed] == ["None", "Lanczos", "Nearest", "ESRGAN_4x", "R-ESRGAN General 4xV3"]
    assert listed[3] == {
        "name": "ESRGAN_4x",
        "model_name": "ESRGAN_4x",
        "model_path": "ESRGAN_4x",
        "model_url": None,
        "scale": 4,
    }


def test_latent_upscale_modes_are_a1111s():
    assert [m["name"] for m in a1111.listing("latent-upscale-modes", CATALOG)] == [
        "Latent",
        "Latent (antialiased)",
        "Latent (bicubic)",
        "Latent (bicubic antialiased)",
        "Latent (nearest)",
        "Latent (nearest-exact)",
    ]


def test_listings_come_from_the_catalog():
    assert {m["model_name"] for m in a1111.sd_models_listing(CATALOG)} == {
        "sd_xl_base_1.0",
        "sd_xl_refiner_1.0",
        "v1-5-pruned-emaonly",
    }
    assert a1111.sd_vae_listing(CATALOG) == [{"model_name": "sdxl_vae", "filename": "sdxl_vae"}]
    assert a1111.options_listing(CATALOG)["sd_model_checkpoint"] == "sd_xl_base_1.0"
    assert [r["name"] for r in a1111.face_restorers_listing(CATALOG)] == ["CodeFormer", "GFPGAN"]
    schedulers = {s["name"] for s in a1111.schedulers_listing()}
    assert "karras" in schedulers
    assert "align_your_steps" not in schedulers


def test_hires_fields_become_the_jobs_hires():
    job = to_job(
        {
            "enable_hr": True,
            "hr_scale": 1.5,
            "hr_upscaler": "ESRGAN_4x",
            "hr_second_pass_steps": 7,
            "denoising_strength": 0.4,
            "hr_prompt": "sharper",
            "hr_negative_prompt": "blur",
            "hr_sampler_name": "DPM++ 2M Karras",
            "hr_checkpoint_name": "Use same checkpoint",
        }
    )

    assert job.hires.model_dump() == {
        "scale": 1.5,
        "resize_x": 0,
        "resize_y": 0,
        "upscaler": "ESRGAN_4x",
        "steps": 7,
        "denoising_strength": 0.4,
        "prompt": "sharper",
        "negative_prompt": "blur",
        "sampler": "DPM++ 2M",
        "scheduler": "karras",
        "checkpoint": None,
    }


def test_hires_without_a_strength_takes_a1111s_default_and_the_latent_upscaler():
    hires = to_job({"enable_hr": True}).hires

    assert (hires.denoising_strength, hires.upscaler) == (0.75, "Latent")


def test_hires_schedule_alone_keeps_the_first_pass_sampler():
    hires = to_job({"enable_hr": True, "sampler_name": "DPM++ 2M", "hr_scheduler": "exponential"}).hires

    assert (hires.sampler, hires.scheduler) == (None, "exponential")


def test_without_enable_hr_the_hr_fields_do_nothing():
    assert to_job({"hr_scale": 3, "hr_upscaler": "Lanczos"}).hires is None


def test_code_former_weight_comes_from_override_settings():
    job = to_job({"restore_faces": True, "override_settings": {"code_former_weight": 0.2}})

    assert job.codeformer_weight == 0.2


def test_filter_nsfw_runs_the_safety_checker():
    job = to_job({"override_settings": {"filter_nsfw": True}})

    assert job.safety_checker is True


def test_without_filter_nsfw_no_safety_checker_runs():
    assert to_job({"prompt": "a cat"}).safety_checker is False


def test_a_filter_nsfw_that_is_not_a_boolean_is_refused_by_name():
    with pytest.raises(InvalidRequest) as raised:
        to_job({"override_settings": {"filter_nsfw": "yes"}})

    assert raised.value.problems[0].field == "override_settings.filter_nsfw"


def extras_job(**fields):
    request = a1111.ExtrasSingleImageRequest.model_validate({"image": "data:image/png;base64,AAAA", **fields})
    return a1111.extras.extras_to_job(request, ctx())


def test_extra_single_image_becomes_an_extras_job_with_a1111s_defaults():
    job = extras_job(upscaler_1="ESRGAN_4x", codeformer_visibility=0.5)

    assert (job.task, job.init_images) == ("extras", ("AAAA",))
    assert job.extras.model_dump() == {
        "upscale": {
            "scale": 2.0,
            "width": None,
            "height": None,
            "crop": True,
            "upscaler": "ESRGAN_4x",
            "upscaler_2": "None",
            "upscaler_2_visibility": 0.0,
        },
        "gfpgan_visibility": 0.0,
        "codeformer_visibility": 0.5,
        "codeformer_weight": 0.0,
    }


def test_extras_scale_to_takes_the_width_and_height():
    upscale = extras_job(resize_mode=1, upscaling_resize_w=640, upscaling_resize_h=480).extras.upscale

    assert (upscale.width, upscale.height, upscale.scale_to) == (640, 480, True)


def test_extras_without_an_image_names_the_field():
    with pytest.raises(InvalidRequest) as raised:
        a1111.extras.extras_to_job(a1111.ExtrasSingleImageRequest(), ctx())

    assert raised.value.problems[0].field == "image"


def test_extras_paths_are_the_callers():
    assert (
        a1111.extras.to_caller_path("extras.upscale.upscaler_2_visibility") == "extras_upscaler_2_visibility"
    )
    assert a1111.extras.to_caller_path("init_images[2]", "imageList") == "imageList[2].data"


def test_the_extras_answer_is_html_info_and_the_image():
    record = type("R", (), {"info": "Postprocess upscaler: Lanczos", "request": {"image": None}})()

    body = a1111.extras.response_body(record, ["IMG"])

    assert body == {"html_info": "<p>Postprocess upscaler: Lanczos</p>", "image": "IMG"}
