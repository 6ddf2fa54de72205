"""Image upscalers as A1111 ≥ 1.8 runs them: model weights through spandrel (ESRGAN, Real-ESRGAN, SwinIR,
... recognised from the weights), run tile by tile, repeated until the wanted size is reached, then resized
to it with Lanczos; plus A1111's built-in `None`, `Lanczos` and `Nearest`.

What A1111 does and this module does too (`modules/upscaler.py` `Upscaler.upscale`,
`modules/upscaler_utils.py` `upscale_with_model`): the destination is `scale x` the image rounded down to a
multiple of 8; the model runs at most 3 times, each run on 192-pixel tiles overlapping by 8 pixels
(A1111's `ESRGAN_tile` / `ESRGAN_tile_overlap` defaults), in BGR order as A1111 feeds ESRGAN-family models;
the result is resized to the destination with Lanczos when it is not already there. Where this differs:
the tiles are blended with linear ramps over the overlap (A1111's `combine_grid` blends rows and columns
the same way, with its own masks), and a tile's output is never cached between requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from sdapi.schema.upscaling import BUILTIN_UPSCALERS

log = logging.getLogger(__name__)

TILE = 192
"""A1111 `ESRGAN_tile`: the side of the square tiles a model upscaler runs on (0: the whole image)."""
TILE_OVERLAP = 8
"""A1111 `ESRGAN_tile_overlap`: pixels two neighbouring tiles share."""
MAX_PASSES = 3
"""`Upscaler.upscale` runs the model at most this many times."""

WEIGHT_SUFFIXES = (".pth", ".safetensors", ".ckpt", ".pt")


class Upscaler(Protocol):
    name: str

    def upscale(self, image: Image.Image, scale: float) -> Image.Image:
        """`image` upscaled by `scale` (to a multiple of 8 of `scale x` its size)."""
        ...


def destination(image: Image.Image, scale: float) -> tuple[int, int]:
    """Where `Upscaler.upscale` ends: `scale x` the size, rounded down to a multiple of 8."""
    return int((image.width * scale) // 8 * 8), int((image.height * scale) // 8 * 8)


def resize_with(upscaler: Upscaler, image: Image.Image, width: int, height: int) -> Image.Image:
    """A1111's `images.resize_image(0, image, width, height, upscaler_name)`: upscale when the image is
    smaller than asked, then resize to exactly `width` x `height` with Lanczos."""
    scale = max(width / image.width, height / image.height)
    if scale > 1.0:
        image = upscaler.upscale(image, scale)
    if image.size != (width, height):
        image = image.resize((width, height), resample=Image.LANCZOS)
    return image


@dataclass
class BuiltinUpscaler:
    """A1111's `None` (the image unchanged), `Lanczos` and `Nearest` (PIL resampling)."""

    name: str

    def upscale(self, image: Image.Image, scale: float) -> Image.Image:
        method = BUILTIN_UPSCALERS[self.name]
        if method is None:
            return image
        resample = Image.LANCZOS if method == "lanczos" else Image.NEAREST
        return image.resize(destination(image, scale), resample=resample)


@dataclass
class ModelUpscaler:
    """A spandrel image model (purpose `SR`) used as A1111 uses an ESRGAN-family upscaler."""

    name: str
    descriptor: object
    """spandrel's `ImageModelDescriptor`."""
    tile: int = TILE
    overlap: int = TILE_OVERLAP

    @property
    def scale(self) -> int:
        return int(self.descriptor.scale)

    def upscale(self, image: Image.Image, scale: float) -> Image.Image:
        dest_w, dest_h = destination(image, scale)
        image = image.convert("RGB")
        for _ in range(MAX_PASSES):
            if image.width >= dest_w and image.height >= dest_h and scale != 1:
                break
            before = image.size
            image = self.run(image)
            if image.size == before:
                break
        if image.size != (dest_w, dest_h):
            image = image.resize((dest_w, dest_h), resample=Image.LANCZOS)
        return image

    @torch.inference_mode()
    def run(self, image: Image.Image) -> Image.Image:
        """One pass of the model over `image`, tile by tile (its own scale)."""
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1], dtype=np.float32) / 255.0
        pixels = torch.from_numpy(bgr).permute(2, 0, 1)[None]
        out = tiled(self._model, pixels, self.scale, self.tile, self.overlap)
        array = out[0].permute(1, 2, 0).clamp(0, 1).mul(255).round().byte().cpu().numpy()
        return Image.fromarray(np.ascontiguousarray(array[:, :, ::-1]))

    def _model(self, x: torch.Tensor) -> torch.Tensor:
        param = next(self.descriptor.model.parameters())
        return self.descriptor(x.to(param.device, param.dtype)).float().cpu()


