"""A1111 seed semantics: per-image seeds, variation seeds (slerp) and seed resize, on the CPU for
reproducibility.

The initial noise of image i is drawn from its own `torch.Generator` on the CPU, so a seed gives the same
picture on any GPU (or none). The noise the samplers add during denoising (ancestral / SDE samplers) comes
from per-image generators on the execution device, seeded the same way, so nothing is copied CPU→GPU in the
loop.
"""

from __future__ import annotations

import torch

from sdapi.schema.job import Job


def image_seeds(job: Job) -> tuple[list[int], list[int]]:
    """(all_seeds, all_subseeds) as A1111 computes them for batch_size x n_iter images."""
    count = job.image_count
    seeds = [job.seed + (i if job.subseed_strength == 0 else 0) for i in range(count)]
    subseeds = [job.subseed + i for i in range(count)]
    return seeds, subseeds


def randn(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(shape, generator=generator, device="cpu", dtype=torch.float32)


def slerp(val: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """A1111's spherical interpolation between two noise tensors (norms along dim 1, as upstream)."""
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low + (torch.sin(val * omega) / so).unsqueeze(
        1
    ) * high


def initial_noise(
    shape: tuple[int, int, int],
    seeds: list[int],
    subseeds: list[int] | None = None,
    subseed_strength: float = 0.0,
    seed_resize_from: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Unit-variance noise (N, C, H, W) for latents of `shape` = (C, H, W), one slice per seed, as A1111 does.

    `seed_resize_from` = (width, height) in pixels: draw the noise at that size and paste it centred, so a
    seed keeps its composition when the size changes.
    """
    noise_shape = shape
    if seed_resize_from and seed_resize_from[0] > 0 and seed_resize_from[1] > 0:
        noise_shape = (shape[0], seed_resize_from[1] // 8, seed_resize_from[0] // 8)
    out = []
    for i, seed in enumerate(seeds):
        noise = randn(seed, noise_shape)
        if subseeds is not None and subseed_strength != 0:
            subseed = subseeds[i] if i < len(subseeds) else 0
            noise = slerp(subseed_strength, noise, randn(subseed, noise_shape))
        if noise_shape != shape:
            x = randn(seed, shape)
            dx = (shape[2] - noise_shape[2]) // 2
            dy = (shape[1] - noise_shape[1]) // 2
            w = noise_shape[2] if dx >= 0 else noise_shape[2] + 2 * dx
            h = noise_shape[1] if dy >= 0 else noise_shape[1] + 2 * dy
            tx, ty = max(dx, 0), max(dy, 0)
            sx, sy = max(-dx, 0), max(-dy, 0)
            x[:, ty : ty + h, tx : tx + w] = noise[:, sy : sy + h, sx : sx + w]
            noise = x
        out.append(noise)
    return torch.stack(out)


def step_generators(seeds: list[int], device: torch.device) -> list[torch.Generator]:
    """Per-image generators on the execution device for the noise samplers add while denoising."""
    return [torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds]
