"""Hires fix between its two passes, as A1111's `StableDiffusionProcessingTxt2Img.sample_hr_pass` does it:
the first pass's latents upscaled in latent space (the Latent modes: torch `interpolate` with A1111's mode
and antialias), or decoded, upscaled as images by the named upscaler and resized to the target with Lanczos;
then cropped (in latent cells) to the asked size when both `hr_resize_x` and `hr_resize_y` are set; and the
second pass's noise, drawn for the larger latents from the same seeds."""

from __future__ import annotations

import torch
from PIL import Image

from inference_container import seeds
from inference_container.steps.latents import LATENT_CHANNELS, SCALE
from inference_container.steps.plan import hires_job
from inference_container.upscalers import resize_with
from sdapi.schema.job import Job
from sdapi.schema.upscaling import LATENT_UPSCALE_MODES, HiresTarget, hires_target


def target(job: Job) -> HiresTarget:
    """Where the job's hires pass upscales to (A1111 `hr_upscale_to_x/y`, `truncate_x/y`)."""
    hires = job.hires
    assert hires is not None
    return hires_target(job.width, job.height, hires.scale, hires.resize_x, hires.resize_y)


def is_latent(job: Job) -> bool:
    return job.hires is not None and job.hires.upscaler in LATENT_UPSCALE_MODES


def upscale_latents(latents: torch.Tensor, job: Job) -> torch.Tensor:
    """The first pass's latents at the target size, then cropped (a Latent mode)."""
    assert job.hires is not None
    goal = target(job)
    mode, antialias = LATENT_UPSCALE_MODES[job.hires.upscaler]
    size = (goal.height // SCALE, goal.width // SCALE)
    upscaled = torch.nn.functional.interpolate(latents, size=size, mode=mode, antialias=antialias)
    return crop(upscaled, goal)


def upscale_images(images: list[Image.Image], job: Job, upscaler) -> list[Image.Image]:
    """The first pass's images upscaled by `upscaler` to the target size, then cropped (a model or built-in
    upscaler; A1111 crops the encoded latents, which is the same cells of the image)."""
    goal = target(job)
    out = []
    for image in images:
        image = resize_with(upscaler, image, goal.width, goal.height)
        left, top = (goal.truncate_x // 2) * SCALE, (goal.truncate_y // 2) * SCALE
        out.append(image.crop((left, top, left + goal.final_width, top + goal.final_height)))
    return out


def crop(latents: torch.Tensor, goal: HiresTarget) -> torch.Tensor:
    """A1111's crop: `truncate // 2` cells off the top and left, `(truncate + 1) // 2` off the others."""
    h, w = latents.shape[2], latents.shape[3]
    ty, tx = goal.truncate_y, goal.truncate_x
    return latents[:, :, ty // 2 : h - (ty + 1) // 2, tx // 2 : w - (tx + 1) // 2]


def second_pass_noise(
    job: Job, batch_seeds: list[int], batch_subseeds: list[int], device: torch.device
) -> seeds.ImageNoise:
    """A1111's `ImageRNG(samples.shape[1:], seeds, subseeds, subseed_strength, seed_resize_from_h/w)` for
    the second pass's (cropped) latent size: `first()` noises the upscaled latents, `next()` feeds the
    sampler."""
    goal = target(job)
    shape = (LATENT_CHANNELS, goal.final_height // SCALE, goal.final_width // SCALE)
    return seeds.ImageNoise(seeds.NoiseSpec.of(job, shape), batch_seeds, batch_subseeds, device)


def second_pass_job(job: Job) -> Job:
    """The job as the second pass runs it (its sampler, schedule type, steps and prompts)."""
    return hires_job(job)


def decode(pipe, latents: torch.Tensor) -> list[Image.Image]:
    """Latents to images with the pipeline's VAE (upcast to float32 where the VAE needs it, as diffusers
    does): hires fix with denoising strength 0 upscales only."""
    vae = pipe.vae
    upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
    dtype = vae.dtype
    if upcast:
        vae.to(torch.float32)
    try:
        pixels = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
    finally:
        if upcast:
            vae.to(dtype)
    return pipe.image_processor.postprocess(pixels.detach(), output_type="pil")
