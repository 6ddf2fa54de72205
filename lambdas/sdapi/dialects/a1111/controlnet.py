"""sd-webui-controlnet units (`alwayson_scripts.controlnet.args`) → canonical `ControlNetUnit`s.

Units without `enabled` are applied (the seeds omit it); `enabled: false` units are dropped. Canny
thresholds outside 1-255 (and ControlNet's -1 "unset") fall back to the defaults as sd-webui-controlnet does;
`processor_res` -1 means 512. Resize and control modes are accepted by name or by index.
"""

from __future__ import annotations

from typing import Any

from sdapi.dialects.a1111.models import A1111Request, ControlNetArgs
from sdapi.dialects.common import strip_data_url, sub_model
from sdapi.errors import InvalidRequest
from sdapi.schema.job import ControlMode, ControlNetUnit, ResizeMode
from sdapi.schema.model_rules import canny_thresholds

RESIZE_BY_INDEX = [
    ResizeMode.JUST_RESIZE,
    ResizeMode.CROP_AND_RESIZE,
    ResizeMode.RESIZE_AND_FILL,
    ResizeMode.LATENT_UPSCALE,
]
"""A1111's `resize_mode` integers 0-3 (ControlNet units take 0-2)."""

DEFAULT_PROCESSOR_RES = 512
"""Preprocessor resolution when a unit says -1 (unset)."""

THRESHOLD_UNSET = -1

_RESIZE_NAMES = {
    "just resize": ResizeMode.JUST_RESIZE,
    "envelope (outer fit)": ResizeMode.JUST_RESIZE,
    "crop and resize": ResizeMode.CROP_AND_RESIZE,
    "scale to fit (inner fit)": ResizeMode.CROP_AND_RESIZE,
    "inner fit (scale to fit)": ResizeMode.CROP_AND_RESIZE,
    "resize and fill": ResizeMode.RESIZE_AND_FILL,
    "outer fit (shrink to fit)": ResizeMode.RESIZE_AND_FILL,
}
_MODE_NAMES = {
    "balanced": ControlMode.BALANCED,
    "my prompt is more important": ControlMode.PROMPT,
    "controlnet is more important": ControlMode.CONTROLNET,
}


def controlnet_units(payload: A1111Request) -> tuple[ControlNetUnit, ...]:
    """Return the payload's enabled ControlNet units (errors under canonical `controlnet[i]` paths)."""
    script = payload.alwayson_scripts.controlnet
    if script is None:
        return ()
    return tuple(
        _unit(arg, f"controlnet[{index}]")
        for index, arg in enumerate(script.args)
        if arg.enabled is not False
    )


def _unit(arg: ControlNetArgs, path: str) -> ControlNetUnit:
    if not arg.model or arg.model.strip().lower() == "none":
        raise InvalidRequest.field(f"{path}.model", "a ControlNet model is required")
    if isinstance(arg.image, dict) and arg.image.get("mask"):
        raise InvalidRequest.field(f"{path}.image.mask", "a per-unit ControlNet mask is not supported")
    image = arg.image.get("image") if isinstance(arg.image, dict) else arg.image
    image = image or arg.input_image
    module = (arg.module or "none").strip().lower()
    threshold_a, threshold_b = arg.threshold_a, arg.threshold_b
    if module == "canny":
        threshold_a, threshold_b = canny_thresholds(threshold_a, threshold_b)
    return sub_model(
        ControlNetUnit,
        path,
        model=arg.model,
        module=module,
        weight=arg.weight,
        image=strip_data_url(image) if isinstance(image, str) and image else None,
        resize_mode=_choice(arg.resize_mode, _RESIZE_NAMES, RESIZE_BY_INDEX[:3], f"{path}.resize_mode"),
        processor_res=DEFAULT_PROCESSOR_RES if arg.processor_res <= 0 else arg.processor_res,
        threshold_a=None if threshold_a == THRESHOLD_UNSET else threshold_a,
        threshold_b=None if threshold_b == THRESHOLD_UNSET else threshold_b,
        guidance_start=arg.guidance_start,
        guidance_end=arg.guidance
        if arg.guidance is not None and "guidance_end" not in arg.model_fields_set
        else arg.guidance_end,
        control_mode=_choice(arg.control_mode, _MODE_NAMES, list(ControlMode), f"{path}.control_mode"),
        pixel_perfect=arg.pixel_perfect,
        low_vram=arg.lowvram,
    )


def _choice(value: str | int, by_name: dict[str, Any], by_index: list[Any], path: str) -> Any:
    if isinstance(value, int) and 0 <= value < len(by_index):
        return by_index[value]
    if isinstance(value, str):
        found = by_name.get(value.strip().lower())
        if found is not None:
            return found
        if value.strip().isdigit() and int(value) < len(by_index):
            return by_index[int(value)]
    names = [k for k in by_name if k[0].isalpha()]
    raise InvalidRequest.field(path, f"unknown value {value!r}; use one of {names} or 0-{len(by_index) - 1}")
