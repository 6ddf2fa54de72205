"""LoRA tags (A1111 extra networks) and prompt styles (A1111 `{prompt}` rule)."""

from __future__ import annotations

import pytest

from sdapi.schema.prompt import LoraRequest, Style, apply_styles, loras_of, parse_extra_networks
from sdapi.schema.prompt.networks import InvalidTag


def test_tags_are_removed_from_the_text_and_collected_by_kind():
    # given A1111's own example of extra-network tags
    prompt = "1girl, <hypernet:agm:1.1> <extrasupernet:master:12:13:14> <hypernet:ray>"
    # when parsed
    text, tags = parse_extra_networks(prompt)
    # then the text has no tags and each kind lists its arguments in order
    assert text == "1girl,   "
    assert [p.items for p in tags["hypernet"]] == [("agm", "1.1"), ("ray",)]
    assert [p.items for p in tags["extrasupernet"]] == [("master", "12", "13", "14")]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("<lora:detail:0.8>", LoraRequest("detail", 0.8, 0.8)),
        ("<lora:detail>", LoraRequest("detail", 1.0, 1.0)),
        ("<lora:detail:0.5:1.2>", LoraRequest("detail", 0.5, 1.2)),
        ("<lora:detail:te=0.3:unet=0.7>", LoraRequest("detail", 0.3, 0.7)),
        ("<lora:detail:1:0.5:8>", LoraRequest("detail", 1.0, 0.5, 8)),
        ("<lyco:detail:0.6>", LoraRequest("detail", 0.6, 0.6)),
    ],
)
def test_lora_weights_read_as_a1111_reads_them(tag, expected):
    # given a LoRA tag in a prompt
    text, loras = loras_of(f"a cat {tag}, best")
    # then the weights are A1111's (unet defaults to the te weight) and the tag is gone from the text
    assert loras == [expected]
    assert text == "a cat , best"


def test_a_lora_weight_that_is_no_number_is_refused_by_name():
    # given a tag with a weight that is not a number, then it is an error naming the tag
    with pytest.raises(InvalidTag, match="<lora:detail:lots>"):
        loras_of("<lora:detail:lots>")


def test_a_style_with_the_placeholder_wraps_the_prompt():
    # given a style with {prompt}
    style = Style(name="frame", prompt="a photo of {prompt}, 35mm", negative_prompt="blurry")
    # when applied
    prompt, negative = apply_styles("a cat", "ugly", [style])
    # then the prompt is substituted and the negative (no placeholder) appended after ", "
    assert prompt == "a photo of a cat, 35mm"
    assert negative == "ugly, blurry"


def test_styles_apply_in_order_and_drop_empty_sides():
    # given two styles and an empty negative prompt
    styles = [
        Style(name="a", prompt="sharp"),
        Style(name="b", prompt="{prompt}, dramatic", negative_prompt="x"),
    ]
    # when applied in order
    prompt, negative = apply_styles("  a cat ", "", styles)
    # then each merges into the previous result, and an empty side adds no comma
    assert prompt == "a cat, sharp, dramatic"
    assert negative == "x"
