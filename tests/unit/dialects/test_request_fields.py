"""Every request field is applied, refused by name, or without effect by design: the generated
inventory, the declared refusals, unknown fields and scripts, `send_images`, the sampler knobs and
`override_settings`."""

from __future__ import annotations

import pytest

from sdapi.dialects import a1111, inventory, tasks, v3
from sdapi.dialects.common import Outputs
from sdapi.errors import InvalidRequest
from sdapi.schema.job import JobState, NoiseSource
from tests.unit.dialects.support import ctx, record_for


def to_job(payload: dict, img2img: bool = False):
    model = a1111.Img2ImgRequest if img2img else a1111.Txt2ImgRequest
    return a1111.payload_to_job(model.model_validate(payload), ctx())


def refusal(payload: dict, img2img: bool = False) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        to_job(payload, img2img)
    return caught.value


def fields_of(error: InvalidRequest) -> list[str]:
    return [p.field for p in error.problems]


# --- the inventory -------------------------------------------------------------------------------------


def test_every_field_of_every_dialect_declares_its_handling():
    assert inventory.unclassified() == []


def test_the_committed_inventory_is_what_the_models_generate():
    assert inventory.DOC.read_text(encoding="utf-8") == inventory.render()


def test_the_inventory_lists_nested_controlnet_unit_fields():
    paths = [r.path for r in inventory.rows(a1111.Txt2ImgRequest)]
    assert "alwayson_scripts.controlnet.args[].threshold_a" in paths


def test_a_field_without_a_declared_handling_is_reported():
    from pydantic import BaseModel

    class Unmarked(BaseModel):
        width: int = 512

    assert [r.handling for r in inventory.rows(Unmarked)] == ["?"]


# --- refusals declared next to the fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tiling": True}, "tiling"),
        ({"enable_hr": True, "firstpass_image": "QUJD"}, "firstpass_image"),
        ({"enable_hr": True, "hr_additional_modules": ["clip_l"]}, "hr_additional_modules"),
        ({"script_name": "x/y/z plot"}, "script_name"),
        ({"s_min_uncond": 0.5}, "s_min_uncond"),
        ({"force_task_id": "abc"}, "force_task_id"),
        ({"disable_extra_networks": True}, "disable_extra_networks"),
    ],
)
def test_a_refused_field_away_from_its_default_is_a_400_naming_it(payload, field):
    assert fields_of(refusal(payload)) == [field]


def test_a_refused_field_at_its_default_is_accepted():
    job = to_job({"tiling": False, "script_args": [], "s_min_uncond": 0})
    assert job.prompt == ""


def test_a_neutral_value_of_a_refused_field_is_accepted():
    job = to_job({"init_images": ["QUJD"], "initial_noise_multiplier": 1}, img2img=True)
    assert job.init_images == ("QUJD",)


def test_a_refused_controlnet_unit_field_is_named_with_its_unit():
    error = refusal({"alwayson_scripts": {"controlnet": {"args": [{"model": "cn", "mask": "QUJD"}]}}})
    assert fields_of(error) == ["alwayson_scripts.controlnet.args[0].mask"]


def test_an_unknown_field_is_refused_by_the_model():
    with pytest.raises(ValueError, match="hires_magic"):
        a1111.Txt2ImgRequest.model_validate({"hires_magic": 1})


# --- always-on scripts ---------------------------------------------------------------------------------


def test_an_unknown_alwayson_script_is_a_400_naming_it():
    error = refusal({"alwayson_scripts": {"ADetailer": {"args": [True]}}})
    assert fields_of(error) == ["alwayson_scripts.ADetailer"]


def test_an_unknown_alwayson_script_lists_the_supported_ones():
    error = refusal({"alwayson_scripts": {"reactor": {"args": []}}})
    assert "controlnet" in error.problems[0].reason


def test_the_controlnet_script_name_is_case_insensitive():
    job = to_job({"alwayson_scripts": {"ControlNet": {"args": []}}})
    assert job.controlnet == ()


def test_webuiapis_one_element_control_mode_is_read():
    unit = {"model": "control_canny", "image": "QUJD", "control_mode": ["Balanced"]}
    job = to_job({"alwayson_scripts": {"controlnet": {"args": [unit]}}})
    assert job.controlnet[0].control_mode == "balanced"


def test_controlnet_guidance_stands_for_guidance_end_when_that_is_not_sent():
    unit = {"model": "control_canny", "image": "QUJD", "guidance": 0.5}
    job = to_job({"alwayson_scripts": {"controlnet": {"args": [unit]}}})
    assert job.controlnet[0].guidance_end == 0.5


# --- send_images -----------------------------------------------------------------------------------------


class CountingOutputs:
    """An output source that counts how often the stored images are read."""

    bucket = "bucket"

    def __init__(self):
        self.reads = 0

    def outputs(self, record, *, base64):
        self.reads += 1
        return Outputs(images=["IMG"])


def completed(payload: dict):
    job = to_job(payload)
    return record_for(job, state=JobState.COMPLETED, outputs=["outputs/1/0.png"], info="{}")


def test_send_images_false_answers_no_images():
    _, body = a1111.answer(completed({"send_images": False}), CountingOutputs(), 0)
    assert body["images"] == []


def test_send_images_false_does_not_read_the_stored_images():
    source = CountingOutputs()
    a1111.answer(completed({"send_images": False}), source, 0)
    assert source.reads == 0


def test_send_images_true_answers_the_images():
    _, body = a1111.answer(completed({}), CountingOutputs(), 0)
    assert body["images"] == ["IMG"]


