"""Textual-inversion embeddings used by name, and styles merged by A1111's `{prompt}` rule (tiny catalog)."""

from __future__ import annotations

import json

import pytest

from inference_container.errors import InvalidJob
from sdapi.schema.prompt import Style
from tests.container.conftest import make_job, pixels

pytestmark = pytest.mark.container


def test_an_embedding_named_in_the_prompt_changes_the_image_and_is_hashed(generator_worker):
    # given the same prompt with and without the sd15 embedding's name
    plain = generator_worker.generate(make_job(prompt="a lighthouse"))
    embedded = generator_worker.generate(make_job(prompt="a lighthouse, easynegative"))
    # then the embedding's vectors change the picture and the infotext names its hash
    assert (pixels(embedded.images[0]) != pixels(plain.images[0])).any()
    assert 'TI hashes: "easynegative: ' in embedded.infotexts[0]
    assert "TI hashes" not in plain.infotexts[0]


def test_a_two_vector_embedding_takes_two_tokens(generator_worker, models, catalog):
    # given the tiny two-vector embedding loaded into the sd15 checkpoint
    from inference_container.conditioning.chunks import TokenIds, embedding_groups, tokenize_weighted

    pipe = models.checkpoint(catalog.find("v1-5-pruned-emaonly")).pipe
    generator_worker.embeddings.ensure(pipe, catalog.find("v1-5-pruned-emaonly").family)
    groups = embedding_groups(pipe.tokenizer)
    # when "easynegative" is tokenized
    _, count = tokenize_weighted("easynegative", pipe.tokenizer, TokenIds.of(pipe.tokenizer), groups=groups)
    # then it is its two vectors
    assert count == 2


def test_sdxl_embedding_in_an_sdxl_negative_prompt(generator_worker):
    # given the SDXL embedding in the negative prompt
    plain = generator_worker.generate(make_job(model="sd_xl_base_1.0", negative_prompt="ugly"))
    embedded = generator_worker.generate(
        make_job(model="sd_xl_base_1.0", negative_prompt="ugly, unaestheticXLv31")
    )
    # then both of its encoders' vectors take part
    assert (pixels(embedded.images[0]) != pixels(plain.images[0])).any()
    assert "unaestheticXLv31: " in embedded.infotexts[0]


def test_a_named_embedding_of_another_family_is_refused(generator_worker):
    with pytest.raises(InvalidJob, match="embedding 'easynegative' is for sd15 models"):
        generator_worker.generate(make_job(model="sd_xl_base_1.0", embeddings=("easynegative",)))


def test_styles_are_applied_and_info_keeps_the_prompt_as_written(generator_worker):
    # given a style with the placeholder and one without
    styles = (
        Style(name="frame", prompt="a photo of {prompt}", negative_prompt="blurry"),
        Style(name="sharp", prompt="sharp"),
    )
    styled = generator_worker.generate(make_job(prompt="a lighthouse", negative_prompt="ugly", styles=styles))
    by_hand = generator_worker.generate(
        make_job(prompt="a photo of a lighthouse, sharp", negative_prompt="ugly, blurry")
    )
    info = json.loads(styled.info)
    # then the picture is the one of the merged prompts
    assert (pixels(styled.images[0]) == pixels(by_hand.images[0])).all()
    # and info keeps the prompt as written, lists the styles, and all_prompts/infotext show the merge
    assert info["prompt"] == "a lighthouse"
    assert info["styles"] == ["frame", "sharp"]
    assert info["all_prompts"] == ["a photo of a lighthouse, sharp"]
    assert styled.infotexts[0].startswith("a photo of a lighthouse, sharp\nNegative prompt: ugly, blurry\n")
