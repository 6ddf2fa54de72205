"""A1111 seed semantics: per-image seeds, variation seeds (slerp), seed resize, the three noise sources and
the eta noise seed delta.

Every image has its own noise stream, seeded with its own seed and drawn from the job's `noise_source`
(A1111's `randn_source`):

- `GPU` (A1111's default): `torch.randn` with a generator on the execution device. On a CUDA machine that is
  CUDA's Philox generator (the noise A1111 draws on an NVIDIA GPU); on a CPU-only machine it is the CPU
  generator, as in A1111.
- `CPU`: torch's CPU generator, then moved to the device: the same noise on every machine.
- `NV`: A1111's emulation of CUDA's generator on the CPU (`inference_container.philox`): GPU noise anywhere.

A stream's first draw is the image's initial noise (`ImageNoise.first`, as A1111's `ImageRNG.first`); the
noise samplers add while denoising (ancestral, SDE and churn steps) are the stream's next draws
(`ImageNoise.next`). With an eta noise seed delta (ENSD) those later draws come from fresh streams seeded
`seed + ENSD`, as A1111 does. Image i's noise depends on its own seed only, so every image of a batch is
reproducible alone from its reported seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from inference_container.philox import PhiloxGenerator
from sdapi.schema.job import Job, NoiseSource


def image_seeds(job: Job) -> tuple[list[int], list[int]]:
    """(all_seeds, all_subseeds) as A1111 computes them for batch_size x n_iter images."""
    count = job.image_count
    seeds = [job.seed + (i if job.subseed_strength == 0 else 0) for i in range(count)]
    subseeds = [job.subseed + i for i in range(count)]
    return seeds, subseeds


class NoiseStream:
    """One seeded stream of standard normal float32 tensors from one noise source."""

    def __init__(self, source: NoiseSource, seed: int, device: torch.device):
        self.source = NoiseSource(source)
        self.device = device
        self._philox: PhiloxGenerator | None = None
        self._generator: torch.Generator | None = None
        if self.source == NoiseSource.NV:
            self._philox = PhiloxGenerator(seed)
        else:
            self._draw_on = torch.device("cpu") if self.source == NoiseSource.CPU else device
            self._generator = torch.Generator(device=self._draw_on).manual_seed(int(seed))

    def randn(self, shape: tuple[int, ...]) -> torch.Tensor:
        """The stream's next tensor of `shape`, float32, on the execution device."""
        if self._philox is not None:
            return torch.from_numpy(self._philox.randn(shape)).to(self.device)
        drawn = torch.randn(shape, generator=self._generator, device=self._draw_on, dtype=torch.float32)
        return drawn.to(self.device)


def randn(
    seed: int, shape: tuple[int, ...], source: NoiseSource = NoiseSource.CPU, device=None
) -> torch.Tensor:
    """The first tensor of `shape` that seed `seed` gives from `source` (A1111 `randn` / `randn_local`)."""
    return NoiseStream(source, seed, torch.device(device or "cpu")).randn(shape)


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


@dataclass(frozen=True)
class NoiseSpec:
    """How a job's noise is drawn: latent shape (C, H, W), source, variation, seed resize and ENSD."""

    shape: tuple[int, int, int]
    source: NoiseSource = NoiseSource.CPU
    subseed_strength: float = 0.0
    seed_resize_from: tuple[int, int] | None = None
    """(width, height) in pixels: draw the noise at that size and paste it centred."""
    eta_noise_seed_delta: int = 0

    @classmethod
    def of(cls, job: Job, shape: tuple[int, int, int]) -> NoiseSpec:
        """The noise spec of `job` for latents of `shape`."""
        return cls(
            shape=shape,
            source=job.noise_source,
            subseed_strength=job.subseed_strength,
            seed_resize_from=(job.seed_resize_from_w, job.seed_resize_from_h),
            eta_noise_seed_delta=job.eta_noise_seed_delta,
        )


class ImageNoise:
    """A batch's noise, one stream per image (A1111's `ImageRNG`): `first()` once, then `next()` per draw."""

    def __init__(self, spec: NoiseSpec, seeds: list[int], subseeds: list[int], device: torch.device):
        self.spec = spec
        self.seeds = list(seeds)
        self.subseeds = list(subseeds)
        self.device = device
        self.streams = [NoiseStream(spec.source, seed, device) for seed in self.seeds]
        self.draws = 0
        """How many `next()` tensors the samplers have drawn."""

    def first(self) -> torch.Tensor:
        """The initial noise (N, C, H, W), float32 on the device, with variation seeds and seed resize."""
        spec, shape = self.spec, self.spec.shape
        noise_shape = shape
        resize = spec.seed_resize_from
        if resize and resize[0] > 0 and resize[1] > 0:
            noise_shape = (shape[0], resize[1] // 8, resize[0] // 8)
        out = [self._first_of(i, seed, noise_shape) for i, seed in enumerate(self.seeds)]
        if spec.eta_noise_seed_delta:
            delta = spec.eta_noise_seed_delta
            self.streams = [NoiseStream(spec.source, seed + delta, self.device) for seed in self.seeds]
        return torch.stack(out)

    def _first_of(self, index: int, seed: int, noise_shape: tuple[int, int, int]) -> torch.Tensor:
        spec, shape, source = self.spec, self.spec.shape, self.spec.source
        stream = self.streams[index]
        noise = stream.randn(shape) if noise_shape == shape else randn(seed, noise_shape, source, self.device)
        if spec.subseed_strength != 0:
            subseed = self.subseeds[index] if index < len(self.subseeds) else 0
            noise = slerp(spec.subseed_strength, noise, randn(subseed, noise_shape, source, self.device))
        if noise_shape == shape:
            return noise
        return _paste_centred(stream.randn(shape), noise)

    def next(self) -> torch.Tensor:
        """The samplers' next noise (N, C, H, W), float32 on the device: one draw from each image's stream."""
        self.draws += 1
        return torch.stack([stream.randn(self.spec.shape) for stream in self.streams])


def _paste_centred(x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """`noise` (drawn at the seed-resize size) pasted centred into `x` (the target size), as A1111 does."""
    dx = (x.shape[2] - noise.shape[2]) // 2
    dy = (x.shape[1] - noise.shape[1]) // 2
    w = noise.shape[2] if dx >= 0 else noise.shape[2] + 2 * dx
    h = noise.shape[1] if dy >= 0 else noise.shape[1] + 2 * dy
    tx, ty = max(dx, 0), max(dy, 0)
    sx, sy = max(-dx, 0), max(-dy, 0)
    x[:, ty : ty + h, tx : tx + w] = noise[:, sy : sy + h, sx : sx + w]
    return x


def initial_noise(
    shape: tuple[int, int, int],
    seeds: list[int],
    subseeds: list[int] | None = None,
    subseed_strength: float = 0.0,
    seed_resize_from: tuple[int, int] | None = None,
    source: NoiseSource = NoiseSource.CPU,
) -> torch.Tensor:
    """Unit-variance noise (N, C, H, W) for latents of `shape` = (C, H, W), one slice per seed, as A1111's
    first draw gives it (on the CPU)."""
    spec = NoiseSpec(shape, source, subseed_strength, seed_resize_from)
    return ImageNoise(spec, seeds, subseeds or [], torch.device("cpu")).first()


def step_generators(seeds: list[int], device: torch.device) -> list[torch.Generator]:
    """Per-image generators on the execution device for what diffusers draws itself (the VAE's latent
    sample when encoding init images); the samplers' noise comes from `ImageNoise.next`."""
    return [torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds]
