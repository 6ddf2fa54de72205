"""A1111's postprocessing ("extras"), in its order: upscale (`scripts/postprocessing_upscale.py`, order
1000), GFPGAN (`postprocessing_gfpgan.py`, 2000), CodeFormer (`postprocessing_codeformer.py`, 3000); each
face restorer blended over its input by its visibility. Used by extras jobs (`extra-single-image`,
`extra-batch-images`, the tasks `extra-single-image` type) and after generation (v3 `upscale`).

The description is A1111's postprocessing infotext: `Postprocess upscale by: 2, Postprocess upscaler:
R-ESRGAN 4x+, GFPGAN visibility: 0.5, CodeFormer visibility: 1, CodeFormer weight: 0.5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from inference_container.infotext import quote
from inference_container.steps.load import Postprocessors
from sdapi.schema.job import Extras, Upscale
from sdapi.schema.upscaling import NONE_UPSCALER


@dataclass
class Postprocessed:
    image: Image.Image
    info: dict[str, Any]
    """A1111's `pp.info`: what ran, in order."""

    @property
    def infotext(self) -> str:
        return ", ".join(k if k == v else f"{k}: {quote(v)}" for k, v in self.info.items() if v is not None)


def describe_extras(extras: Extras | None) -> dict[str, Any]:
    """What `postprocess_image` reports for `extras`, in A1111's order and words (it depends on the request
    only, so the infotext can be written before the images exist)."""
    info: dict[str, Any] = {}
    if extras is None:
        return info
    upscale = extras.upscale
    if upscale is not None and upscale.upscaler != NONE_UPSCALER:
        if upscale.scale_to:
            info["Postprocess upscale to"] = f"{upscale.width}x{upscale.height}"
        else:
            info["Postprocess upscale by"] = upscale.scale
        info["Postprocess upscaler"] = upscale.upscaler
        if upscale.upscaler_2 != NONE_UPSCALER and upscale.upscaler_2_visibility > 0:
            info["Postprocess upscaler 2"] = upscale.upscaler_2
    if extras.gfpgan_visibility > 0:
        info["GFPGAN visibility"] = round(extras.gfpgan_visibility, 3)
    if extras.codeformer_visibility > 0:
        info["CodeFormer visibility"] = round(extras.codeformer_visibility, 3)
        info["CodeFormer weight"] = round(extras.codeformer_weight, 3)
    return info


def postprocess_image(image: Image.Image, extras: Extras, post: Postprocessors) -> Postprocessed:
    """One image through the extras, in A1111's order."""
    image = image.convert("RGB")
    if extras.upscale is not None and extras.upscale.upscaler != NONE_UPSCALER:
        image = _upscale(image, extras.upscale, post)
    if extras.gfpgan_visibility > 0:
        image = _blend(image, post.gfpgan.restore(image), extras.gfpgan_visibility)
    if extras.codeformer_visibility > 0:
        restored = post.codeformer.restore(image, extras.codeformer_weight)
        image = _blend(image, restored, extras.codeformer_visibility)
    return Postprocessed(image, describe_extras(extras))


def _blend(original: Image.Image, restored: Image.Image, visibility: float) -> Image.Image:
    return restored if visibility >= 1.0 else Image.blend(original, restored, visibility)


def _upscale(image: Image.Image, upscale: Upscale, post: Postprocessors) -> Image.Image:
    """`ScriptPostprocessingUpscale.process`: upscaler 1, upscaler 2 blended over it by its visibility."""
    first = _upscale_one(image, post.upscalers[upscale.upscaler], upscale)
    if upscale.upscaler_2 != NONE_UPSCALER and upscale.upscaler_2_visibility > 0:
        second = _upscale_one(image, post.upscalers[upscale.upscaler_2], upscale)
        first = Image.blend(first, second.resize(first.size), upscale.upscaler_2_visibility)
    return first


def _upscale_one(image: Image.Image, upscaler, upscale: Upscale) -> Image.Image:
    """`ScriptPostprocessingUpscale.upscale`: by the factor, or to cover `width` x `height` and then (with
    `crop`) centred on a canvas of exactly that size."""
    scale = upscale.scale
    if upscale.scale_to:
        scale = max(upscale.width / image.width, upscale.height / image.height)
    out = upscaler.upscale(image, scale)
    if upscale.scale_to and upscale.crop:
        canvas = Image.new("RGB", (upscale.width, upscale.height))
        canvas.paste(out, box=(upscale.width // 2 - out.width // 2, upscale.height // 2 - out.height // 2))
        out = canvas
    return out
