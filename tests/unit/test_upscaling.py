"""A1111's upscaling rules shared by the door and the worker (`schema/upscaling.py`)."""

from __future__ import annotations

import pytest

from sdapi.schema.upscaling import HiresTarget, extras_size, hires_target


def test_hires_by_scale_multiplies_both_sides():
    assert hires_target(512, 768, 1.5, 0, 0) == HiresTarget(768, 1152)


@pytest.mark.parametrize(
    ("resize", "target"),
    [((1024, 0), HiresTarget(1024, 1536)), ((0, 1536), HiresTarget(1024, 1536))],
)
def test_one_resize_side_keeps_the_aspect_ratio(resize, target):
    assert hires_target(512, 768, 2, *resize) == target


def test_two_resize_sides_cover_then_crop_in_latent_cells():
    target = hires_target(512, 512, 2, 1024, 768)

    assert target == HiresTarget(1024, 1024, 0, 32)
    assert (target.final_width, target.final_height) == (1024, 768)


def test_a_taller_target_covers_by_its_height():
    target = hires_target(768, 512, 2, 800, 800)

    assert target == HiresTarget(1200, 800, 50, 0)
    assert (target.final_width, target.final_height) == (800, 800)


def test_extras_scale_by_rounds_down_to_multiples_of_eight():
    assert extras_size(100, 60, scale_to=False, by=2.5, to_w=0, to_h=0, crop=True) == (248, 144)


def test_extras_scale_to_crops_to_the_asked_size_or_covers_it():
    assert extras_size(100, 50, scale_to=True, by=1, to_w=300, to_h=300, crop=True) == (300, 300)
    assert extras_size(100, 50, scale_to=True, by=1, to_w=300, to_h=300, crop=False) == (600, 296)
