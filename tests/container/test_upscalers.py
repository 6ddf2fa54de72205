"""Upscalers through spandrel (the tiny ESRGAN and Real-ESRGAN compact models) and A1111's built-ins."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from inference_container.upscalers import BuiltinUpscaler, load_descriptor, tiled

pytestmark = pytest.mark.container


def picture(width: int = 40, height: int = 24, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8))


def test_spandrel_recognises_the_tiny_esrgan_from_its_weights(catalog):
    descriptor = load_descriptor(catalog.path(catalog.find("ESRGAN_4x")), torch.device("cpu"), ("SR",), "x")

    assert (descriptor.architecture.id, descriptor.scale) == ("ESRGAN", 4)


def test_a_model_upscaler_reaches_the_asked_scale_in_multiples_of_eight(models, catalog):
    upscaler = models.upscaler(catalog.find("R-ESRGAN General 4xV3"))

    upscaled = upscaler.upscale(picture(40, 24), 2.5)

    assert upscaled.size == (96, 56)


def test_a_scale_above_the_model_scale_runs_the_model_again(models, catalog):
    upscaler = models.upscaler(catalog.find("R-ESRGAN General 4xV3"))
    image = picture(16, 16)

    twice = upscaler.upscale(image, 16)

    assert twice.size == (256, 256)
    assert np.array_equal(np.asarray(twice), np.asarray(upscaler.run(upscaler.run(image))))


def test_a_model_upscaler_is_deterministic_and_not_a_plain_resize(models, catalog):
    upscaler = models.upscaler(catalog.find("ESRGAN_4x"))
    image = picture()

    first, second = upscaler.upscale(image, 4), upscaler.upscale(image, 4)

    assert np.array_equal(np.asarray(first), np.asarray(second))
    assert not np.array_equal(np.asarray(first), np.asarray(image.resize(first.size, Image.LANCZOS)))


def test_tiles_cover_the_image_and_blend_to_the_untiled_result_for_a_pointwise_model():
    pixels = torch.rand(1, 3, 50, 70)

    def model(x):  # a pointwise "2x" model: every tile agrees with its neighbours on the overlap
        return torch.nn.functional.interpolate(x * 0.5 + 0.1, scale_factor=2, mode="nearest")

    assert torch.allclose(tiled(model, pixels, 2, 16, 4), model(pixels), atol=1e-6)


@pytest.mark.parametrize(("name", "resample"), [("Lanczos", Image.LANCZOS), ("Nearest", Image.NEAREST)])
def test_builtin_upscalers_resize_with_pil(name, resample):
    image = picture()

    upscaled = BuiltinUpscaler(name).upscale(image, 2)

    assert np.array_equal(np.asarray(upscaled), np.asarray(image.resize((80, 48), resample)))


def test_the_none_upscaler_leaves_the_image_alone():
    image = picture()

    assert BuiltinUpscaler("None").upscale(image, 2) is image


def test_face_weights_are_not_an_upscaler(catalog):
    with pytest.raises(ValueError, match="FaceSR"):
        load_descriptor(catalog.path(catalog.find("GFPGAN")), torch.device("cpu"), ("SR",), "upscaler")
