"""Input images as A1111 prepares them: decoding, the four resize modes, inpainting masks and fills."""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference_container.errors import InvalidJob
from sdapi.schema.job import InpaintFill, Mask, ResizeMode


def decode_image(data: str, field: str) -> Image.Image:
    try:
        raw = base64.b64decode(data, validate=False)
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidJob(f"{field}: not a base64 PNG/JPEG/WebP image ({exc})") from exc
    return image


def resize_image(mode: ResizeMode, image: Image.Image, width: int, height: int) -> Image.Image:
    """A1111 `images.resize_image`: just resize, crop and resize (a centre crop), or resize and fill (the
    edges stretched).

    `latent_upscale` resizes in pixel space here; the worker upscales latents itself where it supports it.
    """
    if mode in (ResizeMode.JUST_RESIZE, ResizeMode.LATENT_UPSCALE):
        return image.resize((width, height), Image.LANCZOS)
    ratio = width / height
    src_ratio = image.width / image.height
    if mode == ResizeMode.CROP_AND_RESIZE:
        src_w = width if ratio > src_ratio else image.width * height // image.height
        src_h = height if ratio <= src_ratio else image.height * width // image.width
        resized = image.resize((src_w, src_h), Image.LANCZOS)
        out = Image.new(image.mode, (width, height))
        out.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
        return out
    # RESIZE_AND_FILL: fit inside, then stretch the edge rows/columns into the empty bands.
    src_w = width if ratio < src_ratio else image.width * height // image.height
    src_h = height if ratio >= src_ratio else image.height * width // image.width
    resized = image.resize((src_w, src_h), Image.LANCZOS)
    out = Image.new(image.mode, (width, height))
    out.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
    if ratio < src_ratio:
        fill = height // 2 - src_h // 2
        if fill > 0:
            out.paste(resized.resize((width, fill), box=(0, 0, width, 0)), box=(0, 0))
            out.paste(
                resized.resize((width, fill), box=(0, resized.height, width, resized.height)),
                box=(0, fill + src_h),
            )
    elif ratio > src_ratio:
        fill = width // 2 - src_w // 2
        if fill > 0:
            out.paste(resized.resize((fill, height), box=(0, 0, 0, height)), box=(0, 0))
            out.paste(
                resized.resize((fill, height), box=(resized.width, 0, resized.width, height)),
                box=(fill + src_w, 0),
            )
    return out


def prepare_mask(mask: Mask, mode: ResizeMode, width: int, height: int) -> Image.Image:
    """The inpainting mask in A1111's order: decode → invert → Gaussian blur → resize. White = repaint."""
    image = decode_image(mask.image, "mask").convert("L")
    if mask.invert:
        image = ImageOps.invert(image)
    if mask.blur > 0:
        import cv2

        array = np.asarray(image)
        kernel = 2 * int(2.5 * mask.blur + 0.5) + 1
        array = cv2.GaussianBlur(array, (kernel, 1), mask.blur)
        array = cv2.GaussianBlur(array, (1, kernel), mask.blur)
        image = Image.fromarray(array)
    return resize_image(
        mode if mode != ResizeMode.LATENT_UPSCALE else ResizeMode.JUST_RESIZE, image, width, height
    )


def fill_masked(image: Image.Image, mask: Image.Image) -> Image.Image:
    """A1111 `inpainting_fill=0` ("fill"): paint the masked area from its surroundings before encoding."""
    import cv2

    rgb = np.asarray(image.convert("RGB"))
    hard = (np.asarray(mask) > 127).astype(np.uint8) * 255
    return Image.fromarray(cv2.inpaint(rgb, hard, 9, cv2.INPAINT_TELEA))


def overlay(original: Image.Image, generated: Image.Image, mask: Image.Image) -> Image.Image:
    """Paste the generated pixels over the original through the (blurred) mask, as A1111 does after
    inpainting."""
    m = np.asarray(mask, dtype=np.float32)[..., None] / 255.0
    a = np.asarray(original.convert("RGB"), dtype=np.float32)
    b = np.asarray(generated.convert("RGB"), dtype=np.float32)
    return Image.fromarray((a * (1 - m) + b * m).round().clip(0, 255).astype(np.uint8))


def latent_fill(fill: InpaintFill):
    """For `latent noise` / `latent nothing`: how the masked area of the init latents is replaced."""
    return fill if fill in (InpaintFill.LATENT_NOISE, InpaintFill.LATENT_NOTHING) else None


def encode_png(image: Image.Image, parameters: str | None, *, level: int = 6) -> bytes:
    """PNG with A1111's `parameters` text chunk; `level` is zlib's (0-9; Pillow's default 6)."""
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    if parameters is not None:
        meta.add_text("parameters", parameters)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=meta, compress_level=level)
    return buffer.getvalue()
