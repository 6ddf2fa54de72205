"""A1111's upscaling rules, written once for the door and the GPU worker: the latent upscale modes, the
built-in upscalers, the hires-fix target resolution and the extras' target size.

Sources: A1111 `modules/shared.py` (`latent_upscale_modes`), `modules/upscaler.py` (`UpscalerNone`,
`UpscalerLanczos`, `UpscalerNearest`, `Upscaler.upscale`), `modules/processing.py`
(`StableDiffusionProcessingTxt2Img.calculate_target_resolution`) and
`scripts/postprocessing_upscale.py` (`ScriptPostprocessingUpscale.upscale`).
"""

from __future__ import annotations

from dataclasses import dataclass

LATENT_UPSCALE_MODES: dict[str, tuple[str, bool]] = {
    "Latent": ("bilinear", False),
    "Latent (antialiased)": ("bilinear", True),
    "Latent (bicubic)": ("bicubic", False),
    "Latent (bicubic antialiased)": ("bicubic", True),
    "Latent (nearest)": ("nearest", False),
    "Latent (nearest-exact)": ("nearest-exact", False),
}
"""Hires fix's latent upscalers: name → (torch `interpolate` mode, antialias)."""

DEFAULT_LATENT_MODE = "Latent"
"""What hires fix uses when the request names no upscaler (A1111 `latent_upscale_default_mode`)."""

NONE_UPSCALER = "None"
LANCZOS = "Lanczos"
BUILTIN_UPSCALERS: dict[str, str | None] = {NONE_UPSCALER: None, LANCZOS: "lanczos", "Nearest": "nearest"}
"""A1111's upscalers that need no weights: name → PIL resampling filter (None: leaves the image as is)."""

LATENT_SCALE = 8
"""Pixels per latent cell (A1111 `opt_f`)."""


@dataclass(frozen=True)
class HiresTarget:
    """Where the hires pass upscales to, and what it then crops (in latent cells) to reach the asked size."""

    width: int
    """`hr_upscale_to_x`."""
    height: int
    """`hr_upscale_to_y`."""
    truncate_x: int = 0
    truncate_y: int = 0

    @property
    def final_width(self) -> int:
        """Width of the hires pass's output (after the crop)."""
        cells = self.width // LATENT_SCALE
        return (cells - self.truncate_x // 2 - (self.truncate_x + 1) // 2) * LATENT_SCALE

    @property
    def final_height(self) -> int:
        cells = self.height // LATENT_SCALE
        return (cells - self.truncate_y // 2 - (self.truncate_y + 1) // 2) * LATENT_SCALE


def hires_target(width: int, height: int, scale: float, resize_x: int, resize_y: int) -> HiresTarget:
    """A1111's `calculate_target_resolution`: by `scale` when neither resize side is set, to `resize_x`
    (or `resize_y`) keeping the aspect ratio when one is, and covering both then cropping when both are."""
    if resize_x == 0 and resize_y == 0:
        return HiresTarget(int(width * scale), int(height * scale))
    if resize_y == 0:
        return HiresTarget(resize_x, resize_x * height // width)
    if resize_x == 0:
        return HiresTarget(resize_y * width // height, resize_y)
    if width / height < resize_x / resize_y:
        to_x, to_y = resize_x, resize_x * height // width
    else:
        to_x, to_y = resize_y * width // height, resize_y
    return HiresTarget(to_x, to_y, (to_x - resize_x) // LATENT_SCALE, (to_y - resize_y) // LATENT_SCALE)


def extras_size(
    width: int, height: int, *, scale_to: bool, by: float, to_w: int, to_h: int, crop: bool
) -> tuple[int, int]:
    """The size an extras upscale ends at: `by` x the image (rounded down to a multiple of 8, as
    `Upscaler.upscale` does), or `to_w` x `to_h` when cropping to fit, else the covering size."""
    if scale_to:
        by = max(to_w / width, to_h / height)
    out = (int((width * by) // 8 * 8), int((height * by) // 8 * 8))
    return (to_w, to_h) if scale_to and crop else out


def is_latent_mode(name: str | None) -> bool:
    return name is None or name in LATENT_UPSCALE_MODES
