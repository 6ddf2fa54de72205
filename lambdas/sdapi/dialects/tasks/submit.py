"""Task → canonical job: the URL inputs to fetch first (through the SSRF guard), then the A1111 payload with
those inputs inlined, on the pool and checkpoint the `runtime` names. An `extra-single-image` task carries
A1111's extras request (`image`, or `alwayson_scripts.image_link` downloaded into it, as the SD-on-EKS queue
agent does) and becomes an `extras` job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdapi.dialects.a1111 import extras
from sdapi.dialects.a1111.models import ExtrasSingleImageRequest, Img2ImgRequest, Txt2ImgRequest
from sdapi.dialects.a1111.payload import Routing, payload_to_job
from sdapi.dialects.common import SubmitContext, is_url, parse
from sdapi.dialects.tasks.models import TaskSubmit
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog
from sdapi.schema.job import Dialect, Job, Task
from sdapi.schema.layout import TASKS_ROOT

ROUTING_SCRIPT_KEYS = ("task", "id_task", "uid", "sd_model_checkpoint", "image_link", "save_dir")
"""`alwayson_scripts` keys that route the task (the SD-on-EKS queue agent removes them before calling A1111,
`ALWAYSON_SCRIPTS_EXCLUDE_KEYS`); `sd_vae` and `override_settings` there are merged into the payload's
`override_settings`, as the agent does."""


def url_inputs(submit: TaskSubmit) -> dict[str, str]:
    """Return the URL inputs to fetch through the guard before `to_job`: caller path → URL."""
    content, prefix = submit.content, submit.content_prefix
    found: dict[str, str] = {}
    scripts = content.get("alwayson_scripts") if isinstance(content.get("alwayson_scripts"), dict) else {}
    link = scripts.get("image_link")
    if link:
        if not is_url(link):
            raise InvalidRequest.field(f"{prefix}alwayson_scripts.image_link", "must be an https URL")
        if submit.task not in (Task.IMG2IMG, Task.EXTRAS):
            raise InvalidRequest.field(
                f"{prefix}alwayson_scripts.image_link",
                "is only used by image-to-image and extra-single-image",
            )
        found[f"{prefix}alwayson_scripts.image_link"] = link
    for i, image in enumerate(content.get("init_images") or []):
        if is_url(image):
            found[f"{prefix}init_images[{i}]"] = image
    if is_url(content.get("image")):
        found[f"{prefix}image"] = content["image"]
    if is_url(content.get("mask")):
        found[f"{prefix}mask"] = content["mask"]
    controlnet = scripts.get("controlnet") if isinstance(scripts.get("controlnet"), dict) else {}
    for i, unit in enumerate(controlnet.get("args") or []):
        if not isinstance(unit, dict):
            continue
        for key in ("image", "image_link"):
            if is_url(unit.get(key)):
                found[f"{prefix}alwayson_scripts.controlnet.args[{i}].{key}"] = unit[key]
    return found


def to_job(submit: TaskSubmit, ctx: SubmitContext, options: Mapping[str, Any] | None = None) -> Job:
    """Return the canonical job, with the caller's stored A1111 `options` as defaults (canonical error paths:
    translate them with `path_mapper(submit)`). Fetched URL inputs arrive base64 in `ctx.images` under the
    paths `url_inputs` gave."""
    content = _inline(submit, ctx.images)
    if submit.task == Task.EXTRAS:
        return _extras_job(submit, content, ctx)
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
        root=TASKS_ROOT,
        base64=False,
        context=submit.context,
        extra_images=(ctx.images[link_key],) if link_key in ctx.images else (),
        options=options or {},
    )
    return payload_to_job(payload, ctx, routing).model_copy(update={"task_id": submit.id})


def _extras_job(submit: TaskSubmit, content: dict[str, Any], ctx: SubmitContext) -> Job:
    """An extra-single-image task: A1111's extras request, its image from `image` or `image_link`."""
    link_key = f"{submit.content_prefix}alwayson_scripts.image_link"
    if not content.get("alwayson_scripts"):
        content.pop("alwayson_scripts", None)  # only routing keys were there
    if link_key in ctx.images and not content.get("image"):
        content["image"] = ctx.images[link_key]
    request = parse(ExtrasSingleImageRequest, content, submit.content_prefix)
    pool_name, _ = _runtime(ctx.catalog, submit.runtime)
    job = extras.extras_to_job(
        request,
        ctx,
        dialect=Dialect.TASKS,
        pool_name=pool_name,
        base64=False,
        folder=submit.prefix,
        root=TASKS_ROOT,
        context=submit.context,
    )
    return job.model_copy(update={"task_id": submit.id})


def _inline(submit: TaskSubmit, images: Mapping[str, str]) -> dict[str, Any]:
    content = dict(submit.content)
    prefix = submit.content_prefix
    if content.get("init_images"):
        content["init_images"] = [
            images.get(f"{prefix}init_images[{i}]", value) for i, value in enumerate(content["init_images"])
        ]
    if f"{prefix}mask" in images:
        content["mask"] = images[f"{prefix}mask"]
    if f"{prefix}image" in images:
        content["image"] = images[f"{prefix}image"]
    scripts = content.get("alwayson_scripts")
    if not isinstance(scripts, dict):
        return content
    scripts = {k: v for k, v in scripts.items() if k not in ROUTING_SCRIPT_KEYS}
    overrides = {
        **(content.get("override_settings") or {}),
        **({"sd_vae": scripts.pop("sd_vae")} if "sd_vae" in scripts else {}),
        **(scripts.pop("override_settings", None) or {}),
    }
    if overrides:
        content["override_settings"] = overrides
    if isinstance(scripts.get("controlnet"), dict):
        args = []
        for i, unit in enumerate(scripts["controlnet"].get("args") or []):
            args.append(_inline_unit(unit, images, f"{prefix}alwayson_scripts.controlnet.args[{i}]."))
        scripts["controlnet"] = {**scripts["controlnet"], "args": args}
    content["alwayson_scripts"] = scripts
    return content


def _inline_unit(unit: Any, images: Mapping[str, str], path: str) -> Any:
    """A ControlNet unit with its fetched image inlined (`image_link`, the queue agent's name, or a URL in
    `image`)."""
    if not isinstance(unit, dict):
        return unit
    unit = dict(unit)
    link = unit.pop("image_link", None)
    for key in ("image", "image_link"):
        if f"{path}{key}" in images:
            unit["image"] = images[f"{path}{key}"]
    if link is not None and f"{path}image_link" not in images:
        unit["image_link"] = link  # not a URL: the unit model refuses it by name
    return unit


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