def tiled(model, pixels: torch.Tensor, scale: int, tile: int, overlap: int) -> torch.Tensor:
    """Run `model` over (1, C, H, W) `pixels` in square tiles of `tile` sharing `overlap` pixels, blending
    the overlaps with linear ramps; the whole image at once when `tile` is 0 or covers it."""
    _, channels, height, width = pixels.shape
    if tile <= 0 or (height <= tile and width <= tile):
        return model(pixels)
    step = tile - overlap
    out = torch.zeros(1, channels, height * scale, width * scale)
    weight = torch.zeros(1, 1, height * scale, width * scale)
    for top in _starts(height, tile, step):
        for left in _starts(width, tile, step):
            patch = pixels[:, :, top : top + tile, left : left + tile]
            result = model(patch)
            ph, pw = result.shape[2], result.shape[3]
            ramp = _ramp(ph, pw, overlap * scale, top > 0, left > 0, top + tile < height, left + tile < width)
            out[:, :, top * scale : top * scale + ph, left * scale : left * scale + pw] += result * ramp
            weight[:, :, top * scale : top * scale + ph, left * scale : left * scale + pw] += ramp
    return out / weight.clamp(min=1e-6)


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    return [*starts, size - tile]


def _ramp(h: int, w: int, width: int, top: bool, left: bool, bottom: bool, right: bool) -> torch.Tensor:
    """Blend weights of one tile: 1 inside, rising linearly over `width` pixels on the shared edges."""
    ys, xs = torch.ones(h), torch.ones(w)
    if width > 0:
        rise = torch.linspace(1.0 / (width + 1), 1.0 - 1.0 / (width + 1), width)
        n = min(width, h)
        if top:
            ys[:n] = torch.minimum(ys[:n], rise[:n])
        if bottom:
            ys[h - n :] = torch.minimum(ys[h - n :], rise[:n].flip(0))
        n = min(width, w)
        if left:
            xs[:n] = torch.minimum(xs[:n], rise[:n])
        if right:
            xs[w - n :] = torch.minimum(xs[w - n :], rise[:n].flip(0))
    return (ys[:, None] * xs[None, :])[None, None]


def weights_file(path: Path) -> Path:
    """The weights of a catalog entry: `path` itself, or the one weights file inside the folder `path`."""
    path = Path(path)
    if path.is_file():
        return path
    found = sorted(p for p in path.iterdir() if p.suffix in WEIGHT_SUFFIXES) if path.is_dir() else []
    if len(found) != 1:
        raise FileNotFoundError(
            f"{path} must be a weights file or a folder holding exactly one "
            f"({', '.join(WEIGHT_SUFFIXES)}); found {[p.name for p in found]}"
        )
    return found[0]


def load_descriptor(path: Path, device: torch.device, purposes: tuple[str, ...], what: str):
    """spandrel's descriptor for the weights at `path` (CodeFormer and other extra architectures
    included), on `device`, in eval mode; ValueError when spandrel sees another kind of model."""
    import spandrel

    from inference_container import spandrel_setup

    spandrel_setup.install_extra_architectures()
    file = weights_file(path)
    descriptor = spandrel.ModelLoader(device=device).load_from_file(str(file))
    if descriptor.purpose not in purposes:
        raise ValueError(
            f"{what} {file.name}: spandrel recognises a {descriptor.architecture.name} "
            f"model for {descriptor.purpose!r}, not one of {list(purposes)}"
        )
    descriptor.eval()
    return descriptor


def load_upscaler(name: str, path: Path, device: torch.device, dtype: torch.dtype) -> ModelUpscaler:
    """A catalog upscaler: its weights through spandrel, in half precision where the architecture
    supports it and `dtype` asks for it."""
    descriptor = load_descriptor(path, device, ("SR",), f"upscaler {name!r}")
    if dtype == torch.float16 and descriptor.supports_half:
        descriptor.half()
    elif dtype == torch.bfloat16 and descriptor.supports_bfloat16:
        descriptor.bfloat16()
    log.info("upscaler %s: %s x%d", name, descriptor.architecture.name, descriptor.scale)
    return ModelUpscaler(name=name, descriptor=descriptor)
