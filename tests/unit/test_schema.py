"""The shared contract: sampler names, the catalog's family rules, the canonical job and settings."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from sdapi.config import Limits, Settings
from sdapi.schema import SAMPLERS, Catalog, Job, split_sampler_name
from sdapi.schema.catalog import Family
from sdapi.schema.job import MAX_SEED, parse_inference_id
from sdapi.schema.samplers import display_name, find_sampler, resolve_schedule, schedule_key


def _catalog() -> Catalog:
    return Catalog.model_validate(
        {
            "models": [
                {"name": "sd_xl_base_1.0", "family": "sdxl"},
                {
                    "name": "v1-5-pruned-emaonly",
                    "family": "sd15",
                    "aliases": ["v1-5-pruned-emaonly.safetensors"],
                },
                {"name": "control_v11p_sd15_canny", "family": "controlnet", "base": "sd15"},
                {"name": "sdxl_vae", "family": "vae", "base": "sdxl", "aliases": ["sdxl_vae.safetensors"]},
            ],
            "pools": [
                {
                    "name": "sdxl",
                    "endpoint_name": "e1",
                    "default_model": "sd_xl_base_1.0",
                    "models": ["sd_xl_base_1.0", "sdxl_vae"],
                },
                {
                    "name": "sd15",
                    "endpoint_name": "e2",
                    "default_model": "v1-5-pruned-emaonly",
                    "models": ["v1-5-pruned-emaonly", "control_v11p_sd15_canny"],
                },
            ],
            "default_pool": "sdxl",
        }
    )


def _job(**overrides) -> Job:
    values = dict(
        id="123",
        owner="o",
        dialect="native",
        pool="sdxl",
        task="txt2img",
        model="m",
        seed=1,
        output={"prefix": "outputs/123/"},
        created_at=1.0,
    )
    values.update(overrides)
    return Job(**values)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DPM++ SDE Karras", ("DPM++ SDE", "karras")),
        ("DPM++ 2M SDE", ("DPM++ 2M SDE", None)),
        ("DPM++ 2M SDE Heun Exponential", ("DPM++ 2M SDE Heun", "exponential")),
        ("Euler a", ("Euler a", None)),
        ("DPM++ 2M  SGM Uniform", ("DPM++ 2M", "sgm_uniform")),
    ],
)
def test_a_trailing_schedule_word_is_split_off_the_sampler_name(name, expected):
    assert split_sampler_name(name) == expected


def test_every_sampler_in_the_table_is_found_by_name_and_alias():
    for spec in SAMPLERS.values():
        assert find_sampler(spec.name) is spec
        assert find_sampler(spec.name.upper()) is spec
        for alias in spec.aliases:
            assert find_sampler(alias) is spec


def test_samplers_without_a_diffusers_counterpart_are_marked_unsupported():
    assert {s.name for s in SAMPLERS.values() if not s.supported} == {
        "DPM fast",
        "DPM adaptive",
        "Restart",
        "DDIM CFG++",
    }


def test_automatic_schedule_resolves_to_the_samplers_default_and_shows_in_the_display_name():
    spec = find_sampler("DPM++ SDE")
    assert resolve_schedule(spec, "automatic") == "karras"
    assert display_name("DPM++ SDE", "Karras") == "DPM++ SDE Karras"
    assert display_name("Euler a", "automatic") == "Euler a"
    assert schedule_key("SGM Uniform") == "sgm_uniform"


def test_catalog_finds_models_by_alias_and_a1111_title():
    catalog = _catalog()
    assert catalog.find("sdxl_vae.safetensors").name == "sdxl_vae"
    assert catalog.find("v1-5-pruned-emaonly.safetensors [6ce0161689]").name == "v1-5-pruned-emaonly"
    assert catalog.find("nope") is None


def test_an_sd15_controlnet_does_not_fit_an_sdxl_checkpoint():
    canny = _catalog().find("control_v11p_sd15_canny")
    assert not canny.fits(Family.SDXL)
    assert canny.fits(Family.SD15)


def test_a_checkpoint_is_served_by_the_pool_that_holds_it():
    catalog = _catalog()
    assert catalog.pool_for_model("v1-5-pruned-emaonly").name == "sd15"
    assert catalog.pool_for_model("sd_xl_base_1.0").name == "sdxl"


def test_a_catalog_whose_pool_names_an_unknown_model_is_refused():
    raw = _catalog().model_dump()
    raw["pools"][0]["models"] = ["ghost"]
    with pytest.raises(ValidationError, match="ghost"):
        Catalog.model_validate(raw)


def test_job_sizes_must_be_multiples_of_eight_and_seeds_resolved():
    with pytest.raises(ValidationError, match="multiple"):
        _job(width=500)
    with pytest.raises(ValidationError):
        _job(seed=-1)
    assert _job(seed=MAX_SEED).seed == MAX_SEED


def test_img2img_and_inpaint_need_their_inputs():
    with pytest.raises(ValidationError, match="init image"):
        _job(task="img2img")
    with pytest.raises(ValidationError, match="mask"):
        _job(task="inpaint", init_images=("aGk=",))


def test_job_ids_cannot_hold_the_retry_separator_and_inference_ids_round_trip():
    with pytest.raises(ValidationError):
        _job(id="a:1")
    job = _job(id="test-a1", attempt=2)
    assert job.inference_id == "test-a1:2"
    assert parse_inference_id(job.inference_id) == ("test-a1", 2)
    assert parse_inference_id("test-a1") == ("test-a1", 0)


def test_settings_round_trip_through_the_environment():
    settings = Settings(
        jobs_table="j",
        keys_table="k",
        bucket="b",
        catalog=_catalog(),
        limits=Limits(max_width=1024),
        allow_loopback_urls=True,
    )
    env = settings.to_env()
    assert json.loads(env["SDAPI_CATALOG"])["default_pool"] == "sdxl"
    assert Settings.from_env(env) == settings


def test_settings_name_the_missing_variable():
    with pytest.raises(ValidationError, match="jobs_table"):
        Settings.from_env({"SDAPI_KEYS_TABLE": "k"})


@pytest.mark.parametrize(
    "prefix",
    ["outputs/../inputs/", "outputs/a/../../x/", "outputs/./1/", "outputs//1/", "outputs/a/./", "outputs/.."],
)
def test_output_prefixes_with_dot_or_empty_segments_are_refused(prefix):
    with pytest.raises(ValidationError):
        _job(output={"prefix": prefix})


def test_output_prefixes_may_nest_and_use_dotted_names():
    assert _job(output={"prefix": "outputs/team/v1.2/123/"}).output_key(0) == "outputs/team/v1.2/123/0.png"
