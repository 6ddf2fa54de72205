"""torch.compile of the UNet and the VAE decoder with guards that hold across jobs.

What makes a compiled graph valid is its *guards*: the dtypes, shapes and constants the graph was traced
with. Left alone, diffusers changes several of them from one job to the next: the timestep is an int64
tensor under DPM++ and a float32 one under Euler; classifier-free guidance doubles the UNet batch except at
`cfg_scale` 1; a prompt longer than 75 tokens makes a longer text sequence. Each change is a new graph,
compiled on a user's request. This module wraps the two compiled calls so that the guard-relevant inputs are
normalised first:

- the timestep is always a float32 tensor (the UNet turns it into float32 itself before the sinusoidal
  embedding, so the pixels are identical);
- the latents and text embeddings are cast to the model's dtype;
- the batch dimension (when 2 or more) and the text sequence length are marked dynamic
  (`torch._dynamo.mark_dynamic`), so batch 1 with guidance, batch 2 with or without it, batch 4, and a
  150-token prompt all share one graph. A UNet batch of exactly 1 (batch 1 at `cfg_scale` 1) is its own
  static graph: PyTorch specialises sizes 0 and 1.

Spatial sizes stay static (they set the convolution shapes the autotuner picks kernels for): the *buckets*
(`Buckets`) are the sizes warmed before `/ping` (see `inference_container.warmup`). After the warm-up every
call runs under the `eager_on_recompile` stance: a job whose shapes no warmed graph accepts (another size, a
LoRA that wraps layers, a ControlNet's residuals) runs eagerly instead of compiling on the user's time.

Settings are the ones PyTorch's "Accelerating Generative AI III" post and diffusers' torch.compile guide use:
`fullgraph=True`, mode `max-autotune-no-cudagraphs` (CUDA graphs, mode `max-autotune`, are an option:
`SDAPI_COMPILE_MODE`), and inductor's `conv_1x1_as_mm`, `coordinate_descent_tuning`,
`coordinate_descent_check_all_directions` on and `epilogue_fusion` off.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

log = logging.getLogger(__name__)

INDUCTOR_FLAGS: dict[str, Any] = {
    "conv_1x1_as_mm": True,
    "coordinate_descent_tuning": True,
    "epilogue_fusion": False,
    "coordinate_descent_check_all_directions": True,
}
"""inductor settings of PyTorch's "Accelerating Generative AI III" (SDXL) post."""

RECOMPILE_LIMIT = 64
"""Graphs kept per compiled function. Base and refiner UNets share one code object (one cache), each bucket
adds at most two UNet graphs (batch 1, and batch >= 2), so PyTorch's default of 8 is too few for a pool."""


@dataclass(frozen=True)
class CompileSettings:
    """How the UNet and VAE decoder are compiled (`ContainerConfig.compile_*` give these)."""

    mode: str | None = "max-autotune-no-cudagraphs"
    backend: str | Callable = "inductor"
    """`"eager"` or a counting callable in tests: the same guards, no code generation."""
    fullgraph: bool = True
    vae: bool = True
    """Also compile `vae.decode`."""


@dataclass
class Compiler:
    """Compiles models in place and decides, per call, whether compiling is still allowed."""

    settings: CompileSettings = field(default_factory=CompileSettings)
    warming: bool = False
    """True while the warm-up runs: new graphs may be compiled. Otherwise a call that no compiled graph
    accepts runs eagerly."""
    outside_buckets: str = "eager_on_recompile"
    """The stance after the warm-up: run eagerly when no graph fits; `"fail_on_recompile"` (tests) raises."""
    compiled: list[str] = field(default_factory=list)
    """What has been wrapped (for the log)."""

    def __post_init__(self) -> None:
        configure_inductor(self.settings)

    @contextlib.contextmanager
    def warm_up(self) -> Iterator[None]:
        self.warming = True
        try:
            yield
        finally:
            self.warming = False

    def stance(self):
        return contextlib.nullcontext() if self.warming else torch.compiler.set_stance(self.outside_buckets)

    # -- the two compiled calls --------------------------------------------------------------------------
    def unet(self, unet: torch.nn.Module, name: str) -> None:
        """Compile `unet.forward` in place (the module stays a diffusers UNet: `config`, `dtype`, LoRA
        loading and `from_pipe` see the same object)."""
        if getattr(unet, "_sdapi_compiled", False):
            return
        compiled = self._compile(unet.forward)

        @functools.wraps(unet.forward)
        def forward(sample, timestep, encoder_hidden_states=None, *args, **kwargs):
            dtype = unet.dtype
            sample = _batch_dynamic(sample.to(dtype))
            timestep = float_timestep(timestep, sample.device)
            if encoder_hidden_states is not None:
                encoder_hidden_states = _sequence_dynamic(_batch_dynamic(encoder_hidden_states.to(dtype)))
            added = kwargs.get("added_cond_kwargs")
            if added:
                kwargs["added_cond_kwargs"] = {
                    key: _batch_dynamic(value.to(dtype)) if torch.is_tensor(value) else value
                    for key, value in added.items()
                }
            with self.stance():
                return compiled(sample, timestep, encoder_hidden_states, *args, **kwargs)

        unet.forward = forward
        unet._sdapi_compiled = True
        self.compiled.append(f"{name}.unet")

    def vae_decode(self, vae: torch.nn.Module, name: str) -> None:
        """Compile `vae.decode` in place; the latents are cast to the VAE's own dtype first (so a bf16 VAE
        behind an fp16 UNet needs no upcast, see `pipelines.ModelCache`)."""
        if not self.settings.vae or getattr(vae, "_sdapi_compiled", False):
            return
        compiled = self._compile(vae.decode)

        @functools.wraps(vae.decode)
        def decode(z, *args, **kwargs):
            z = _batch_dynamic(z.to(vae.dtype))
            with self.stance():
                return compiled(z, *args, **kwargs)

        vae.decode = decode
        vae._sdapi_compiled = True
        self.compiled.append(f"{name}.vae")

    def _compile(self, fn):
        settings = self.settings
        options: dict[str, Any] = {"backend": settings.backend, "fullgraph": settings.fullgraph}
        if settings.backend == "inductor" and settings.mode:
            options["mode"] = settings.mode
        return torch.compile(fn, **options)


