"""LoRAs through diffusers' loaders (peft) on the tiny catalog: per job, weighted, and gone afterwards."""

from __future__ import annotations

import pytest

from inference_container.errors import InvalidJob
from tests.container.conftest import make_job, pixels

pytestmark = pytest.mark.container


def image(worker, **fields):
    return pixels(worker.generate(make_job(**fields)).images[0])


def test_weight_zero_equals_no_lora_bit_for_bit(generator_worker):
    # given the same job without a LoRA and with a LoRA at weight 0
    baseline = image(generator_worker, prompt="a lighthouse")
    zero = image(generator_worker, prompt="a lighthouse <lora:add_detail:0>")
    # then the pixels are identical
    assert (zero == baseline).all()


def test_a_lora_changes_the_pixels_and_the_next_job_equals_the_baseline(generator_worker):
    # given a baseline, then a job with a LoRA, then the baseline job again on the same worker
    baseline = image(generator_worker, prompt="a lighthouse")
    with_lora = image(generator_worker, prompt="a lighthouse <lora:add_detail:1>")
    after = image(generator_worker, prompt="a lighthouse")
    # then the LoRA changed the picture and left nothing behind
    assert (with_lora != baseline).any()
    assert (after == baseline).all()


def test_the_text_encoder_and_unet_weights_act_separately(generator_worker):
    # given the LoRA on the text encoder only, and on the UNet only
    te_only = image(generator_worker, prompt="a lighthouse <lora:add_detail:1:0>")
    unet_only = image(generator_worker, prompt="a lighthouse <lora:add_detail:0:1>")
    both = image(generator_worker, prompt="a lighthouse <lora:add_detail:1:1>")
    # then each half changes the picture on its own
    assert (te_only != both).any()
    assert (unet_only != both).any()


def test_several_loras_at_once_and_the_job_list(generator_worker):
    # given the same LoRA twice, once from the prompt and once from the job's list (v3 lora_model)
    one = image(generator_worker, prompt="a lighthouse <lora:add_detail:0.5>")
    two = image(generator_worker, prompt="a lighthouse <lora:add_detail:0.5>", loras=[{"name": "add_detail"}])
    # then both apply
    assert (one != two).any()


def test_sdxl_lora_on_sdxl(generator_worker):
    # given an SDXL LoRA on the SDXL base
    baseline = image(generator_worker, model="sd_xl_base_1.0", prompt="a lighthouse")
    with_lora = image(
        generator_worker, model="sd_xl_base_1.0", prompt="a lighthouse <lora:sd_xl_offset_example-lora_1.0:1>"
    )
    # then it changes the picture
    assert (with_lora != baseline).any()


def test_lora_hashes_in_the_infotext_and_the_prompt_as_written(generator_worker):
    # given a prompt with a LoRA tag
    prompt = "a lighthouse <lora:add_detail:0.7>"
    result = generator_worker.generate(make_job(prompt=prompt))
    # then the infotext keeps the tag and names the LoRA's hash
    assert result.infotexts[0].startswith(prompt + "\n")
    assert 'Lora hashes: "add_detail: ' in result.infotexts[0]


def test_a_repeated_lora_is_read_from_disk_once(generator_worker):
    # given a LoRA used twice on the same worker
    generator_worker.generate(make_job(prompt="<lora:add_detail:1> a"))
    before = generator_worker.loras.read_seconds
    result = generator_worker.generate(make_job(prompt="<lora:add_detail:1> b"))
    # then the second job read nothing from disk
    assert generator_worker.loras.read_seconds == before
    assert "add_detail" in generator_worker.loras.cached()
    assert result.timings["lora_read_s"] == 0


def test_an_unknown_lora_is_refused_by_name(generator_worker):
    with pytest.raises(InvalidJob, match="lora 'no_such_lora' is not in this container's catalog"):
        generator_worker.generate(make_job(prompt="<lora:no_such_lora:1>"))


def test_an_sd15_lora_on_sdxl_is_refused_naming_both(generator_worker):
    with pytest.raises(
        InvalidJob, match=r"lora 'add_detail' is for sd15 models; model 'sd_xl_base_1.0' is sdxl"
    ):
        generator_worker.generate(make_job(model="sd_xl_base_1.0", prompt="<lora:add_detail:1>"))
