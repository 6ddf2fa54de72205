"""The output PNGs, encoded for speed: every row Up-filtered with numpy (filter byte 2, then the row minus the
row above it), deflated by zlib-ng (the deflate Pillow bundles; PyPI `zlib-ng`) at level 1 with the run-length
strategy. Pillow instead chooses among four filters for every row, and that is most of its encode time at
level 1. On big images, horizontal strips are deflated on parallel threads, as pigz does.
Chosen by `bench/png_bench.py` (docs/benchmarks.md). On the photo-like 1024x1024 image on the 2-CPU
development machine it takes 12 ms in 2 strips and 18 ms in one. OpenCV's libpng with the same filter and
strategy (the previous encoder, with the stock zlib 1.2.11 inside it) takes 31 ms, and Pillow at level 1
takes 110 ms. The files are OpenCV's size or up to 2 % smaller. The strips help only when a core is free:
on a loaded machine they cost 1-2 ms.

Striping: each strip is a raw deflate stream ended by a sync flush (the last by the stream's end), so the
strips concatenate into one zlib stream after a zlib header, followed by the Adler-32 of all the filtered
bytes. The run-length strategy only ever refers back one byte, so a strip loses nothing by not seeing the
one before it: the file size is the same to a few bytes. zlib-ng releases the GIL while it deflates.

The infotext goes in A1111's `parameters` chunk exactly as Pillow writes it (`PngInfo.add_text`: tEXt, or
iTXt when the text is not Latin-1), placed right after the header. Images in other modes than RGB, RGBA and
L (palette, 16-bit, CMYK, ...: possible only in extras jobs, which keep the input's mode) go through
Pillow's encoder (`imaging.encode_png`).
"""

from __future__ import annotations

import io
import itertools
import os
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from zlib_ng import zlib_ng

from inference_container.imaging import encode_png as pillow_png

LEVEL = 1
"""zlib level; with the run-length strategy levels 1-9 give the same file (0 stores uncompressed)."""
SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {"L": 0, "RGB": 2, "RGBA": 6}
"""PNG colour type of each mode written here (8 bits per channel)."""
UP = 2
"""The PNG filter type "Up"."""
ZLIB_HEADER = b"\x78\x01"
"""A zlib header for a 32 KiB window and the fastest level (what zlib-ng writes at level 1)."""
STRIP_BYTES = 1 << 18
"""Scanline bytes per strip at least: 512x512 RGB (768 KiB) and bigger are striped (2 strips took a third
off its 5-6 ms with a free core), 256x256 (192 KiB, about 1 ms) is not."""
THREADS = os.cpu_count() or 1
"""Strips per image at most. The calling thread deflates the last strip itself."""
_pool = ThreadPoolExecutor(max_workers=max(THREADS - 1, 1), thread_name_prefix="png-deflate")


def up_filtered(pixels: np.ndarray) -> np.ndarray:
    """The PNG scanlines of an 8-bit image (height x width [x channels]) with the Up filter: one row per
    scanline, its filter byte, then each byte minus the byte above it (modulo 256; the first row as it is)."""
    rows = pixels.reshape(pixels.shape[0], -1)
    lines = np.empty((rows.shape[0], rows.shape[1] + 1), np.uint8)
    lines[:, 0] = UP
    lines[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=lines[1:, 1:])
    return lines


def _deflate(data: np.ndarray, level: int, wbits: int, last: bool) -> bytes:
    stream = zlib_ng.compressobj(level, zlib_ng.DEFLATED, wbits, zlib_ng.DEF_MEM_LEVEL, zlib_ng.Z_RLE)
    return stream.compress(data) + stream.flush(zlib_ng.Z_FINISH if last else zlib_ng.Z_SYNC_FLUSH)


def compress(lines: np.ndarray, *, level: int = LEVEL, strips: int | None = None) -> bytes:
    """The zlib stream of the scanlines (IDAT's data), in `strips` pieces deflated side by side (default:
    one per `STRIP_BYTES`, at most `THREADS`)."""
    if strips is None:
        strips = min(THREADS, lines.nbytes // STRIP_BYTES)
    strips = max(1, min(strips, lines.shape[0]))
    if strips == 1:
        return _deflate(lines, level, zlib_ng.MAX_WBITS, last=True)
    bounds = [len(lines) * index // strips for index in range(strips + 1)]
    pieces = [lines[start:end] for start, end in itertools.pairwise(bounds)]
    others = [_pool.submit(_deflate, piece, level, -zlib_ng.MAX_WBITS, False) for piece in pieces[:-1]]
    last = _deflate(pieces[-1], level, -zlib_ng.MAX_WBITS, last=True)
    checksum = zlib_ng.adler32(lines)
    return b"".join([ZLIB_HEADER, *(future.result() for future in others), last, struct.pack(">I", checksum)])


def _chunk(out: io.BytesIO, kind: bytes, data: bytes) -> None:
    """One chunk: length, type, data and its CRC by zlib-ng (Pillow's `putchunk` copies the data and uses the
    slower stock zlib)."""
    out.write(struct.pack(">I", len(data)) + kind)
    out.write(data)
    out.write(struct.pack(">I", zlib_ng.crc32(data, zlib_ng.crc32(kind))))


def encode(
    image: Image.Image, parameters: str | None, *, level: int = LEVEL, strips: int | None = None
) -> bytes:
    """PNG with A1111's `parameters` text chunk (none when `parameters` is None); `strips` as in
    `compress`."""
    colour_type = COLOUR_TYPES.get(image.mode)
    if colour_type is None:
        # a copy: Pillow keeps each save's settings on the image object, so an image saved by two writer
        # threads at once could be written with the other's settings
        return pillow_png(image.copy(), parameters, level=level)
    data = compress(up_filtered(np.asarray(image)), level=level, strips=strips)
    out = io.BytesIO()
    out.write(SIGNATURE)
    # width, height, bit depth 8, colour type, deflate, adaptive filtering, no interlace
    _chunk(out, b"IHDR", struct.pack(">IIBBBBB", image.width, image.height, 8, colour_type, 0, 0, 0))
    if parameters is not None:
        meta = PngInfo()
        meta.add_text("parameters", parameters)
        for chunk_type, body, _after_image_data in meta.chunks:
            _chunk(out, chunk_type, body)
    _chunk(out, b"IDAT", data)
    _chunk(out, b"IEND", b"")
    return out.getvalue()
