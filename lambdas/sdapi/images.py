"""Input images at the door: base64 → bytes → a checked PNG/JPEG/WEBP (size, pixels, decodability).

The GPU host receives images inline in the job JSON; everything that could make it choke is refused here
with the field's name.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

from sdapi.config import Limits
from sdapi.errors import InvalidRequest

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
_DATA_URL = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,", re.IGNORECASE)


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    size_bytes: int


def strip_data_url(value: str) -> str:
    """`data:image/png;base64,AAAA` → `AAAA` (bare base64 is returned unchanged)."""
    return _DATA_URL.sub("", value.strip(), count=1)


def decode_base64(value: str, field: str, limits: Limits) -> bytes:
    """The bytes of a base64 image (a data: URL prefix is tolerated), or InvalidRequest naming `field`."""
    text = re.sub(r"\s+", "", strip_data_url(value))
    if not text:
        raise InvalidRequest.field(field, "image is empty")
    if len(text) * 3 // 4 > limits.max_image_bytes + 3:
        raise InvalidRequest.field(field, f"image is larger than {limits.max_image_bytes} bytes")
    text += "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidRequest.field(field, "image is not valid base64") from error


def check_image_bytes(data: bytes, field: str, limits: Limits) -> ImageInfo:
    """Check that `data` is a complete PNG, JPEG or WEBP image within the size and pixel limits."""
    if len(data) > limits.max_image_bytes:
        raise InvalidRequest.field(field, f"image is larger than {limits.max_image_bytes} bytes")
    from PIL import Image  # imported on first use: keeps the api Lambda's cold import small

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = (image.format or "").upper()
                width, height = image.size
                if fmt not in ALLOWED_FORMATS:
                    raise InvalidRequest.field(
                        field, f"image format {fmt or 'unknown'} is not PNG, JPEG or WEBP"
                    )
                if width * height > limits.max_image_pixels:
                    raise InvalidRequest.field(
                        field, f"image has {width}x{height} pixels, more than {limits.max_image_pixels}"
                    )
                image.verify()
    except InvalidRequest:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidRequest.field(field, "image has too many pixels") from error
    except Exception as error:  # PIL raises many kinds for broken data
        raise InvalidRequest.field(field, "image could not be decoded (PNG, JPEG or WEBP wanted)") from error
    return ImageInfo(format=fmt, width=width, height=height, size_bytes=len(data))


def check_base64_image(value: str, field: str, limits: Limits) -> ImageInfo:
    """Decode and check one base64 image field."""
    return check_image_bytes(decode_base64(value, field, limits), field, limits)


def to_base64(data: bytes) -> str:
    """Bare base64 (no data: prefix), the form `Job` stores."""
    return base64.b64encode(data).decode("ascii")
