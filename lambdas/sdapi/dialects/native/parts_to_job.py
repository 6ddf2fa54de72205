"""The native request's parts → the canonical job's: hires fix, extras, LoRAs, CodeFormer's weight, and
the native paths of the canonical ones they become (`to_caller_path`).

Combinations the canonical job would read without effect are refused here (400 naming the native field):
a scale beside an explicit size, one side of an upscale without the other, `crop` without a size, a
second upscaler without its visibility, a face restoration that restores nothing, a CodeFormer weight
without CodeFormer. Ranges are the canonical models' (a rule written once).
"""

from __future__ import annotations

from sdapi.dialects.common import default_upscaler, first_of_family, second_pass_sampler, sub_model
from sdapi.dialects.native import parts
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Catalog, Family, Pool
from sdapi.schema.job import Extras, Hires, Upscale
from sdapi.schema.prompt import LoraRequest
from sdapi.schema.upscaling import NONE_UPSCALER

CODEFORMER = "CodeFormer"

PATHS = {
    "hires.resize_x": "hires.width",
    "hires.resize_y": "hires.height",
    "extras.gfpgan_visibility": "extras.face_restoration.gfpgan_visibility",
    "extras.codeformer_visibility": "extras.face_restoration.codeformer_visibility",
    "extras.codeformer_weight": "extras.face_restoration.codeformer_weight",
}
"""Canonical job paths → the native request's, where they differ."""


def to_caller_path(path: str) -> str:
    """The native field a canonical job path comes from (most are the same)."""
    return PATHS.get(path, path)


def hires(wanted: parts.HiresFix, first: tuple[str, str]) -> Hires:
    """The canonical hires fix; `first` is the first pass's (sampler, schedule)."""
    if "scale" in wanted.model_fields_set and (wanted.width is not None or wanted.height is not None):
        raise InvalidRequest.field("hires.scale", "give either scale or width / height, not both")
    sampler, scheduler = second_pass_sampler(first, wanted.sampler, wanted.scheduler)
    return sub_model(
        Hires,
        "hires",
        scale=wanted.scale,
        resize_x=wanted.width or 0,
        resize_y=wanted.height or 0,
        upscaler=wanted.upscaler,
        steps=wanted.steps or 0,
        denoising_strength=wanted.denoising_strength,
        prompt=wanted.prompt,
        negative_prompt=wanted.negative_prompt,
        sampler=sampler,
        scheduler=scheduler,
        checkpoint=wanted.checkpoint,
    )


def extras(wanted: parts.Extras, catalog: Catalog, pool: Pool) -> Extras:
    """The canonical extras: the upscale (the pool's default upscaler when none is named), then the face
    restoration."""
    if wanted.upscale is None and wanted.face_restoration is None:
        raise InvalidRequest.field("extras", "give upscale, face_restoration or both")
    faces = wanted.face_restoration
    if faces is not None:
        _check_faces(faces)
    return sub_model(
        Extras,
        "extras",
        upscale=_upscale(wanted.upscale, catalog, pool) if wanted.upscale is not None else None,
        gfpgan_visibility=faces.gfpgan_visibility if faces else 0.0,
        codeformer_visibility=faces.codeformer_visibility if faces else 0.0,
        codeformer_weight=faces.codeformer_weight if faces else 0.0,
    )


def _upscale(wanted: parts.Upscale, catalog: Catalog, pool: Pool) -> Upscale:
    sized = wanted.width is not None or wanted.height is not None
    if sized and (wanted.width is None or wanted.height is None):
        missing = "height" if wanted.height is None else "width"
        raise InvalidRequest.field(f"extras.upscale.{missing}", "give both width and height (or neither)")
    if sized and "scale" in wanted.model_fields_set:
        raise InvalidRequest.field("extras.upscale.scale", "give either scale or width / height, not both")
    if not sized and "crop" in wanted.model_fields_set:
        raise InvalidRequest.field("extras.upscale.crop", "crop applies only with width and height")
    if (wanted.upscaler_2 is None) != (wanted.upscaler_2_visibility == 0):
        raise InvalidRequest.field(
            "extras.upscale.upscaler_2_visibility", "upscaler_2 needs a visibility above 0, and the reverse"
        )
    return sub_model(
        Upscale,
        "extras.upscale",
        scale=wanted.scale,
        width=wanted.width,
        height=wanted.height,
        crop=wanted.crop,
        upscaler=wanted.upscaler or default_upscaler(catalog, pool),
        upscaler_2=wanted.upscaler_2 or NONE_UPSCALER,
        upscaler_2_visibility=wanted.upscaler_2_visibility,
    )


def _check_faces(faces: parts.FaceRestoration) -> None:
    path = "extras.face_restoration"
    if faces.gfpgan_visibility == 0 and faces.codeformer_visibility == 0:
        raise InvalidRequest.field(path, "set gfpgan_visibility or codeformer_visibility above 0")
    if faces.codeformer_visibility == 0 and "codeformer_weight" in faces.model_fields_set:
        raise InvalidRequest.field(f"{path}.codeformer_weight", "needs a codeformer_visibility above 0")


def loras(wanted: list[parts.Lora]) -> tuple[LoraRequest, ...]:
    """One canonical LoRA each: `weight` on the text encoders, `unet_weight` (else `weight`) on the UNet."""
    return tuple(
        LoraRequest(lora.name, lora.weight, lora.weight if lora.unet_weight is None else lora.unet_weight)
        for lora in wanted
    )


def codeformer_weight(
    weight: float | None, restore_faces: bool, restorer: str | None, catalog: Catalog, pool: Pool
) -> dict[str, float]:
    """The job's `codeformer_weight` field, when the request sets one: only with `restore_faces` running
    CodeFormer (`restorer`, else the pool's first face restorer)."""
    if weight is None:
        return {}
    if not restore_faces:
        raise InvalidRequest.field("codeformer_weight", "applies only with restore_faces")
    name = restorer or first_of_family(catalog, pool, Family.FACE_RESTORER)
    entry = catalog.find(name) if name else None
    if entry is not None and entry.architecture != CODEFORMER:
        raise InvalidRequest.field(
            "codeformer_weight", f"applies only to CodeFormer; restore_faces runs {entry.name}"
        )
    return {"codeformer_weight": weight}
