"""Latent-space helpers of the conditioning and noise step: a batch's seeded noise streams, the inpainting
mask at latent size, the job's noise swapped into the img2img/inpaint schedulers, and latent upscaling
(A1111 resize mode 3)."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from inference_container import seeds
from sdapi.schema.job import InpaintFill, Job

LATENT_CHANNELS = 4
SCALE = 8
"""Pixels per latent cell along each side (the VAE's downscale factor)."""


def latent_shape(job: Job) -> tuple[int, int, int]:
    """(channels, height, width) of one image's latents."""
    return LATENT_CHANNELS, job.height // SCALE, job.width // SCALE


def batch_noise(
    job: Job, batch_seeds: list[int], batch_subseeds: list[int], device: torch.device
) -> seeds.ImageNoise:
    """The batch's noise streams (one per image) from the job's noise source, with A1111's variation seeds,
    seed resize and eta noise seed delta; `first()` is the initial noise (N, C, H, W)."""
    spec = seeds.NoiseSpec.of(job, latent_shape(job))
    return seeds.ImageNoise(spec, batch_seeds, batch_subseeds, device)


def latent_mask(mask: Image.Image, shape: tuple[int, int, int]) -> torch.Tensor:
    """The mask at latent size, 0 or 1 per cell, shaped (1, 1, H, W)."""
    small = mask.resize((shape[2], shape[1]), Image.BILINEAR)
    return torch.from_numpy((np.asarray(small, dtype=np.float32) / 255.0).round())[None, None]


def inject_noise(scheduler, noise: torch.Tensor, fill: InpaintFill | None, mask: torch.Tensor | None) -> None:
    """Make the img2img/inpaint pipelines noise the init latents with *our* seeded noise (A1111 semantics).

    diffusers draws that noise itself and passes it to `scheduler.add_noise`; this per-job scheduler swaps it
    for the job's noise (same shape, checked), and first applies A1111's `latent noise` / `latent nothing`
    fills to the masked area of the init latents.
    """
    original = scheduler.add_noise

    def add_noise(samples: torch.Tensor, drawn: torch.Tensor, timesteps):
        if drawn.shape != noise.shape:
            raise RuntimeError(f"noise shape {tuple(drawn.shape)} != prepared {tuple(noise.shape)}")
        ours = noise.to(drawn.device, drawn.dtype)
        if fill is not None and mask is not None:
            m = mask.to(samples.device, samples.dtype)
            replacement = ours if fill == InpaintFill.LATENT_NOISE else torch.zeros_like(samples)
            samples = samples * (1 - m) + replacement * m
        return original(samples, ours, timesteps)

    scheduler.add_noise = add_noise


def upscaled_latents(pipe, images: list[Image.Image], job: Job, device: torch.device) -> torch.Tensor:
    """A1111 resize mode 3: each image encoded at its own size, its latents then upscaled to the target
    size."""
    vae = pipe.vae
    out = []
    for image in images:
        w, h = (image.width // SCALE) * SCALE, (image.height // SCALE) * SCALE
        pixels = pipe.image_processor.preprocess(image.resize((max(SCALE, w), max(SCALE, h))))
        pixels = pixels.to(device, vae.dtype)
        latents = vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
        out.append(
            torch.nn.functional.interpolate(
                latents, size=(job.height // SCALE, job.width // SCALE), mode="bilinear", antialias=False
            )
        )
    return torch.cat(out).to(pipe.unet.dtype)
