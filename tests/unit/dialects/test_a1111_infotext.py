"""`POST /sdapi/v1/png-info`: A1111's `parse_generation_parameters` carried over, as a table of A1111's own
behaviour, and the PNG text chunks it reads."""

from __future__ import annotations

import pytest

from sdapi.dialects.a1111.infotext import parse_generation_parameters, png_info_body
from tests.unit.dialects.support import png_with_text

SIMPLE = (
    "a cat\nNegative prompt: ugly\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x768"
)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (SIMPLE, "Prompt", "a cat"),
        (SIMPLE, "Negative prompt", "ugly"),
        (SIMPLE, "Steps", "20"),
        (SIMPLE, "Sampler", "Euler a"),
        (SIMPLE, "Seed", "965400086"),
        (SIMPLE, "Size-1", "512"),
        (SIMPLE, "Size-2", "768"),
        # missing values get A1111's defaults
        (SIMPLE, "Clip skip", "1"),
        (SIMPLE, "RNG", "GPU"),
        (SIMPLE, "Schedule type", "Automatic"),
        (SIMPLE, "Hires resize-1", 0),
        (SIMPLE, "Hires sampler", "Use same sampler"),
        (SIMPLE, "Masked area padding", 32),
        (SIMPLE, "FP8 weight", "Disable"),
        # prompts over several lines, negative prompt over several lines
        ("a cat\non a mat\nSteps: 20, Sampler: Euler, Seed: 1", "Prompt", "a cat\non a mat"),
        ("a\nNegative prompt: b\nc\nSteps: 20, Sampler: Euler, Seed: 1", "Negative prompt", "b\nc"),
        # a last line with fewer than 3 parameters is prompt text
        ("a cat\nSteps: 20, Seed: 1", "Prompt", "a cat\nSteps: 20, Seed: 1"),
        # quoted values keep their commas
        (
            'x\nSteps: 20, Sampler: Euler, ControlNet 0: "preprocessor: canny, weight: 1", Seed: 1',
            "ControlNet 0",
            "preprocessor: canny, weight: 1",
        ),
        # a hypernet is put back into the prompt
        (
            "x\nSteps: 20, Sampler: Euler, Hypernet: anime, Hypernet strength: 0.5",
            "Prompt",
            "x<hypernet:anime:0.5>",
        ),
        # old hires fix: "First pass size" becomes the size, the size becomes the hires resize
        ("x\nSteps: 20, Sampler: Euler, Size: 1024x1024, First pass size: 512x512", "Size-1", 512),
        ("x\nSteps: 20, Sampler: Euler, Size: 1024x1024, First pass size: 512x512", "Hires resize-1", 1024),
        ("x\nSteps: 20, Sampler: Euler, Size: 1024x1024, First pass size: 0x0", "Size-1", 512),
        # versions before 1.7.0-225 downcast alphas_cumprod; before 1.6 DDIM pads conds
        ("x\nSteps: 20, Sampler: DDIM, Version: v1.5.1", "Pad conds v0", True),
        ("x\nSteps: 20, Sampler: Euler, Version: v1.6.0", "Downcast alphas_cumprod", True),
    ],
)
def test_parse_generation_parameters_as_a1111(text, key, expected):
    assert parse_generation_parameters(text)[key] == expected


def test_a_recent_version_sets_no_backcompat_flag():
    parsed = parse_generation_parameters("x\nSteps: 20, Sampler: Euler, Version: v1.10.1")
    assert "Downcast alphas_cumprod" not in parsed


def test_an_empty_infotext_parses_to_the_defaults():
    parsed = parse_generation_parameters("")
    assert (parsed["Prompt"], parsed["Clip skip"]) == ("", "1")


def test_png_info_reads_the_parameters_chunk_as_info():
    body = png_info_body(png_with_text({"parameters": SIMPLE}))
    assert body["info"] == SIMPLE


def test_png_info_parses_the_parameters():
    body = png_info_body(png_with_text({"parameters": SIMPLE}))
    assert body["parameters"]["Seed"] == "965400086"


def test_png_info_lists_the_other_text_chunks_as_items():
    body = png_info_body(png_with_text({"parameters": SIMPLE, "Software": "sdapi"}))
    assert body["items"] == {"Software": "sdapi"}


def test_png_info_of_a_png_without_parameters_is_empty_info():
    assert png_info_body(png_with_text({}))["info"] == ""