# --- sampler knobs ---------------------------------------------------------------------------------------


def test_eta_is_applied_to_ddim():
    job = to_job({"sampler_name": "DDIM", "eta": 0.3})
    assert job.eta == 0.3


def test_eta_away_from_its_default_is_refused_for_euler_a_naming_field_and_sampler():
    error = refusal({"sampler_name": "Euler a", "eta": 0.5})
    assert fields_of(error) == ["eta"]
    assert "Euler a" in error.problems[0].reason


def test_eta_at_the_ancestral_default_is_accepted_for_euler_a():
    job = to_job({"sampler_name": "Euler a", "eta": 1.0})
    assert job.eta is None


def test_eta_is_without_effect_for_a_sampler_that_ignores_it_upstream():
    job = to_job({"sampler_name": "DPM++ 2M", "eta": 0.4})
    assert job.eta is None


def test_churn_knobs_are_applied_to_euler():
    job = to_job({"sampler_name": "Euler", "s_churn": 0.5, "s_tmin": 0.1, "s_tmax": 10, "s_noise": 1.003})
    assert (job.s_churn, job.s_tmin, job.s_tmax, job.s_noise) == (0.5, 0.1, 10, 1.003)


def test_s_churn_is_refused_for_heun():
    assert fields_of(refusal({"sampler_name": "Heun", "s_churn": 0.5})) == ["s_churn"]


def test_s_tmax_zero_means_infinity_and_is_not_carried():
    job = to_job({"sampler_name": "Euler", "s_tmax": 0})
    assert job.s_tmax is None


def test_webuiapis_default_knobs_are_accepted_with_euler():
    job = to_job({"sampler_name": "Euler", "eta": 1.0, "s_churn": 0, "s_tmax": 0, "s_tmin": 0, "s_noise": 1})
    assert (job.eta, job.s_churn, job.s_tmax) == (None, None, None)


def test_a_knob_the_hires_second_pass_sampler_cannot_take_is_refused_at_the_door():
    error = refusal({"sampler_name": "Euler", "s_churn": 1, "enable_hr": True, "hr_sampler_name": "Heun"})
    assert fields_of(error) == ["s_churn"]


def test_eta_is_carried_for_a_ddim_second_pass_as_a1111_uses_it_there():
    job = to_job({"sampler_name": "DPM++ 2M", "eta": 0.4, "enable_hr": True, "hr_sampler_name": "DDIM"})
    assert job.eta == 0.4


def test_eta_ddim_override_is_ddims_eta_when_the_request_gives_none():
    job = to_job({"sampler_name": "DDIM", "override_settings": {"eta_ddim": 0.2}})
    assert job.eta == 0.2


# --- override_settings -----------------------------------------------------------------------------------


def test_an_unknown_override_setting_is_a_400_naming_the_key():
    error = refusal({"override_settings": {"img2img_color_correction": True}})
    assert fields_of(error) == ["override_settings.img2img_color_correction"]


def test_randn_source_maps_onto_the_noise_source():
    job = to_job({"override_settings": {"randn_source": "NV"}})
    assert job.noise_source == NoiseSource.NV


def test_the_noise_source_defaults_to_a1111s_gpu():
    assert to_job({}).noise_source == NoiseSource.GPU


def test_an_unknown_randn_source_is_a_400_naming_it():
    assert fields_of(refusal({"override_settings": {"randn_source": "TPU"}})) == [
        "override_settings.randn_source"
    ]


def test_eta_noise_seed_delta_maps_onto_the_job():
    job = to_job({"override_settings": {"eta_noise_seed_delta": 31337}})
    assert job.eta_noise_seed_delta == 31337


def test_samples_format_other_than_png_is_refused():
    assert fields_of(refusal({"override_settings": {"samples_format": "jpg"}})) == [
        "override_settings.samples_format"
    ]


# --- v3 --------------------------------------------------------------------------------------------------


def v3_job(body: dict):
    return v3.to_job(v3.V3Request.model_validate(body), "text2img", ctx())


def test_v3_refuses_panorama_yes_naming_it():
    with pytest.raises(InvalidRequest) as caught:
        v3_job({"prompt": "x", "panorama": "yes"})
    assert fields_of(caught.value) == ["panorama"]


def test_v3_accepts_panorama_no():
    assert v3_job({"prompt": "x", "panorama": "no"}).prompt == "x"


def test_v3_applies_clip_skip_and_karras_sigmas():
    job = v3_job({"prompt": "x", "clip_skip": "2", "use_karras_sigmas": "yes"})
    assert (job.clip_skip, job.scheduler) == (2, "karras")


def test_v3_refuses_an_unknown_field():
    with pytest.raises(ValueError, match="magic_field"):
        v3.V3Request.model_validate({"magic_field": "yes"})


# --- SD on EKS routing keys ------------------------------------------------------------------------------


def task_job(scripts: dict):
    body = {
        "prompt": "x",
        "alwayson_scripts": {
            "task": "text-to-image",
            "id_task": "t1",
            "sd_model_checkpoint": "none",
            **scripts,
        },
    }
    return tasks.to_job(tasks.from_v1alpha1(body), ctx())


def test_the_queue_agents_own_routing_keys_are_accepted():
    assert task_job({"uid": "u-1", "save_dir": "out"}).prompt == "x"


def test_an_sd_vae_routing_key_becomes_the_vae_override():
    assert task_job({"sd_vae": "sdxl_vae"}).vae == "sdxl_vae"


def test_override_settings_in_the_routing_keys_are_merged():
    assert task_job({"override_settings": {"CLIP_stop_at_last_layers": 2}}).clip_skip == 2
