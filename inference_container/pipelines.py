"""Loaded models and the pipelines built from them.

One `LoadedCheckpoint` holds one set of weights on the device. Every task pipeline (txt2img, img2img,
inpaint, and their ControlNet variants) is a view of those components made with `Pipeline.from_pipe` per
job, with that job's scheduler, optional VAE override and ControlNet(s): no second copy of any weight.
`ModelCache` keeps checkpoints, ControlNets, VAEs and face restorers in one LRU sized to the accelerator's
free memory.

Memory: each entry is accounted from its loaded tensors (parameter and buffer bytes, a module shared with
another entry counted once); before a load the need is read from the safetensors headers in the load dtype,
and free memory is judged after releasing PyTorch's cached blocks. In half precision the fp16 variant files
(`*.fp16.safetensors`) are loaded when every component has them. An SDXL refiner whose `text_encoder_2` and
VAE are byte-identical to a loaded base's shares the base's modules (about 1.5 GB in fp16). Views built with
a VAE override or ControlNet are cached too, so no job casts a cached pipeline again.

On CUDA in fp16 the SDXL VAE (whose config asks for an fp32 upcast, `force_upcast`) is kept in bfloat16
instead: bf16 has fp32's range, so it decodes without overflowing and without the two weight casts per image
the upcast costs. `vae_bfloat16=False` restores diffusers' behaviour.
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

from inference_container import weights
from inference_container.catalog import ModelCatalog
from inference_container.compilation import Compiler
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
    _views: dict[tuple, tuple[Any, Any, Any]] = field(default_factory=dict, repr=False)
    """Task pipelines by (task, VAE override, ControlNet), reused across jobs (only the scheduler changes per
    job): `from_pipe` walks every module with a `.to(dtype)`, about 0.1 s on SDXL."""

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
        view_key = (task, id(vae), id(controlnet))
        cached = self._views.get(view_key)
        if cached is not None and cached[0] is vae and cached[1] is controlnet:
            cached[2].scheduler = scheduler
            return cached[2]
        overrides: dict[str, Any] = {"scheduler": scheduler}
        if vae is not None:
            overrides["vae"] = vae
        if controlnet is not None:
            overrides["controlnet"] = controlnet
        cls = _diffusers_class(_PIPELINES[key])
        # from_pipe casts the new pipeline to `dtype` (float32 when not given): pass the weights' own dtype.
        pipe = cls.from_pipe(self.pipe, dtype=self.pipe.unet.dtype, **overrides)
        pipe.set_progress_bar_config(disable=True)
        self._views[view_key] = (vae, controlnet, pipe)
        return pipe

    def forget(self, module) -> None:
        """Drop the views built with `module` (an evicted VAE or ControlNet), so that it can be freed."""
        for key, (vae, controlnet, _) in list(self._views.items()):
            if module is vae or module is controlnet:
                del self._views[key]


def _quiet_diffusers() -> None:
    """No progress bars in a server log; no per-job warning from from_pipe's (no-op) dtype cast."""
    import diffusers
    from transformers.utils import logging as transformers_logging

    diffusers.utils.logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    logging.getLogger("diffusers.models.modeling_utils").setLevel(logging.ERROR)


def module_bytes(*modules, exclude: tuple = ()) -> int:
    """Parameter and buffer bytes of the given modules, each tensor once (modules in `exclude` skipped)."""
    seen: set[int] = set()
    skipped = {id(t) for m in exclude if isinstance(m, torch.nn.Module) for t in _tensors(m)}
    total = 0
    for module in modules:
        if isinstance(module, torch.nn.Module):
            for tensor in _tensors(module):
                if id(tensor) not in seen and id(tensor) not in skipped:
                    seen.add(id(tensor))
                    total += tensor.numel() * tensor.element_size()
    return total


def _tensors(module: torch.nn.Module):
    yield from module.parameters()
    yield from module.buffers()


