"""Defaults A1111 applies when a request leaves a field out, shared by the door and the GPU worker."""

from __future__ import annotations

DEFAULT_DENOISING_STRENGTH = 0.75
"""img2img/inpaint strength when the request gives none (A1111's default)."""

CANNY_THRESHOLDS = (100.0, 200.0)
"""Canny low/high thresholds when a ControlNet unit leaves them unset or outside 1-255 (as
sd-webui-controlnet does)."""
