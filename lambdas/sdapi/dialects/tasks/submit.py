"""Task → canonical job: the URL inputs to fetch first (through the SSRF guard), then the A1111 payload with
those inputs inlined, on the pool and checkpoint the `runtime` names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdapi.dialects.a1111.models import Img2ImgRequest, Txt2ImgRequest
from sdapi.dialects.a1111.payload import Routing, payload_to_job
from sdapi.dialects.common import SubmitContext, is_url, parse
from sdapi.dialects.tasks.models import TaskSubmit
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog
from sdapi.schema.job import Dialect, Job, Task


def url_inputs(submit: TaskSubmit) -> dict[str, str]:
    """Return the URL inputs to fetch through the guard before `to_job`: caller path → URL."""
    content, prefix = submit.content, submit.content_prefix
    found: dict[str, str] = {}
    scripts = content.get("alwayson_scripts") if isinstance(content.get("alwayson_scripts"), dict) else {}
    link = scripts.get("image_link")
    if link:
        if not is_url(link):
            raise InvalidRequest.field(f"{prefix}alwayson_scripts.image_link", "must be an https URL")
        if submit.task != Task.IMG2IMG:
            raise InvalidRequest.field(
                f"{prefix}alwayson_scripts.image_link", "is only used by image-to-image"
            )
        found[f"{prefix}alwayson_scripts.image_link"] = link
    for i, image in enumerate(content.get("init_images") or []):
        if is_url(image):
            found[f"{prefix}init_images[{i}]"] = image
    if is_url(content.get("mask")):
        found[f"{prefix}mask"] = content["mask"]
    controlnet = scripts.get("controlnet") if isinstance(scripts.get("controlnet"), dict) else {}
    for i, unit in enumerate(controlnet.get("args") or []):
        if isinstance(unit, dict) and is_url(unit.get("image")):
            found[f"{prefix}alwayson_scripts.controlnet.args[{i}].image"] = unit["image"]
    return found


def to_job(submit: TaskSubmit, ctx: SubmitContext) -> Job:
    """Return the canonical job (canonical error paths: translate them with `path_mapper(submit)`). Fetched
    URL inputs arrive base64 in `ctx.images` under the paths `url_inputs` gave."""
    content = _inline(submit, ctx.images)
    model_class = Img2ImgRequest if submit.task == Task.IMG2IMG else Txt2ImgRequest
    payload = parse(model_class, content, submit.content_prefix)
    pool_name, runtime_model = _runtime(ctx.catalog, submit.runtime)
    overrides = payload.override_settings or {}
    link_key = f"{submit.content_prefix}alwayson_scripts.image_link"
    routing = Routing(
        dialect=Dialect.TASKS,
        task=submit.task,
        pool_name=pool_name,
        model=submit.model or overrides.get("sd_model_checkpoint") or runtime_model,
        folder=submit.prefix,
        base64=False,
        context=submit.context,
        extra_images=(ctx.images[link_key],) if link_key in ctx.images else (),
    )
    return payload_to_job(payload, ctx, routing).model_copy(update={"task_id": submit.id})


def _inline(submit: TaskSubmit, images: Mapping[str, str]) -> dict[str, Any]:
    content = dict(submit.content)
    prefix = submit.content_prefix
    if content.get("init_images"):
        content["init_images"] = [
            images.get(f"{prefix}init_images[{i}]", value) for i, value in enumerate(content["init_images"])
        ]
    if f"{prefix}mask" in images:
        content["mask"] = images[f"{prefix}mask"]
    scripts = content.get("alwayson_scripts")
    if isinstance(scripts, dict) and isinstance(scripts.get("controlnet"), dict):
        args = []
        for i, unit in enumerate(scripts["controlnet"].get("args") or []):
            key = f"{prefix}alwayson_scripts.controlnet.args[{i}].image"
            args.append({**unit, "image": images[key]} if key in images and isinstance(unit, dict) else unit)
        content["alwayson_scripts"] = {**scripts, "controlnet": {**scripts["controlnet"], "args": args}}
    return content


def _runtime(catalog: Catalog, runtime: str | None) -> tuple[str | None, str | None]:
    """(pool name, checkpoint) a runtime names: a pool, a checkpoint's pool, or nothing (default pool)."""
    if not runtime:
        return None, None
    if catalog.pool(runtime) is not None:
        return runtime, None
    entry = catalog.find(runtime)
    if entry is not None and entry.family in CHECKPOINT_FAMILIES:
        pool = catalog.pool_for_model(entry.name)
        return (pool.name if pool else None), entry.name
    return None, None