class ModelCache:
    """An LRU of loaded models (checkpoints, ControlNets, VAEs, face restorers, upscalers) on one device."""

    def __init__(
        self,
        catalog: ModelCatalog,
        device: torch.device,
        dtype: torch.dtype,
        *,
        compiler: Compiler | None = None,
        max_loaded: int = 0,
        vae_bfloat16: bool | None = None,
    ):
        self.catalog = catalog
        self.device = device
        self.dtype = dtype
        self.compiler = compiler
        self.max_loaded = max_loaded or (0 if device.type == "cuda" else CPU_MAX_LOADED)
        if vae_bfloat16 is None:
            vae_bfloat16 = device.type == "cuda" and dtype == torch.float16 and torch.cuda.is_bf16_supported()
        self.vae_bfloat16 = vae_bfloat16
        self._lru: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._multi: dict[tuple[int, ...], Any] = {}
        self.load_seconds = 0.0
        _quiet_diffusers()

    # -- public -------------------------------------------------------------------------------------------
    def checkpoint(self, entry: ModelEntry) -> LoadedCheckpoint:
        return self._get(f"checkpoint:{entry.name}", entry, self._load_checkpoint)

    def controlnet(self, entry: ModelEntry):
        return self._get(f"controlnet:{entry.name}", entry, self._load_controlnet)

    def controlnets(self, nets: list) -> Any:
        """One ControlNet, or the same `MultiControlNetModel` for the same loaded nets (so the pipeline view
        built with it is reused)."""
        if not nets:
            return None
        if len(nets) == 1:
            return nets[0]
        key = tuple(id(net) for net in nets)
        multi = self._multi.get(key)
        if multi is None or any(a is not b for a, b in zip(multi.nets, nets, strict=True)):
            from diffusers.models.controlnets.multicontrolnet import MultiControlNetModel

            multi = self._multi[key] = MultiControlNetModel(nets)
        return multi

    def vae(self, entry: ModelEntry):
        return self._get(f"vae:{entry.name}", entry, self._load_vae)

    def face_restorer(self, entry: ModelEntry):
        return self._get(f"face:{entry.name}", entry, self._load_face_restorer)

    def upscaler(self, entry: ModelEntry):
        return self._get(f"upscaler:{entry.name}", entry, self._load_upscaler)

    def safety_checker(self, entry: ModelEntry):
        return self._get(f"safety:{entry.name}", entry, self._load_safety_checker)

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._lru)

    def loaded_bytes(self) -> dict[str, int]:
        """Device bytes of each loaded entry (from its tensors)."""
        with self._lock:
            return {key: nbytes for key, (_, nbytes) in self._lru.items()}

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
            self._make_room(weights.device_bytes(path, self.dtype, weights.fp16_variant(path, self.dtype)))
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
            spandrel_model = getattr(getattr(value, "descriptor", None), "model", None)
            nbytes = (
                value.nbytes
                if isinstance(value, LoadedCheckpoint)
                else module_bytes(spandrel_model if spandrel_model is not None else value)
            )
            log.info("loaded %s in %.2f s (%.1f MiB)", key, elapsed, nbytes / 2**20)
            self._lru[key] = (value, nbytes)
            return value

    def _make_room(self, needed: int) -> None:
        def over() -> bool:
            if self.max_loaded and len(self._lru) >= self.max_loaded:
                return True
            if self.device.type == "cuda":
                gc.collect()
                torch.cuda.empty_cache()  # PyTorch's cached blocks are free for a new model
                free, _ = torch.cuda.mem_get_info(self.device)
                return free < needed + HEADROOM_BYTES
            return False

        while self._lru and over():
            key, (value, _) = self._lru.popitem(last=False)
            log.info("evicting %s to make room", key)
            for other, _ in self._lru.values():
                if isinstance(other, LoadedCheckpoint):
                    other.forget(value)
            self._multi = {k: m for k, m in self._multi.items() if all(n is not value for n in m.nets)}
            del value

    # -- loaders --------------------------------------------------------------------------------------------
    def _from_pretrained(self, cls, path: Path, **kwargs):
        """Load weights straight onto the accelerator (device_map) where diffusers supports it; otherwise
        load on the CPU and move them. The fp16 variant files when present."""
        kwargs.setdefault("dtype", self.dtype)
        if variant := weights.fp16_variant(path, self.dtype):
            kwargs["variant"] = variant
        if self.device.type == "cuda" and str(self.device) in ("cuda", "cuda:0"):
            try:
                return cls.from_pretrained(path, device_map="cuda", **kwargs), True
            except (NotImplementedError, ValueError) as exc:
                log.warning("device_map load of %s failed (%s); loading on the CPU then moving", path, exc)
        return cls.from_pretrained(path, low_cpu_mem_usage=True, **kwargs), False

    def _shared_with_base(self, path: Path) -> dict[str, Any]:
        """A refiner's `text_encoder_2` and `vae` taken from a loaded SDXL base when their files are
        identical (the published SDXL refiner ships the base's); {} otherwise."""
        if not path.is_dir():
            return {}
        for key, (value, _) in self._lru.items():
            if not (isinstance(value, LoadedCheckpoint) and value.family == Family.SDXL):
                continue
            base = self.catalog.path(value.entry)
            shared = {
                name: getattr(value.pipe, name)
                for name in ("text_encoder_2", "vae")
                if weights.same_weights(base / name, path / name)
            }
            if shared:
                log.info("refiner %s shares %s with %s", path.name, sorted(shared), key)
                return shared
        return {}

    def _load_checkpoint(self, entry: ModelEntry, path: Path) -> LoadedCheckpoint:
        if entry.family not in _LOAD_CLASS:
            raise InvalidJob(f"{entry.name!r} is a {entry.family} model, not a checkpoint")
        cls = _diffusers_class(_LOAD_CLASS[entry.family])
        extra: dict[str, Any] = {}
        if entry.family == Family.SD15:
            extra = {"safety_checker": None, "requires_safety_checker": False}
        shared: dict[str, Any] = {}
        if entry.family == Family.SDXL_REFINER:
            shared = self._shared_with_base(path)
            extra.update(shared)
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
        if "vae" not in shared and entry.family in (Family.SDXL, Family.SDXL_REFINER):
            self._sdxl_vae(pipe.vae)
        self._optimise(pipe, entry.name)
        nbytes = module_bytes(
            *(getattr(pipe, n, None) for n in ("unet", "vae", "text_encoder", "text_encoder_2")),
            exclude=tuple(shared.values()),
        )
        return LoadedCheckpoint(entry=entry, pipe=pipe, nbytes=nbytes)

    def _sdxl_vae(self, vae) -> None:
        """Keep the SDXL VAE in bfloat16 instead of diffusers' per-image fp32 upcast (see the module doc)."""
        if self.vae_bfloat16 and vae.dtype == torch.float16 and vae.config.force_upcast:
            vae.to(dtype=torch.bfloat16)
            vae.register_to_config(force_upcast=False)
            cast_vae_inputs(vae)

    def _optimise(self, pipe, name: str) -> None:
        """Channels-last UNet and VAE on CUDA (faster convolutions on tensor cores), and torch.compile of
        the UNet and VAE decoder with stable guards (`inference_container.compilation`, warmed before /ping
        turns healthy). SDPA attention is diffusers' default on torch 2, so nothing is needed for it."""
        if self.device.type == "cuda":
            pipe.unet.to(memory_format=torch.channels_last)
            pipe.vae.to(memory_format=torch.channels_last)
        if self.compiler is not None:
            self.compiler.unet(pipe.unet, name)
            self.compiler.vae_decode(pipe.vae, name)

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
            model = model.to(self.device)
        else:
            model, _ = self._from_pretrained_model(AutoencoderKL, path)
        if entry.base in (Family.SDXL, Family.SDXL_REFINER):
            self._sdxl_vae(model)
        return model

    def _from_pretrained_model(self, cls, path: Path):
        kwargs: dict[str, Any] = {"dtype": self.dtype}
        if variant := weights.fp16_variant(path, self.dtype):
            kwargs["variant"] = variant
        if self.device.type == "cuda":
            try:
                return cls.from_pretrained(path, device_map=str(self.device), **kwargs), True
            except (NotImplementedError, ValueError) as exc:
                log.warning("device_map load of %s failed (%s)", path, exc)
        model = cls.from_pretrained(path, low_cpu_mem_usage=True, **kwargs)
        return model.to(self.device), False

    def _load_face_restorer(self, entry: ModelEntry, path: Path):
        from inference_container.restorers import load_restorer

        return load_restorer(entry.name, path, self.device, self.dtype)

    def _load_upscaler(self, entry: ModelEntry, path: Path):
        from inference_container.upscalers import load_upscaler

        return load_upscaler(entry.name, path, self.device, self.dtype)

    def _load_safety_checker(self, entry: ModelEntry, path: Path):
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
        from transformers import CLIPImageProcessor

        model = StableDiffusionSafetyChecker.from_pretrained(path, dtype=self.dtype).to(self.device)
        return SafetyChecker(model=model, processor=CLIPImageProcessor.from_pretrained(path))


def cast_vae_inputs(vae) -> None:
    """`vae.encode`/`vae.decode` take their input in the VAE's own dtype (a bf16 VAE behind an fp16 UNet: the
    pipelines hand it fp16 tensors)."""
    for name in ("encode", "decode"):
        method = getattr(vae, name)

        def cast(x, *args, _method=method, **kwargs):
            return _method(x.to(vae.dtype), *args, **kwargs)

        setattr(vae, name, cast)


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
