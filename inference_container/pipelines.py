"""Loaded models and the pipelines built from them.

One `LoadedCheckpoint` holds one set of weights on the device. Every task pipeline (txt2img, img2img,
inpaint, and their ControlNet variants) is a view of those components made with `Pipeline.from_pipe` per
job, with that job's scheduler, optional VAE override and ControlNet(s): no second copy of any weight.
`ModelCache` keeps checkpoints, ControlNets, VAEs and face restorers in one LRU sized to the accelerator's
free memory.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inference_container.catalog import ModelCatalog
from inference_container.errors import InvalidJob, ModelLoadError
from sdapi.schema.catalog import Family, ModelEntry
from sdapi.schema.job import Task

log = logging.getLogger(__name__)

HEADROOM_BYTES = 3 * 1024**3
"""Accelerator memory kept free for activations (an SDXL 1024² batch of 1 needs about this much in fp16)."""
CPU_MAX_LOADED = 6

_PIPELINES = {
    # (family, task, controlnet?) → diffusers pipeline class name
    (Family.SD15, Task.TXT2IMG, False): "StableDiffusionPipeline",
    (Family.SD15, Task.IMG2IMG, False): "StableDiffusionImg2ImgPipeline",
    (Family.SD15, Task.INPAINT, False): "StableDiffusionInpaintPipeline",
    (Family.SD15, Task.TXT2IMG, True): "StableDiffusionControlNetPipeline",
    (Family.SD15, Task.IMG2IMG, True): "StableDiffusionControlNetImg2ImgPipeline",
    (Family.SD15, Task.INPAINT, True): "StableDiffusionControlNetInpaintPipeline",
    (Family.SDXL, Task.TXT2IMG, False): "StableDiffusionXLPipeline",
    (Family.SDXL, Task.IMG2IMG, False): "StableDiffusionXLImg2ImgPipeline",
    (Family.SDXL, Task.INPAINT, False): "StableDiffusionXLInpaintPipeline",
    (Family.SDXL, Task.TXT2IMG, True): "StableDiffusionXLControlNetPipeline",
    (Family.SDXL, Task.IMG2IMG, True): "StableDiffusionXLControlNetImg2ImgPipeline",
    (Family.SDXL, Task.INPAINT, True): "StableDiffusionXLControlNetInpaintPipeline",
    (Family.SDXL_REFINER, Task.IMG2IMG, False): "StableDiffusionXLImg2ImgPipeline",
    (Family.SDXL_REFINER, Task.INPAINT, False): "StableDiffusionXLInpaintPipeline",
}
_LOAD_CLASS = {
    Family.SD15: "StableDiffusionPipeline",
    Family.SDXL: "StableDiffusionXLPipeline",
    Family.SDXL_REFINER: "StableDiffusionXLImg2ImgPipeline",
}


def _diffusers_class(name: str):
    import diffusers

    return getattr(diffusers, name)


@dataclass
class LoadedCheckpoint:
    entry: ModelEntry
    pipe: Any
    """The loaded base pipeline; task pipelines are `from_pipe` views of it."""
    nbytes: int
    _views: dict[Task, Any] = field(default_factory=dict, repr=False)
    """Task pipelines without overrides, reused across jobs (only the scheduler changes per job)."""

    @property
    def family(self) -> Family:
        return self.entry.family

    @property
    def inpainting_unet(self) -> bool:
        return self.pipe.unet.config.in_channels == 9

    def task_pipeline(self, task: Task, *, scheduler, vae=None, controlnet=None):
        key = (self.family, task, controlnet is not None)
        if key not in _PIPELINES:
            raise InvalidJob(
                f"{self.entry.name} ({self.family}) cannot run {task}"
                f"{' with ControlNet' if controlnet is not None else ''}"
            )
        cls = _diffusers_class(_PIPELINES[key])
        if vae is None and controlnet is None and task in self._views:
            pipe = self._views[task]
            pipe.scheduler = scheduler
            return pipe
        overrides: dict[str, Any] = {"scheduler": scheduler}
        if vae is not None:
            overrides["vae"] = vae
        if controlnet is not None:
            overrides["controlnet"] = controlnet
        # from_pipe casts the new pipeline to `dtype` (float32 when not given): pass the weights' own dtype.
        pipe = cls.from_pipe(self.pipe, dtype=self.pipe.unet.dtype, **overrides)
        pipe.set_progress_bar_config(disable=True)
        if vae is None and controlnet is None:
            self._views[task] = pipe
        return pipe


def _quiet_diffusers() -> None:
    """No progress bars in a server log; no per-job warning from from_pipe's (no-op) dtype cast."""
    import diffusers
    from transformers.utils import logging as transformers_logging

    diffusers.utils.logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    logging.getLogger("diffusers.models.modeling_utils").setLevel(logging.ERROR)


