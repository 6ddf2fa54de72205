"""Input images: base64 (with or without a data: URL) → checked bytes."""

from __future__ import annotations

import base64
import io

import pytest

from sdapi.config import Limits
from sdapi.errors import InvalidRequest
from sdapi.images import check_base64_image, decode_base64, strip_data_url, to_base64
from tests.conftest import image_b64


def test_data_urls_and_whitespace_are_tolerated():
    raw = image_b64("PNG")
    wrapped = "data:image/png;base64," + raw[:10] + "\n" + raw[10:]

    info = check_base64_image(wrapped, "init_images[0]", Limits())

    assert (info.format, info.width, info.height) == ("PNG", 16, 16)
    assert strip_data_url(wrapped).replace("\n", "") == raw


def test_missing_padding_is_tolerated_and_bytes_round_trip():
    data = base64.b64decode(image_b64("JPEG"))
    assert decode_base64(to_base64(data).rstrip("="), "f", Limits()) == data


def test_too_many_bytes_is_refused_before_decoding():
    with pytest.raises(InvalidRequest) as raised:
        decode_base64("A" * 4000, "mask.image", Limits(max_image_bytes=1000))
    assert raised.value.problems[0].field == "mask.image"
    assert "larger than" in raised.value.problems[0].reason


def test_a_truncated_png_is_refused():
    data = base64.b64decode(image_b64("PNG", (64, 64)))
    with pytest.raises(InvalidRequest):
        check_base64_image(to_base64(data[: len(data) // 2]), "init_images[0]", Limits())


def test_empty_is_refused():
    with pytest.raises(InvalidRequest):
        decode_base64("  ", "init_images[0]", Limits())


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width x height` pixels but carries no real pixel data (a bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("size", "limit"), [((4000, 4000), 1_000_000), ((30000, 30000), 10**12)])
def test_images_declaring_too_many_pixels_are_refused_before_decoding(size, limit):
    data = _png_header_only(*size)

    with pytest.raises(InvalidRequest) as raised:
        check_base64_image(to_base64(data), "init_images[0]", Limits(max_image_pixels=limit))

    assert raised.value.problems[0].field == "init_images[0]"
    assert "pixels" in raised.value.problems[0].reason


@pytest.mark.parametrize(
    "data", [b"not an image at all", b"GIF89a" + b"\0" * 32, b"<svg xmlns='http://www.w3.org/2000/svg'/>"]
)
def test_non_images_and_other_formats_are_refused(data):
    with pytest.raises(InvalidRequest) as raised:
        check_base64_image(to_base64(data), "mask", Limits())
    assert raised.value.problems[0].field == "mask"


def test_a_gif_is_refused_by_format():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    with pytest.raises(InvalidRequest) as raised:
        check_base64_image(to_base64(buffer.getvalue()), "mask", Limits())
    assert "GIF" in raised.value.problems[0].reason


def test_a_huge_base64_string_is_refused_by_length_without_decoding(monkeypatch):
    monkeypatch.setattr(base64, "b64decode", lambda *a, **k: pytest.fail("decoded before the size check"))
    with pytest.raises(InvalidRequest) as raised:
        decode_base64("QUFB" * 3_000_000, "init_images[0]", Limits(max_image_bytes=1_000_000))
    assert "larger than" in raised.value.problems[0].reason
