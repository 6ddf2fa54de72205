"""Shared dialect helpers: seed loading for the dialect tests, path mapping, model choice, samplers."""

from __future__ import annotations

import pytest

from sdapi.dialects.common import (
    build_job,
    caller_paths,
    choose_model,
    loc_to_path,
    prefixed,
    remap,
    resolve_sampler,
    resolve_seed,
    strip_data_url,
)
from sdapi.errors import FieldProblem, InvalidRequest, UrlRefused
from sdapi.schema.job import Dialect, Task
from tests.seeds import seed_blocks
from tests.unit.dialects.support import CATALOG, ctx


def test_seed_blocks_are_readable():
    assert seed_blocks("000")[0]["input"]["api"]["endpoint"] == "/sdapi/v1/img2img"
    assert seed_blocks("004")[0]["task"]["metadata"]["id"] == "test-i2i"


def test_loc_to_path_formats_indices():
    assert loc_to_path(("controlnet", 0, "model")) == "controlnet[0].model"
    assert loc_to_path(("input", "payload", "width")) == "input.payload.width"


def test_remap_translates_every_problem_and_keeps_the_error_type():
    error = UrlRefused("init_images[0]", "is not https")

    mapped = remap(error, prefixed("input.payload."))

    assert isinstance(mapped, UrlRefused)
    assert mapped.problems == [FieldProblem("input.payload.init_images[0]", "is not https")]
    assert mapped.message == "input.payload.init_images[0]: is not https"


def test_caller_paths_reraises_in_caller_paths():
    with pytest.raises(InvalidRequest) as raised, caller_paths(lambda p: f"task.content.{p}"):
        raise InvalidRequest.field("width", "must be a multiple of 8")
    assert raised.value.problems[0].field == "task.content.width"


def test_choose_model_picks_the_pool_holding_the_checkpoint():
    assert choose_model(CATALOG, "v1-5-pruned-emaonly.safetensors").pool.name == "sd15"
    assert choose_model(CATALOG, None).model == "sd_xl_base_1.0"
    assert choose_model(CATALOG, None, pool_name="sd15").model == "v1-5-pruned-emaonly"


def test_choose_model_refuses_unknown_and_foreign_checkpoints():
    with pytest.raises(InvalidRequest) as unknown:
        choose_model(CATALOG, "dreamshaper_8")
    assert unknown.value.problems[0].field == "model"
    assert "dreamshaper_8" in unknown.value.message
    with pytest.raises(InvalidRequest) as foreign:
        choose_model(CATALOG, "v1-5-pruned-emaonly", pool_name="sdxl")
    assert "not served by pool 'sdxl'" in foreign.value.message


def test_sampler_suffix_wins_over_the_scheduler_field_as_in_a1111():
    assert resolve_sampler("DPM++ SDE Karras", None) == ("DPM++ SDE", "karras")
    assert resolve_sampler("DPM++ 2M Karras", "exponential") == ("DPM++ 2M", "karras")
    assert resolve_sampler("DPM++ SDE", "karras") == ("DPM++ SDE", "karras")
    assert resolve_sampler("DPM++ 2M SDE", None) == ("DPM++ 2M SDE", "automatic")
    assert resolve_sampler(None, None) == ("Euler a", "automatic")
    assert resolve_sampler("k_euler_a", "Karras") == ("Euler a", "karras")


def test_random_seed_and_data_urls():
    assert resolve_seed(-1, 42) == 42
    assert resolve_seed(None, 42) == 42
    assert resolve_seed(7, 42) == 7
    assert strip_data_url("data:image/png;base64,AAAA") == "AAAA"
    assert strip_data_url("AAAA") == "AAAA"


def test_a_missing_body_is_reported_as_the_body_not_as_a_blank_field():
    from pydantic import BaseModel, ValidationError

    from sdapi.dialects.common import problems_from_validation

    class Body(BaseModel):
        body: dict

    try:
        Body.model_validate({})
    except ValidationError as error:
        problems = problems_from_validation(error, skip=1)
    assert [(p.field, p.reason) for p in problems] == [("body", "a JSON body is required")]


def test_build_job_fills_the_submit_context():
    # Given a submit context, when a job is built from request fields only,
    job = build_job(
        ctx(),
        base64=False,
        dialect=Dialect.NATIVE,
        pool="sdxl",
        task=Task.TXT2IMG,
        model="sd_xl_base_1.0",
        seed=1,
    )

    # then id, owner, key id, creation time and the output prefix come from the context.
    assert (job.id, job.owner, job.key_id) == ("1234567890", "alice", "key_1")
    assert job.created_at == ctx().now
    assert job.output.prefix == "outputs/1234567890/"


def test_build_job_puts_the_outputs_under_a_callers_folder():
    job = build_job(
        ctx(),
        base64=False,
        folder="/team/a/",
        dialect=Dialect.TASKS,
        pool="sdxl",
        task=Task.TXT2IMG,
        model="sd_xl_base_1.0",
        seed=1,
    )

    assert job.output.prefix == "outputs/team/a/1234567890/"


def test_resolve_seed_uses_the_drawn_seed_for_random():
    assert resolve_seed(-1, 99) == 99
    assert resolve_seed(None, 99) == 99
    assert resolve_seed(5, 99) == 5
