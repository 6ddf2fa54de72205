"""The output PNGs, encoded for speed: OpenCV's libpng with one fixed filter (Up) and zlib's run-length
strategy, instead of Pillow's per-row choice among four filters (most of Pillow's encode time at level 1).
Chosen by `bench/png_bench.py` (docs/benchmarks.md): at 1024x1024 about 3 times faster than Pillow at level 1
(the previous encoder), its files 13 % smaller on a photograph-like synthetic image and 4-6 % larger on a
real photograph; on flat illustration-like images, a few tens of KB either way.

The infotext goes in A1111's `parameters` chunk exactly as Pillow writes it (`PngInfo.add_text`: tEXt, or
iTXt when the text is not Latin-1), placed right after the header. Images in modes OpenCV does not write as
they are (palette, 16-bit, CMYK, ...: possible only in extras jobs, which keep the input's mode) go through
Pillow's encoder (`imaging.encode_png`).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo, putchunk

from inference_container.imaging import encode_png as pillow_png

LEVEL = 1
"""zlib level; with the run-length strategy levels 1-9 give the same file (0 stores uncompressed)."""
SIGNATURE_AND_HEADER = 8 + 25
"""The PNG signature and the IHDR chunk (length, type, 13 bytes, CRC): the text chunk goes right after."""


def _to_opencv(image: Image.Image):
    """The image as the array OpenCV writes (BGR channel order), or None for a mode it does not take."""
    import cv2

    if image.mode == "L":
        return np.asarray(image)
    if image.mode == "RGB":
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    if image.mode == "RGBA":
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGBA2BGRA)
    return None


def encode(image: Image.Image, parameters: str | None, *, level: int = LEVEL) -> bytes:
    """PNG with A1111's `parameters` text chunk (none when `parameters` is None)."""
    import cv2

    array = _to_opencv(image)
    if array is None:
        # a copy: Pillow keeps each save's settings on the image object, so an image saved by two writer
        # threads at once could be written with the other's settings
        return pillow_png(image.copy(), parameters, level=level)
    options = [
        cv2.IMWRITE_PNG_COMPRESSION,
        level,
        cv2.IMWRITE_PNG_STRATEGY,
        cv2.IMWRITE_PNG_STRATEGY_RLE,
        cv2.IMWRITE_PNG_FILTER,
        cv2.IMWRITE_PNG_FILTER_UP,
    ]
    ok, encoded = cv2.imencode(".png", array, options)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.mode} {image.width}x{image.height} image as PNG")
    data = encoded.tobytes()
    if parameters is None:
        return data
    meta = PngInfo()
    meta.add_text("parameters", parameters)
    out = io.BytesIO()
    out.write(data[:SIGNATURE_AND_HEADER])
    for chunk_type, body, _after_image_data in meta.chunks:
        putchunk(out, chunk_type, body)
    out.write(data[SIGNATURE_AND_HEADER:])
    return out.getvalue()
