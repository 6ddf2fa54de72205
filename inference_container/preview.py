"""The live preview of a job while it denoises: A1111's "Approx cheap" (`show_progress_type`), a fixed
linear map from the four latent channels to RGB, no network, at latent resolution (64 x 64 for 512²).

What is previewed is the sampler's current estimate of the final latents (A1111 previews the denoised
prediction, `live_preview_content`): the step's `pred_original_sample` where the diffusers scheduler
returns one (Euler, Euler a, DDIM, LMS, Heun, DPM2, DPM++ SDE), its data prediction where it keeps one
(DPM++ 2M / 2S, UniPC), else the step's latents. The first image of the batch is previewed, encoded as a
base64 PNG without a `data:` prefix, as A1111's `encode_pil_to_base64` answers `current_image`. A preview
is made only when the job tracker writes one, at most once a second (`storage.PREVIEW_INTERVAL_S`).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from sdapi.schema.catalog import Family

MAX_SIDE = 128
"""Previews larger than this (latents of images over 1024 px) are shrunk to it, so the stored item stays
small (DynamoDB's 400 KB item limit, and every write of the item is billed by its size)."""

# A1111 `modules/sd_vae_approx.py` `cheap_approximation` (AUTOMATIC1111/stable-diffusion-webui, commit
# 326c86913ce02ac7e5efd720009db79575864e90): rows are the latent channels, columns R, G, B, after
# https://discuss.huggingface.co/t/decoding-latents-to-rgb-without-upscaling/23204/2
SD15_LATENT_RGB = (
    (0.298, 0.207, 0.208),
    (0.187, 0.286, 0.173),
    (-0.158, 0.189, 0.264),
    (-0.184, -0.271, -0.473),
)
SDXL_LATENT_RGB = (
    (0.3448, 0.4168, 0.4395),
    (-0.1953, -0.0290, 0.0250),
    (0.1074, 0.0886, -0.0163),
    (-0.3730, -0.2499, -0.2088),
)
LATENT_RGB = {
    Family.SD15: SD15_LATENT_RGB,
    Family.SDXL: SDXL_LATENT_RGB,
    Family.SDXL_REFINER: SDXL_LATENT_RGB,
}
"""The coefficients of each checkpoint family's latent space (the SDXL refiner shares SDXL's VAE)."""

_DATA_PREDICTIONS = ("dpmsolver++", "sde-dpmsolver++")


def cheap_approximation(latent: torch.Tensor, family: Family) -> Image.Image:
    """One image's latents (channels x height x width) as RGB, as A1111's `cheap_approximation` followed by
    `single_sample_to_image` (x 0.5 + 0.5, clamped to [0, 1], x 255, truncated to uint8)."""
    coefficients = torch.tensor(LATENT_RGB[family], dtype=torch.float32, device=latent.device)
    rgb = torch.einsum("lxy,lr -> rxy", latent.detach().to(torch.float32), coefficients) * 0.5 + 0.5
    rgb = torch.clamp(rgb, min=0.0, max=1.0)
    pixels = 255.0 * np.moveaxis(rgb.cpu().numpy(), 0, 2)
    return Image.fromarray(pixels.astype(np.uint8))


def encode(image: Image.Image) -> str:
    """Base64 PNG, no `data:` prefix (shrunk to `MAX_SIDE` first when larger)."""
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def denoised(scheduler, latents: torch.Tensor | None) -> torch.Tensor | None:
    """The scheduler's latest estimate of the final latents (see the module's docstring), else `latents`.
    `scheduler.last_step` is what its last `step` returned (`samplers.drive` records it)."""
    result = getattr(scheduler, "last_step", None)
    if isinstance(result, tuple) and len(result) > 1 and isinstance(result[1], torch.Tensor):
        return result[1]
    predicted = getattr(result, "pred_original_sample", None)
    if isinstance(predicted, torch.Tensor):
        return predicted
    config = getattr(scheduler, "config", {})
    predicts_data = config.get("algorithm_type") in _DATA_PREDICTIONS or config.get("predict_x0") is True
    outputs = getattr(scheduler, "model_outputs", None)
    if predicts_data and outputs and isinstance(outputs[-1], torch.Tensor):
        return outputs[-1]
    return latents


def preview(latents: torch.Tensor | None, family: Family | None) -> str | None:
    """The base64 PNG preview of the batch's first image, or None where there is none to make (no latents,
    or a latent space without known coefficients)."""
    if latents is None or family not in LATENT_RGB or latents.ndim != 4:
        return None
    if latents.shape[1] != len(LATENT_RGB[family]):
        return None
    return encode(cheap_approximation(latents[0], family))
