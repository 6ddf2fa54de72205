"""The live preview: A1111's "Approx cheap" projection of the latents (`modules/sd_vae_approx.py`
`cheap_approximation`, then `single_sample_to_image`), the denoised estimate it is made from, and its
encoding."""

from __future__ import annotations

import base64
import io

import pytest
import torch
from PIL import Image

from inference_container import preview
from sdapi.schema.catalog import Family

# A latent with the same value in every cell → the colour A1111 shows for it:
# each channel c = sum(latent[l] * coefs[l][c]) * 0.5 + 0.5, clamped to [0, 1], x 255, truncated.
COLOURS = [
    (Family.SD15, (0, 0, 0, 0), (127, 127, 127)),  # 0.5 x 255 = 127.5
    (Family.SD15, (1, 0, 0, 0), (165, 153, 154)),  # row 1: 0.298, 0.207, 0.208
    (Family.SD15, (0, 0, 1, 0), (107, 151, 161)),  # row 3: -0.158, 0.189, 0.264
    (Family.SD15, (0, 0, 0, 2), (80, 58, 6)),  # 2 x row 4: -0.368, -0.542, -0.946
    (Family.SD15, (10, 0, 0, 0), (255, 255, 255)),  # clamped at 1
    (Family.SD15, (0, 0, 0, 10), (0, 0, 0)),  # clamped at 0
    (Family.SDXL, (1, 0, 0, 0), (171, 180, 183)),  # row 1: 0.3448, 0.4168, 0.4395
    (Family.SDXL, (0, -1, 0, 0), (152, 131, 124)),  # -row 2: 0.1953, 0.0290, -0.0250
    (Family.SDXL, (0, 0, 0, 1), (79, 95, 100)),  # row 4: -0.3730, -0.2499, -0.2088
    (Family.SDXL_REFINER, (1, 0, 0, 0), (171, 180, 183)),  # the refiner shares SDXL's latent space
]


def flat_latent(values, height: int = 2, width: int = 3) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(4, 1, 1).expand(4, height, width).clone()


def decode(data: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data, validate=True)))


@pytest.mark.parametrize(("family", "latent", "rgb"), COLOURS)
def test_a_latent_becomes_a1111s_approx_cheap_colour(family, latent, rgb):
    image = preview.cheap_approximation(flat_latent(latent), family)
    assert image.getpixel((2, 1)) == rgb


def test_the_approximation_is_at_latent_resolution():
    image = preview.cheap_approximation(flat_latent((0, 0, 0, 0), height=64, width=96), Family.SD15)
    assert image.size == (96, 64)


def test_the_preview_is_a_base64_png_without_a_data_prefix():
    latents = flat_latent((1, 0, 0, 0), height=8, width=8).unsqueeze(0)

    encoded = preview.preview(latents, Family.SD15)

    assert decode(encoded).format == "PNG"


def test_the_preview_keeps_the_exact_colours():
    latents = flat_latent((1, 0, 0, 0), height=8, width=8).unsqueeze(0)
    assert decode(preview.preview(latents, Family.SD15)).convert("RGB").getpixel((0, 0)) == (165, 153, 154)


def test_the_preview_is_of_the_batchs_first_image():
    latents = torch.stack([flat_latent((0, 0, 0, 10)), flat_latent((10, 0, 0, 0))])
    assert decode(preview.preview(latents, Family.SD15)).convert("RGB").getpixel((0, 0)) == (0, 0, 0)


def test_a_large_latent_is_shrunk_to_the_longest_side_cap():
    latents = torch.zeros(1, 4, 192, 256)  # height x width
    assert decode(preview.preview(latents, Family.SDXL)).size == (preview.MAX_SIDE, 96)


@pytest.mark.parametrize(
    ("latents", "family"),
    [
        (None, Family.SD15),
        (torch.zeros(1, 4, 8, 8), Family.CONTROLNET),
        (torch.zeros(1, 4, 8, 8), None),
        (torch.zeros(1, 16, 8, 8), Family.SDXL),
    ],
    ids=["no latents", "no coefficients for the family", "no family", "another latent space"],
)
def test_there_is_no_preview_without_known_coefficients(latents, family):
    assert preview.preview(latents, family) is None


class Scheduler:
    def __init__(self, last_step=None, config=None, model_outputs=None):
        self.last_step = last_step
        self.config = config or {}
        self.model_outputs = model_outputs


def test_the_denoised_estimate_is_the_steps_predicted_original_sample():
    current, predicted = torch.ones(1, 4, 2, 2), torch.zeros(1, 4, 2, 2)
    scheduler = Scheduler(last_step=(current, predicted))
    assert preview.denoised(scheduler, current) is predicted


def test_the_denoised_estimate_of_dpm_plus_plus_is_its_data_prediction():
    current, predicted = torch.ones(1, 4, 2, 2), torch.zeros(1, 4, 2, 2)
    scheduler = Scheduler(
        last_step=(current,), config={"algorithm_type": "dpmsolver++"}, model_outputs=[None, predicted]
    )
    assert preview.denoised(scheduler, current) is predicted


def test_without_a_denoised_estimate_the_current_latents_are_previewed():
    current = torch.ones(1, 4, 2, 2)
    scheduler = Scheduler(
        last_step=(current,), config={"algorithm_type": "dpmsolver"}, model_outputs=[current]
    )
    assert preview.denoised(scheduler, current) is current
