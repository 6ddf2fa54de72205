"""Facts about weight files read without loading them: how many bytes they take on the device, whether an
fp16 variant sits beside them, and whether two components hold the same weights.

safetensors files begin with an 8-byte length and a JSON header giving every tensor's dtype and shape, so the
device size of a model in a given dtype is exact before a byte of it is loaded.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import torch

FLOATING = {"F64", "F32", "F16", "BF16"}
"""Stored float dtypes: diffusers loads these in the pipeline's dtype."""
ITEM_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
VARIANT = "fp16"
_CHUNK = 16 * 1024**2


def is_variant_file(path: Path, variant: str = VARIANT) -> bool:
    """diffusers' variant file names: `model.fp16.safetensors`, sharded `model.fp16-00001-of-00002...`."""
    return f".{variant}." in path.name or f".{variant}-" in path.name


def safetensors_header(path: Path) -> dict:
    with path.open("rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    header.pop("__metadata__", None)
    return header


def weight_files(path: Path, variant: str | None) -> list[Path]:
    """The safetensors files `from_pretrained(path, variant=variant)` reads (one set per component)."""
    if path.is_file():
        return [path]
    chosen: list[Path] = []
    by_folder: dict[Path, list[Path]] = {}
    for file in sorted(path.rglob("*.safetensors")):
        by_folder.setdefault(file.parent, []).append(file)
    for files in by_folder.values():
        variants = [f for f in files if is_variant_file(f)]
        plain = [f for f in files if not is_variant_file(f)]
        chosen += variants if variant and variants else plain
    return chosen


def fp16_variant(path: Path, dtype: torch.dtype) -> str | None:
    """`"fp16"` when loading in half precision and every weighted component of the folder has fp16 files."""
    if dtype not in (torch.float16, torch.bfloat16) or not path.is_dir():
        return None
    folders: dict[Path, bool] = {}
    for file in path.rglob("*.safetensors"):
        folders[file.parent] = folders.get(file.parent, False) or is_variant_file(file)
    return VARIANT if folders and all(folders.values()) else None


def device_bytes(path: Path, dtype: torch.dtype, variant: str | None = None) -> int:
    """Bytes the weights at `path` take once loaded with floats in `dtype` (exact for safetensors; `.bin`
    and `.pth` pickles are counted at their file size, scaled from fp32)."""
    size = torch.empty((), dtype=dtype).element_size()
    if path.is_file() and path.suffix != ".safetensors":  # a pickled checkpoint (spandrel's .pth)
        return path.stat().st_size * size // 4
    files = weight_files(path, variant)
    total = 0
    for file in files:
        for info in safetensors_header(file).values():
            stored = info["dtype"]
            item = size if stored in FLOATING else ITEM_BYTES.get(stored, 4)
            total += math.prod(info["shape"]) * item
    if not files and path.is_dir():
        pickles = [*path.rglob("*.bin"), *path.rglob("*.pth")]
        total = sum(f.stat().st_size for f in pickles) * size // 4
    return total


def same_weights(a: Path, b: Path) -> bool:
    """Whether two component folders (e.g. the base's and the refiner's `vae/`) hold identical weights: the
    same config and byte-identical weight files."""
    if not (a.is_dir() and b.is_dir()):
        return False
    if not ((a / "config.json").is_file() and (b / "config.json").is_file()):
        return False
    if _config(a / "config.json") != _config(b / "config.json"):
        return False
    files_a = sorted(f.name for f in a.glob("*.safetensors"))
    files_b = sorted(f.name for f in b.glob("*.safetensors"))
    if not files_a or files_a != files_b:
        return False
    return all(_same_bytes(a / name, b / name) for name in files_a)


def _config(path: Path) -> dict:
    config = json.loads(path.read_text())
    return {k: v for k, v in config.items() if not k.startswith("_")}


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as left, b.open("rb") as right:
        while True:
            chunk = left.read(_CHUNK)
            if chunk != right.read(_CHUNK):
                return False
            if not chunk:
                return True