def module_bytes(*modules) -> int:
    total = 0
    for module in modules:
        if isinstance(module, torch.nn.Module):
            total += sum(p.numel() * p.element_size() for p in module.parameters())
            total += sum(b.numel() * b.element_size() for b in module.buffers())
    return total


def disk_bytes(path: Path, dtype: torch.dtype) -> int:
    """Estimated device bytes of the weights at `path` once loaded in `dtype`."""
    files = [path] if path.is_file() else list(path.rglob("*.safetensors")) or list(path.rglob("*.bin"))
    raw = sum(f.stat().st_size for f in files)
    return raw // 2 if dtype in (torch.float16, torch.bfloat16) else raw


class ModelCache:
    """An LRU of loaded models (checkpoints, ControlNets, VAEs, face restorers) on one device."""

    def __init__(
        self,
        catalog: ModelCatalog,
        device: torch.device,
        dtype: torch.dtype,
        *,
        compile: bool = False,
        max_loaded: int = 0,
    ):
        self.catalog = catalog
        self.device = device
        self.dtype = dtype
        self.compile = compile
        self.max_loaded = max_loaded or (0 if device.type == "cuda" else CPU_MAX_LOADED)
        self._lru: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self.load_seconds = 0.0
        _quiet_diffusers()

    # -- public -------------------------------------------------------------------------------------------
    def checkpoint(self, entry: ModelEntry) -> LoadedCheckpoint:
        return self._get(f"checkpoint:{entry.name}", entry, self._load_checkpoint)

    def controlnet(self, entry: ModelEntry):
        return self._get(f"controlnet:{entry.name}", entry, self._load_controlnet)

    def vae(self, entry: ModelEntry):
        return self._get(f"vae:{entry.name}", entry, self._load_vae)

    def face_restorer(self, entry: ModelEntry):
        return self._get(f"face:{entry.name}", entry, self._load_face_restorer)

    def safety_checker(self, entry: ModelEntry):
        return self._get(f"safety:{entry.name}", entry, self._load_safety_checker)

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._lru)

    # -- LRU ------------------------------------------------------------------------------------------------
    def _get(self, key: str, entry: ModelEntry, loader):
        with self._lock:
            if key in self._lru:
                self._lru.move_to_end(key)
                return self._lru[key][0]
            path = self.catalog.path(entry)
            if not path.exists():
                raise ModelLoadError(
                    f"model {entry.name!r}: {path} does not exist (check catalog.json paths)"
                )
            self._make_room(disk_bytes(path, self.dtype))
            started = time.perf_counter()
            try:
                value = loader(entry, path)
            except (InvalidJob, ModelLoadError):
                raise
            except torch.cuda.OutOfMemoryError:
                raise
            except Exception as exc:
                raise ModelLoadError(f"could not load {entry.name!r} from {path}: {exc}") from exc
            elapsed = time.perf_counter() - started
            self.load_seconds += elapsed
            nbytes = value.nbytes if isinstance(value, LoadedCheckpoint) else module_bytes(value)
            log.info("loaded %s in %.2f s (%.1f MiB)", key, elapsed, nbytes / 2**20)
            self._lru[key] = (value, nbytes)
            return value

    def _make_room(self, needed: int) -> None:
        def over() -> bool:
            if self.max_loaded and len(self._lru) >= self.max_loaded:
                return True
            if self.device.type == "cuda":
                free, _ = torch.cuda.mem_get_info(self.device)
                return free < needed + HEADROOM_BYTES
            return False

        while self._lru and over():
            key, _ = self._lru.popitem(last=False)
            log.info("evicting %s to make room", key)
            gc.collect()
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    # -- loaders --------------------------------------------------------------------------------------------
    def _from_pretrained(self, cls, path: Path, **kwargs):
        """Load weights straight onto the accelerator (device_map) where diffusers supports it; otherwise
        load on the CPU and move them."""
        kwargs.setdefault("dtype", self.dtype)
        if self.device.type == "cuda" and str(self.device) in ("cuda", "cuda:0"):
            try:
                return cls.from_pretrained(path, device_map="cuda", **kwargs), True
            except (NotImplementedError, ValueError) as exc:
                log.warning("device_map load of %s failed (%s); loading on the CPU then moving", path, exc)
        return cls.from_pretrained(path, low_cpu_mem_usage=True, **kwargs), False

    def _load_checkpoint(self, entry: ModelEntry, path: Path) -> LoadedCheckpoint:
        if entry.family not in _LOAD_CLASS:
            raise InvalidJob(f"{entry.name!r} is a {entry.family} model, not a checkpoint")
        cls = _diffusers_class(_LOAD_CLASS[entry.family])
        extra: dict[str, Any] = {}
        if entry.family == Family.SD15:
            extra = {"safety_checker": None, "requires_safety_checker": False}
        if path.is_file():
            config = self.catalog.root / "_configs" / entry.family.value
            try:
                pipe = cls.from_single_file(
                    str(path),
                    dtype=self.dtype,
                    local_files_only=True,
                    **({"config": str(config)} if config.is_dir() else {}),
                    **extra,
                )
            except Exception as exc:
                raise ModelLoadError(
                    f"single-file checkpoint {path.name} could not be loaded offline ({exc}); "
                    "convert it to a diffusers "
                    f"folder, or put the diffusers configs of its family in {config}"
                ) from exc
            mapped = False
        else:
            pipe, mapped = self._from_pretrained(cls, path, **extra)
        if not mapped:
            pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        self._optimise(pipe)
        nbytes = module_bytes(
            *(getattr(pipe, n, None) for n in ("unet", "vae", "text_encoder", "text_encoder_2"))
        )
        return LoadedCheckpoint(entry=entry, pipe=pipe, nbytes=nbytes)

    def _optimise(self, pipe) -> None:
        """Channels-last UNet and VAE on CUDA (faster convolutions on tensor cores), and optionally
        torch.compile of the UNet (warmed by the server before /ping turns healthy). SDPA attention is
        diffusers' default on torch 2, so nothing is needed for it."""
        if self.device.type == "cuda":
            pipe.unet.to(memory_format=torch.channels_last)
            pipe.vae.to(memory_format=torch.channels_last)
        if self.compile:
            pipe.unet = torch.compile(pipe.unet, mode="max-autotune-no-cudagraphs", fullgraph=False)

    def _load_controlnet(self, entry: ModelEntry, path: Path):
        from diffusers import ControlNetModel

        if path.is_file():
            model = ControlNetModel.from_single_file(str(path), dtype=self.dtype, local_files_only=True)
            model.to(self.device)
            return model
        model, _ = self._from_pretrained_model(ControlNetModel, path)
        return model

    def _load_vae(self, entry: ModelEntry, path: Path):
        from diffusers import AutoencoderKL

        if path.is_file():
            model = AutoencoderKL.from_single_file(str(path), dtype=self.dtype, local_files_only=True)
            return model.to(self.device)
        model, _ = self._from_pretrained_model(AutoencoderKL, path)
        return model

    def _from_pretrained_model(self, cls, path: Path):
        if self.device.type == "cuda":
            try:
                return cls.from_pretrained(path, dtype=self.dtype, device_map=str(self.device)), True
            except (NotImplementedError, ValueError) as exc:
                log.warning("device_map load of %s failed (%s)", path, exc)
        model = cls.from_pretrained(path, dtype=self.dtype, low_cpu_mem_usage=True)
        return model.to(self.device), False

    def _load_face_restorer(self, entry: ModelEntry, path: Path):
        from inference_container.faces import load_restorer

        return load_restorer(entry.name, path, self.device, self.dtype)

    def _load_safety_checker(self, entry: ModelEntry, path: Path):
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
        from transformers import CLIPImageProcessor

        model = StableDiffusionSafetyChecker.from_pretrained(path, dtype=self.dtype).to(self.device)
        return SafetyChecker(model=model, processor=CLIPImageProcessor.from_pretrained(path))


@dataclass
class SafetyChecker:
    """diffusers' StableDiffusionSafetyChecker with its CLIP image processor (catalog family
    `safety-checker`)."""

    model: Any
    processor: Any

    @torch.inference_mode()
    def check(self, images: list) -> list[bool]:
        import numpy as np

        param = next(self.model.parameters())
        inputs = self.processor(images, return_tensors="pt").pixel_values.to(param.device, param.dtype)
        arrays = np.stack([np.asarray(image, dtype=np.float32) / 255.0 for image in images])
        _, flags = self.model(images=arrays, clip_input=inputs)
        return [bool(flag) for flag in flags]
