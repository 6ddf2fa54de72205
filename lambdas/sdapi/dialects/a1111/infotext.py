"""`POST /sdapi/v1/png-info`: the A1111 infotext of a PNG (its `parameters` text chunk), its other text
chunks, and the infotext parsed as A1111's `infotext_utils.parse_generation_parameters` does.

Carried over from A1111 (`modules/infotext_utils.py`, `modules/infotext_versions.py`, `modules/images.py`
`read_info_from_image`) with A1111's default options: `use_old_hires_fix_width_height` off,
`auto_backcompat` on, nothing in `infotext_skip_pasting`. Styles are not extracted from the prompt (A1111's
`infotext_styles` "Ignore"): the prompt is returned as written.
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

re_param = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
re_imagesize = re.compile(r"^(\d+)x(\d+)$")

IGNORED_INFO_KEYS = frozenset(
    {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
        "exif",
        "loop",
        "background",
        "timestamp",
        "duration",
        "progressive",
        "progression",
        "icc_profile",
        "chromaticity",
        "photoshop",
    }
)
"""Image info keys A1111 leaves out of `items`."""

DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("Hires sampler", "Use same sampler"),
    ("Hires checkpoint", "Use same checkpoint"),
    ("Hires prompt", ""),
    ("Hires negative prompt", ""),
    ("Mask mode", "Inpaint masked"),
    ("Masked content", "original"),
    ("Inpaint area", "Whole picture"),
    ("Masked area padding", 32),
)
LATE_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("RNG", "GPU"),
    ("Schedule type", "Automatic"),
    ("Schedule max sigma", 0),
    ("Schedule min sigma", 0),
    ("Schedule rho", 0),
    ("VAE Encoder", "Full"),
    ("VAE Decoder", "Full"),
    ("FP8 weight", "Disable"),
)


def unquote(text: str) -> str:
    if len(text) == 0 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _old_first_pass(width: int, height: int) -> tuple[int, int]:
    """A1111 `processing.old_hires_fix_first_pass_dimensions`."""
    scale = math.sqrt(512 * 512 / (width * height))
    return math.ceil(scale * width / 64) * 64, math.ceil(scale * height / 64) * 64


def _restore_old_hires_fix_params(res: dict[str, Any]) -> None:
    first_w, first_h = res.get("First pass size-1"), res.get("First pass size-2")
    if first_w is None or first_h is None:
        return
    first_w, first_h = int(first_w), int(first_h)
    width, height = int(res.get("Size-1", 512)), int(res.get("Size-2", 512))
    if first_w == 0 or first_h == 0:
        first_w, first_h = _old_first_pass(width, height)
    res["Size-1"], res["Size-2"] = first_w, first_h
    res["Hires resize-1"], res["Hires resize-2"] = width, height


def _version(text: str | None) -> tuple[int, ...] | None:
    """The release numbers of an infotext `Version` ("v1.7.0-225-g…" → (1, 7, 0, 225))."""
    if not text:
        return None
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)(?:-(\d+))?", text.strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _backcompat(res: dict[str, Any]) -> None:
    """A1111 `infotext_versions.backcompat`: flags for infotexts of older versions."""
    version = _version(res.get("Version"))
    if version is None:
        return
    if version < (1, 6, 0) and "[" in res.get("Prompt", ""):
        res["Old prompt editing timelines"] = True
    if version < (1, 6, 0) and res.get("Sampler", "") in ("DDIM", "PLMS"):
        res["Pad conds v0"] = True
    if version < (1, 7, 0, 225):
        res["Downcast alphas_cumprod"] = True
    if version < (1, 8, 0) and res.get("Refiner"):
        res["Refiner switch by sampling steps"] = True


def parse_generation_parameters(text: str) -> dict[str, Any]:
    """Parse an infotext (prompt lines, `Negative prompt:` lines, then `Key: value, …`) as A1111 does."""
    res: dict[str, Any] = {}
    prompt, negative_prompt, done_with_prompt = "", "", False
    *lines, lastline = text.strip().split("\n")
    if len(re_param.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done_with_prompt = True
            line = line[16:].strip()
        if done_with_prompt:
            negative_prompt += ("" if negative_prompt == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    res["Prompt"] = prompt
    res["Negative prompt"] = negative_prompt
    for key, value in re_param.findall(lastline):
        if value and value[0] == '"' and value[-1] == '"':
            value = unquote(value)
        size = re_imagesize.match(value)
        if size is not None:
            res[f"{key}-1"], res[f"{key}-2"] = size.group(1), size.group(2)
        else:
            res[key] = value
    res.setdefault("Clip skip", "1")
    hypernet = res.get("Hypernet")
    if hypernet is not None:
        res["Prompt"] += f"<hypernet:{hypernet}:{res.get('Hypernet strength', '1.0')}>"
    if "Hires resize-1" not in res:
        res["Hires resize-1"], res["Hires resize-2"] = 0, 0
    for key, value in DEFAULTS:
        res.setdefault(key, value)
    _restore_old_hires_fix_params(res)
    for key, value in LATE_DEFAULTS:
        res.setdefault(key, value)
    if "Cache FP16 weight for LoRA" not in res and res["FP8 weight"] != "Disable":
        res["Cache FP16 weight for LoRA"] = False
    _backcompat(res)
    return res


def read_info(data: bytes) -> tuple[str, dict[str, Any]]:
    """The infotext (`parameters` text chunk, "" when absent) and the image's other info items, as A1111's
    `read_info_from_image` gives them (binary values and the keys A1111 ignores left out)."""
    from PIL import Image  # imported on first use: keeps the api Lambda's cold import small

    with Image.open(io.BytesIO(data)) as image:
        items = dict(image.info or {})
    geninfo = items.pop("parameters", None)
    for key in IGNORED_INFO_KEYS:
        items.pop(key, None)
    clean = {str(k): v for k, v in items.items() if isinstance(v, str | int | float | bool)}
    return (geninfo if isinstance(geninfo, str) else ""), clean


def png_info_body(data: bytes) -> dict[str, Any]:
    """Return `POST /sdapi/v1/png-info`: `{info, items, parameters}`."""
    info, items = read_info(data)
    return {"info": info, "items": items, "parameters": parse_generation_parameters(info)}