def configure_inductor(settings: CompileSettings) -> None:
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, RECOMPILE_LIMIT)
    if settings.backend == "inductor":
        import torch._inductor.config as inductor

        for key, value in INDUCTOR_FLAGS.items():
            setattr(inductor, key, value)


def float_timestep(timestep, device: torch.device) -> torch.Tensor:
    """Every scheduler's timestep as one float32 tensor (0-d, or 1-d with a dynamic batch)."""
    if not torch.is_tensor(timestep):
        return torch.tensor(float(timestep), dtype=torch.float32, device=device)
    timestep = timestep.to(device=device, dtype=torch.float32)
    return _batch_dynamic(timestep) if timestep.ndim else timestep


def _batch_dynamic(tensor: torch.Tensor) -> torch.Tensor:
    if tensor.ndim and tensor.shape[0] >= 2:
        torch._dynamo.mark_dynamic(tensor, 0)
    return tensor


def _sequence_dynamic(tensor: torch.Tensor) -> torch.Tensor:
    if tensor.ndim == 3 and tensor.shape[1] >= 2:
        torch._dynamo.mark_dynamic(tensor, 1)
    return tensor


# -- the portable compile cache ("mega-cache") ------------------------------------------------------------
CACHE_FORMAT = "1"
"""Bumped when what this module compiles changes shape (the wrappers, the dynamic dimensions)."""


class RemoteFiles(Protocol):
    """Where compile cache files outlive the instance (`inference_container.storage.S3Files`)."""

    def fetch(self, name: str) -> bytes | None: ...
    def upload(self, name: str, data: bytes) -> None: ...


def cache_key(settings: CompileSettings, device: torch.device, dtype: torch.dtype, models, sizes) -> str:
    """One file per (PyTorch + CUDA build, card, dtype, mode, models, buckets): PyTorch checks its own
    entries too, so a wrong file only misses, but one name per setup keeps pools from overwriting each
    other's."""
    import hashlib

    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    parts = [CACHE_FORMAT, torch.__version__, str(torch.version.cuda), card, str(dtype), str(settings.mode)]
    parts += [*models, *(f"{w}x{h}" for w, h in sizes)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


@dataclass
class CompileCache:
    """`torch.compiler.load_cache_artifacts` before the warm-up, `save_cache_artifacts` after it.

    Read from `folder`, else fetched from `remote` (the pool's S3 prefix, where an earlier instance left it)
    into `folder`; written to `folder` and uploaded to `remote`.
    """

    folder: Path
    remote: RemoteFiles | None = None

    def load(self, key: str) -> Path | None:
        path = self.folder / f"{key}.bin"
        if not path.is_file() and self.remote is not None:
            data = self.remote.fetch(path.name)
            if data is not None:
                self._write(path, data)
        if not path.is_file():
            return None
        torch.compiler.load_cache_artifacts(path.read_bytes())
        log.info("compile cache loaded from %s", path)
        return path

    def save(self, key: str) -> Path | None:
        artifacts = torch.compiler.save_cache_artifacts()
        if artifacts is None:
            return None
        data, _info = artifacts
        path = self.folder / f"{key}.bin"
        self._write(path, data)
        log.info("compile cache saved to %s (%.1f MiB)", path, len(data) / 2**20)
        if self.remote is not None:
            self.remote.upload(path.name, data)
        return path

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
