"""The container's PNG encoder (`inference_container.png`): the pixels come back exactly, in one piece or in
strips deflated side by side; the zlib stream is whole (Adler-32 included); A1111's `parameters` chunk is as
Pillow writes it. (Its speed is measured by bench/png_bench.py, not asserted here.)"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from inference_container import png

pytestmark = pytest.mark.container

CHANNELS = {"L": (), "RGB": (3,), "RGBA": (4,)}


def random_image(mode: str, width: int = 40, height: int = 24) -> Image.Image:
    rng = np.random.default_rng(7)
    return Image.fromarray(rng.integers(0, 256, (height, width, *CHANNELS[mode]), dtype=np.uint8), mode)


def gradient_image(mode: str, side: int) -> Image.Image:
    """Smooth rows with a little noise: what the run-length strategy meets in a photograph."""
    rng = np.random.default_rng(3)
    bands = CHANNELS[mode][0] if CHANNELS[mode] else 1
    y, x = np.mgrid[0:side, 0:side, 0:bands][:2]
    pixels = (x + 2 * y + 40 * np.arange(bands) + rng.integers(0, 4, (side, side, bands))) % 256
    return Image.fromarray(pixels.astype(np.uint8).reshape(side, side, *CHANNELS[mode]), mode)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, body) of every chunk after the signature."""
    found, offset = [], len(png.SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        found.append((data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return found


def decoded(data: bytes) -> np.ndarray:
    stored = Image.open(io.BytesIO(data))
    stored.load()
    return np.asarray(stored)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_the_png_holds_the_images_pixels_in_its_mode(mode):
    original = random_image(mode)

    stored = Image.open(io.BytesIO(png.encode(original, "Steps: 2")))

    assert stored.mode == mode
    assert np.array_equal(np.asarray(stored), np.asarray(original))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_a_big_image_comes_back_exactly_from_the_strips_deflated_side_by_side(mode):
    original = gradient_image(mode, 1024)  # 1-4 MiB of scanlines: striped where there are cores for it

    data = png.encode(original, "Steps: 2")

    assert np.array_equal(decoded(data), np.asarray(original))


@pytest.mark.parametrize("strips", [1, 2, 3, 7])
def test_any_number_of_strips_gives_the_same_pixels(strips):
    original = random_image("RGB", width=33, height=29)

    data = png.encode(original, None, strips=strips)

    assert np.array_equal(decoded(data), np.asarray(original))


@pytest.mark.parametrize("strips", [1, 3])
def test_the_image_data_is_one_zlib_stream_with_a_valid_checksum(strips):
    original = random_image("RGBA", width=17, height=12)
    data = png.encode(original, "Steps: 2", strips=strips)
    idat = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")

    scanlines = zlib.decompress(idat)  # raises on a wrong Adler-32 or a broken stream

    assert scanlines == png.up_filtered(np.asarray(original)).tobytes()


def test_the_scanlines_are_up_filtered():
    pixels = np.array([[10, 250], [5, 255]], np.uint8)

    lines = png.up_filtered(pixels)

    assert lines.tolist() == [[2, 10, 250], [2, 251, 5]]  # 5 - 10 and 255 - 250, modulo 256


def test_a_one_pixel_image_round_trips():
    original = Image.new("RGB", (1, 1), (12, 34, 56))

    data = png.encode(original, "Steps: 2")

    assert decoded(data).tolist() == [[[12, 34, 56]]]


def test_more_strips_than_rows_still_make_a_whole_image():
    original = Image.new("L", (5, 2), 200)

    data = png.encode(original, None, strips=8)

    assert decoded(data).tolist() == [[200] * 5, [200] * 5]


def test_the_png_passes_pillows_checksum_verification():
    data = png.encode(gradient_image("RGB", 1024), "a lighthouse\nSteps: 2")

    Image.open(io.BytesIO(data)).verify()  # raises on a bad chunk CRC


def test_a_latin_1_infotext_is_a_text_chunk_right_after_the_header():
    data = png.encode(random_image("RGB"), "a lighthouse, café\nSteps: 2")

    assert [kind for kind, _ in chunks(data)] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]


def test_a_latin_1_infotext_reads_back_in_pillow():
    stored = Image.open(io.BytesIO(png.encode(random_image("RGB"), "a lighthouse, café\nSteps: 2")))

    assert stored.text["parameters"] == "a lighthouse, café\nSteps: 2"


def test_an_infotext_outside_latin_1_is_an_international_text_chunk():
    data = png.encode(random_image("RGB"), "灯台 ✓ café")

    assert [kind for kind, _ in chunks(data)][1] == b"iTXt"


def test_an_infotext_outside_latin_1_travels_as_pillow_writes_it():
    stored = Image.open(io.BytesIO(png.encode(random_image("RGB"), "灯台 ✓ café")))

    assert stored.text["parameters"] == "灯台 ✓ café"


def test_an_image_without_infotext_has_no_parameters_chunk():
    stored = Image.open(io.BytesIO(png.encode(random_image("RGB"), None)))

    assert "parameters" not in stored.text


def test_an_image_in_another_mode_is_stored_as_it_is():
    original = random_image("RGB").convert("P", palette=Image.ADAPTIVE)

    stored = Image.open(io.BytesIO(png.encode(original, "Steps: 2")))

    assert np.array_equal(np.asarray(stored.convert("RGB")), np.asarray(original.convert("RGB")))
