"""A1111's extras (`POST /sdapi/v1/extra-single-image`, `/extra-batch-images`) → an `extras` job, and the
finished job → `{html_info, image}` / `{html_info, images}`.

As A1111's `run_extras`: upscale enabled, `upscaler_1` "None" upscales nothing; `upscaler_2` counts only with
a visibility above 0; GFPGAN / CodeFormer run when their visibility is above 0. `show_extras_results: false`
is refused (A1111 would then return nothing; this API always returns the images it stored).
`upscale_first` is accepted and ignored, as in A1111 ≥ 1.6.
"""

from __future__ import annotations

import html
from typing import Any

from sdapi.dialects.a1111.models import ExtrasBaseRequest, ExtrasBatchImagesRequest, ExtrasSingleImageRequest
from sdapi.dialects.common import SubmitContext, build_job, strip_data_url, sub_model
from sdapi.errors import InvalidRequest
from sdapi.records import JobRecord
from sdapi.schema.catalog import Catalog, Family
from sdapi.schema.job import Dialect, Extras, Job, Task, Timeouts, Upscale, Webhook
from sdapi.schema.layout import OUTPUTS_ROOT

BATCH_KEY = "imageList"
"""The `parameters` echo of a batch request keeps this key (its images nulled): the answer's shape."""

PATHS = {
    "extras.upscale.scale": "upscaling_resize",
    "extras.upscale.width": "upscaling_resize_w",
    "extras.upscale.height": "upscaling_resize_h",
    "extras.upscale.crop": "upscaling_crop",
    "extras.upscale.upscaler": "upscaler_1",
    "extras.upscale.upscaler_2": "upscaler_2",
    "extras.upscale.upscaler_2_visibility": "extras_upscaler_2_visibility",
    "extras.gfpgan_visibility": "gfpgan_visibility",
    "extras.codeformer_visibility": "codeformer_visibility",
    "extras.codeformer_weight": "codeformer_weight",
}
"""Canonical job paths → the extras request's fields."""


def to_caller_path(path: str, images_key: str = "image") -> str:
    """The extras request's field for a canonical job path (`init_images[i]` → `image` or
    `imageList[i].data`)."""
    if path.startswith("init_images["):
        index = path[len("init_images[") : path.index("]")]
        return "image" if images_key == "image" else f"{BATCH_KEY}[{index}].data"
    return PATHS.get(path, path)


def extras(request: ExtrasBaseRequest) -> Extras:
    """The postprocessing the request asks for, as the canonical `Extras`."""
    scale_to = request.resize_mode == 1
    upscale = sub_model(
        Upscale,
        "extras.upscale",
        scale=request.upscaling_resize,
        width=request.upscaling_resize_w if scale_to else None,
        height=request.upscaling_resize_h if scale_to else None,
        crop=request.upscaling_crop,
        upscaler=request.upscaler_1,
        upscaler_2=request.upscaler_2,
        upscaler_2_visibility=request.extras_upscaler_2_visibility,
    )
    return sub_model(
        Extras,
        "extras",
        upscale=upscale,
        gfpgan_visibility=request.gfpgan_visibility,
        codeformer_visibility=request.codeformer_visibility,
        codeformer_weight=request.codeformer_weight,
    )


def extras_to_job(
    request: ExtrasSingleImageRequest | ExtrasBatchImagesRequest,
    ctx: SubmitContext,
    *,
    dialect: Dialect = Dialect.A1111,
    pool_name: str | None = None,
    base64: bool = True,
    folder: str | None = None,
    root: str = OUTPUTS_ROOT,
    webhook: Webhook | None = None,
    timeouts: Timeouts | None = None,
    context: Any = None,
    extra_images: tuple[str, ...] = (),
) -> Job:
    """The `extras` job for an extras request (canonical error paths: `to_caller_path` names the caller's)."""
    if not request.show_extras_results:
        raise InvalidRequest.field("show_extras_results", "must be true (the processed images are returned)")
    if isinstance(request, ExtrasBatchImagesRequest):
        images = [strip_data_url(item.data) for item in request.imageList]
    else:
        images = [strip_data_url(request.image)] if request.image else []
    images += list(extra_images)
    if not images:
        field = BATCH_KEY if isinstance(request, ExtrasBatchImagesRequest) else "image"
        raise InvalidRequest.field(field, "needs at least one image")
    wanted = extras(request)
    pool = _pool(ctx.catalog, wanted, pool_name)
    return build_job(
        ctx,
        base64=base64,
        folder=folder,
        root=root,
        dialect=dialect,
        pool=pool,
        task=Task.EXTRAS,
        model=_checkpoint(ctx.catalog, pool),
        seed=0,
        init_images=tuple(images),
        extras=wanted,
        webhook=webhook,
        timeouts=timeouts or Timeouts(),
        context=context,
        request=parameters_echo(request),
    )


def _named_models(catalog: Catalog, wanted: Extras) -> set[str]:
    names = set()
    if wanted.upscale is not None:
        for name in (wanted.upscale.upscaler, wanted.upscale.upscaler_2):
            entry = catalog.find(name)
            if entry is not None and entry.family == Family.UPSCALER:
                names.add(entry.name)
    for architecture, visibility in (
        ("GFPGAN", wanted.gfpgan_visibility),
        ("CodeFormer", wanted.codeformer_visibility),
    ):
        if visibility > 0:
            found = [
                e
                for e in catalog.models
                if e.family == Family.FACE_RESTORER and e.architecture == architecture
            ]
            names.update(e.name for e in found[:1])
    return names


def _pool(catalog: Catalog, wanted: Extras, pool_name: str | None) -> str:
    """The pool that serves every model the extras name: the named pool, else the default pool when it
    does, else the first that does (else the default pool, which then refuses them by name)."""
    if pool_name:
        return pool_name
    names = _named_models(catalog, wanted)
    ordered = sorted(catalog.pools, key=lambda p: p.name != catalog.default_pool)
    return next((p.name for p in ordered if names <= set(p.models)), catalog.default_pool)


def _checkpoint(catalog: Catalog, pool_name: str) -> str:
    """The job's checkpoint field: the pool's default (an extras job loads no checkpoint)."""
    pool = catalog.pool(pool_name)
    return pool.default_model if pool else ""


def parameters_echo(request: ExtrasBaseRequest) -> dict[str, Any]:
    """The request with defaults filled and images nulled (the job's `request`)."""
    data = request.model_dump(mode="json", exclude=set(request.model_extra or {}))
    if "image" in data:
        data["image"] = None
    if BATCH_KEY in data:
        data[BATCH_KEY] = [{"data": None, "name": item.get("name", "")} for item in data[BATCH_KEY]]
    return data


def html_info(infotext: str) -> str:
    """A1111's `plaintext_to_html` of the postprocessing infotext."""
    return "<p>" + "<br>\n".join(html.escape(line) for line in infotext.split("\n")) + "</p>"


def response_body(record: JobRecord, images: list[str]) -> dict[str, Any]:
    """`{html_info, image}` (single) or `{html_info, images}` (batch) for a finished extras job."""
    info = html_info(record.info or "")
    if BATCH_KEY in (record.request or {}):
        return {"html_info": info, "images": images}
    return {"html_info": info, "image": images[0] if images else ""}
