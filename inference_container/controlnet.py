"""ControlNet units as sd-webui-controlnet runs them: preprocess (canny / none), fit to the output size, and
build the diffusers arguments (scale, guidance window, guess mode) plus the `ControlNet N` infotext entry.

Which preprocessors exist and the canny defaults are declared in `sdapi.schema.model_rules`, and the worker's
plan has checked each unit against them before a unit is prepared here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inference_container.imaging import decode_image, resize_image
from inference_container.infotext import number
from sdapi.schema.job import ControlMode, ControlNetUnit, Job, ResizeMode
from sdapi.schema.model_rules import canny_thresholds

RESIZE_LABELS = {
    ResizeMode.JUST_RESIZE: "Just Resize",
    ResizeMode.CROP_AND_RESIZE: "Crop and Resize",
    ResizeMode.RESIZE_AND_FILL: "Resize and Fill",
    ResizeMode.LATENT_UPSCALE: "Just Resize",
}
MODE_LABELS = {
    ControlMode.BALANCED: "Balanced",
    ControlMode.PROMPT: "My prompt is more important",
    ControlMode.CONTROLNET: "ControlNet is more important",
}


@dataclass
class PreparedUnit:
    unit: ControlNetUnit
    control_image: Image.Image
    """The map the ControlNet sees, at the output size (also returned to the caller as the detected map)."""
    processor_res: int
    low: float
    high: float


def pixel_perfect_resolution(image: Image.Image, width: int, height: int, mode: ResizeMode) -> int:
    k0, k1 = height / image.height, width / image.width
    short = min(image.height, image.width)
    estimate = (min(k0, k1) if mode == ResizeMode.RESIZE_AND_FILL else max(k0, k1)) * short
    return int(np.round(estimate))


def prepare_unit(unit: ControlNetUnit, job: Job, index: int) -> PreparedUnit:
    """The unit's control map at the output size (img2img and inpaint units without an image use the first
    init image; the plan has refused txt2img units without one)."""
    source = unit.image or job.init_images[0]
    image = decode_image(source, f"controlnet[{index}].image").convert("RGB")
    res = (
        pixel_perfect_resolution(image, job.width, job.height, unit.resize_mode)
        if unit.pixel_perfect
        else (unit.processor_res)
    )
    low, high = canny_thresholds(unit.threshold_a, unit.threshold_b)
    if unit.module == "canny":
        import cv2  # OpenCV is needed only for canny (lazy: the benchmark runs without it)

        scale = res / min(image.width, image.height)
        work = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS
        )
        edges = cv2.Canny(np.asarray(work), low, high)
        detected = Image.fromarray(edges).convert("RGB")
    else:
        detected = image
    control = resize_image(unit.resize_mode, detected, job.width, job.height)
    return PreparedUnit(unit=unit, control_image=control, processor_res=res, low=low, high=high)


def infotext_entry(prepared: PreparedUnit) -> str:
    unit = prepared.unit
    params = (
        (prepared.processor_res, number(prepared.low), number(prepared.high))
        if unit.module == "canny"
        else (prepared.processor_res, -1, -1)
    )
    return (
        f"preprocessor: {unit.module}, model: {unit.model}, weight: {number(unit.weight)}, "
        f"starting/ending: ({number(unit.guidance_start)}, {number(unit.guidance_end)}), "
        f"resize mode: {RESIZE_LABELS[unit.resize_mode]}, pixel perfect: {unit.pixel_perfect}, "
        f"control mode: {MODE_LABELS[unit.control_mode]}, "
        f"preprocessor params: ({params[0]}, {params[1]}, {params[2]})"
    )


def pipeline_arguments(prepared: list[PreparedUnit], image_key: str) -> dict:
    """diffusers keyword arguments for one or several (MultiControlNet) units; `image_key` is `image` for the
    txt2img ControlNet pipelines and `control_image` for img2img / inpaint.

    Control modes: "ControlNet is more important" → diffusers `guess_mode` (control on the conditional half
    only, with diffusers' per-block soft weights); "My prompt is more important" scales the residuals by
    `soft_injection` below. diffusers' guess mode is per pipeline, so it is on if any unit asks.
    """
    single = len(prepared) == 1
    images = [p.control_image for p in prepared]
    return {
        image_key: images[0] if single else images,
        "controlnet_conditioning_scale": prepared[0].unit.weight
        if single
        else [p.unit.weight for p in prepared],
        "control_guidance_start": (
            prepared[0].unit.guidance_start if single else [p.unit.guidance_start for p in prepared]
        ),
        "control_guidance_end": prepared[0].unit.guidance_end
        if single
        else [p.unit.guidance_end for p in prepared],
        "guess_mode": any(p.unit.control_mode == ControlMode.CONTROLNET for p in prepared),
    }


PROMPT_MODE_DECAY = 0.825
"""sd-webui-controlnet's soft injection for "My prompt is more important": residual i of n is scaled by
0.825 ** (n - 1 - i): the deep (semantic) residuals keep their weight, the shallow (detail) ones fade."""


@contextmanager
def soft_injection(nets: list, prepared: list[PreparedUnit]) -> Iterator[None]:
    """For the job's duration, scale the residuals of the ControlNets whose unit asks "My prompt is more
    important" (a forward hook on those modules, removed afterwards; each distinct module is hooked once)."""
    handles = []
    hooked: set[int] = set()
    for net, unit in zip(nets, prepared, strict=True):
        if unit.unit.control_mode == ControlMode.PROMPT and id(net) not in hooked:
            hooked.add(id(net))
            handles.append(net.register_forward_hook(_prompt_mode_weights))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _prompt_mode_weights(module, args, output):
    as_tuple = isinstance(output, tuple)
    down, mid = output if as_tuple else (output.down_block_res_samples, output.mid_block_res_sample)
    n = len(down) + 1
    scales = [PROMPT_MODE_DECAY ** float(n - 1 - i) for i in range(n)]
    down = tuple(sample * scale for sample, scale in zip(down, scales, strict=False))
    mid = mid * scales[-1]
    if as_tuple:
        return (down, mid)
    return type(output)(down_block_res_samples=down, mid_block_res_sample=mid)
