"""Input images: base64 (with or without a data: URL) → checked bytes."""

from __future__ import annotations

import base64

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
    assert raised.value.problems[0].field == "mask.image" and "larger than" in raised.value.problems[0].reason


def test_a_truncated_png_is_refused():
    data = base64.b64decode(image_b64("PNG", (64, 64)))
    with pytest.raises(InvalidRequest):
        check_base64_image(to_base64(data[: len(data) // 2]), "init_images[0]", Limits())


def test_empty_is_refused():
    with pytest.raises(InvalidRequest):
        decode_base64("  ", "init_images[0]", Limits())
