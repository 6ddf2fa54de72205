"""Canonical job paths → A1111 payload paths (`controlnet[0].model` →
`alwayson_scripts.controlnet.args[0].model`); RunPod and tasks put their own prefix in front."""

from __future__ import annotations

from sdapi.dialects.common import split_path

_PATHS = {
    "model": "override_settings.sd_model_checkpoint",
    "pool": "override_settings.sd_model_checkpoint",
    "vae": "override_settings.sd_vae",
    "clip_skip": "override_settings.CLIP_stop_at_last_layers",
    "sdxl_clip_l_skip": "override_settings.sdxl_clip_l_skip",
    "face_restorer": "override_settings.face_restoration_model",
    "noise_source": "override_settings.randn_source",
    "eta_noise_seed_delta": "override_settings.eta_noise_seed_delta",
    "safety_checker": "override_settings.filter_nsfw",
    "refiner": "refiner_checkpoint",
    "refiner.checkpoint": "refiner_checkpoint",
    "refiner.switch_at": "refiner_switch_at",
    "sampler": "sampler_name",
    "mask": "mask",
    "mask.image": "mask",
    "mask.blur": "mask_blur",
    "mask.invert": "inpainting_mask_invert",
    "mask.fill": "inpainting_fill",
    "mask.full_res": "inpaint_full_res",
    "mask.full_res_padding": "inpaint_full_res_padding",
    "controlnet": "alwayson_scripts.controlnet.args",
    "codeformer_weight": "override_settings.code_former_weight",
    "hires": "enable_hr",
    "hires.scale": "hr_scale",
    "hires.resize_x": "hr_resize_x",
    "hires.resize_y": "hr_resize_y",
    "hires.upscaler": "hr_upscaler",
    "hires.steps": "hr_second_pass_steps",
    "hires.denoising_strength": "denoising_strength",
    "hires.prompt": "hr_prompt",
    "hires.negative_prompt": "hr_negative_prompt",
    "hires.sampler": "hr_sampler_name",
    "hires.scheduler": "hr_scheduler",
    "hires.checkpoint": "hr_checkpoint_name",
}
_UNIT_FIELDS = {"low_vram": "lowvram"}


def to_caller_path(path: str, overrides: dict[str, str] | None = None) -> str:
    """Return the A1111 payload path of a canonical job path; `overrides` (canonical → caller path) win."""
    if overrides and path in overrides:
        return overrides[path]
    if path in _PATHS:
        return _PATHS[path]
    head, index, rest = split_path(path)
    if head == "controlnet" and index:
        base = f"alwayson_scripts.controlnet.args{index}"
        return f"{base}.{_UNIT_FIELDS.get(rest, rest)}" if rest else base
    return path
