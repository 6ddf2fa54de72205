"""The "SD on EKS" task format (seed 004): `POST /v1alpha2` and `POST /v1alpha1`.

Decisions:
- The caller chooses the id (`metadata.id` / `alwayson_scripts.id_task`); a taken id is a 409.
- `runtime` (v1alpha2) picks the pool: a pool name, else the pool holding the checkpoint of that name, else
  the default pool. The checkpoint is `override_settings.sd_model_checkpoint` (v1alpha1:
  `alwayson_scripts.sd_model_checkpoint`), else the runtime's checkpoint, else the pool's default.
- URL inputs fetched through the SSRF guard before `to_job`: `alwayson_scripts.image_link` (becomes the
  first init image; image-to-image only), and URL values of `init_images[i]`, `mask` and ControlNet unit
  `image`s. Other strings are never fetched.
- `prefix` → outputs under `outputs/{prefix}/{id}/`; `output_location` = `s3://{bucket}/outputs/{prefix}/{id}`.
- Answer 200: v1alpha2 `{"id_task", "id", "runtime", "output_location"}`, v1alpha1 `{"id_task",
  "sd_model_checkpoint", "output_location"}`. `GET /v1alpha2/{id}` (and `/v1alpha1/{id}`) answer the
  notification shape `{id, status, result, image_url, output_url, context}` (+ `error`); `result` is null
  while the job runs.
- Errors: `{"error": {"type", "message", "fields": [{"field", "reason"}]}}` (the native shape), paths in the
  caller's body (`task.content.width`, `task.metadata.id`, `alwayson_scripts.image_link`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdapi.dialects import a1111
from sdapi.dialects.common import SubmitContext, is_url, parse, prefixed
from sdapi.errors import InvalidRequest
from sdapi.ids import is_valid
from sdapi.records import JobRecord
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog
from sdapi.schema.job import Dialect, Job, JobState, Task

TASK_TYPES = {"text-to-image": Task.TXT2IMG, "image-to-image": Task.IMG2IMG}
_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_MAX_PREFIX = 512


class TaskMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Task id chosen by the caller (letters, digits, . _ -; at most 64).")
    runtime: str = Field(description="Runtime: a pool name or a checkpoint name.")
    tasktype: Literal["text-to-image", "image-to-image"] = Field(description="What to run.")
    prefix: str | None = Field(
        default=None, description="Output folder: images land in outputs/{prefix}/{id}/."
    )
    context: Any = Field(default=None, description="Anything; echoed in the status and notification.")


class TaskSpec(BaseModel):
    metadata: TaskMetadata
    content: dict[str, Any] = Field(
        default_factory=dict,
        description="An A1111 txt2img/img2img payload; `alwayson_scripts.image_link` is downloaded.",
    )


class V1Alpha2Request(BaseModel):
    """Body of `POST /v1alpha2`."""

    task: TaskSpec


class TaskSubmit(BaseModel):
    """A task request after looking at its version: what `to_job` needs."""

    version: Literal["v1alpha1", "v1alpha2"]
    id: str
    runtime: str | None
    task: Task
    prefix: str | None
    context: Any = None
    content: dict[str, Any]
    model: str | None
    content_prefix: str
    """Where the A1111 payload sits in the caller's body (`task.content.` or "")."""


def from_v1alpha2(request: V1Alpha2Request) -> TaskSubmit:
    meta = request.task.metadata
    return TaskSubmit(
        version="v1alpha2",
        id=meta.id,
        runtime=meta.runtime,
        task=TASK_TYPES[meta.tasktype],
        prefix=meta.prefix,
        context=meta.context,
        content=request.task.content,
        model=None,
        content_prefix="task.content.",
    )


def from_v1alpha1(body: dict[str, Any]) -> TaskSubmit:
    scripts = body.get("alwayson_scripts")
    if not isinstance(scripts, dict):
        raise InvalidRequest.field("alwayson_scripts", "must hold task, id_task and sd_model_checkpoint")
    for name in ("task", "id_task", "sd_model_checkpoint"):
        if not isinstance(scripts.get(name), str) or not scripts[name].strip():
            raise InvalidRequest.field(f"alwayson_scripts.{name}", "is required")
    if scripts["task"] not in TASK_TYPES:
        raise InvalidRequest.field("alwayson_scripts.task", f"must be one of {list(TASK_TYPES)}")
    return TaskSubmit(
        version="v1alpha1",
        id=scripts["id_task"],
        runtime=None,
        task=TASK_TYPES[scripts["task"]],
        prefix=None,
        context=None,
        content=body,
        model=scripts["sd_model_checkpoint"],
        content_prefix="",
    )


def check(submit: TaskSubmit) -> None:
    """Id and prefix rules (caller paths)."""
    where = "task.metadata." if submit.version == "v1alpha2" else "alwayson_scripts."
    if not is_valid(submit.id):
        raise InvalidRequest.field(
            f"{where}{'id' if submit.version == 'v1alpha2' else 'id_task'}",
            "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    if submit.prefix is not None:
        cleaned = submit.prefix.strip("/")
        if cleaned and (not _PREFIX.match(cleaned) or {".", ".."} & set(cleaned.split("/"))):
            raise InvalidRequest.field(
                "task.metadata.prefix",
                "must be a relative folder of letters, digits, . _ - / without '.' or '..' segments",
            )
        if len(cleaned) > _MAX_PREFIX:
            raise InvalidRequest.field("task.metadata.prefix", f"must be at most {_MAX_PREFIX} characters")


def output_prefix(submit: TaskSubmit) -> str:
    cleaned = (submit.prefix or "").strip("/")
    return f"outputs/{cleaned}/{submit.id}/" if cleaned else f"outputs/{submit.id}/"


def url_inputs(submit: TaskSubmit) -> dict[str, str]:
    """URL inputs to fetch through the guard: caller path → URL."""
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
    """The canonical job (canonical error paths: translate with `path_mapper(submit)`). Fetched URL inputs
    arrive base64 in `ctx.images` under the paths `url_inputs` gave."""
    content = _inline(submit, ctx.images)
    model_class = a1111.Img2ImgRequest if submit.task == Task.IMG2IMG else a1111.Txt2ImgRequest
    payload = parse(model_class, content, submit.content_prefix)
    pool_name, runtime_model = _runtime(ctx.catalog, submit.runtime)
    overrides = payload.override_settings or {}
    model = submit.model or overrides.get("sd_model_checkpoint") or runtime_model
    link_key = f"{submit.content_prefix}alwayson_scripts.image_link"
    return a1111.payload_to_job(
        payload,
        ctx,
        dialect=Dialect.TASKS,
        task=submit.task,
        pool_name=pool_name,
        model=model,
        output_prefix=output_prefix(submit),
        base64=False,
        context=submit.context,
        extra_images=[ctx.images[link_key]] if link_key in ctx.images else None,
    )


def _inline(submit: TaskSubmit, images: dict[str, str] | Any) -> dict[str, Any]:
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


def path_mapper(submit: TaskSubmit):
    prefix = submit.content_prefix
    overrides: dict[str, str] = {}
    if submit.version == "v1alpha1":
        overrides["model"] = overrides["pool"] = "alwayson_scripts.sd_model_checkpoint"
    elif not (submit.content.get("override_settings") or {}).get("sd_model_checkpoint"):
        overrides["model"] = overrides["pool"] = "metadata.runtime"
    scripts = submit.content.get("alwayson_scripts") or {}
    if isinstance(scripts, dict) and scripts.get("image_link"):
        count = len(submit.content.get("init_images") or [])
        overrides[f"init_images[{count}]"] = "alwayson_scripts.image_link"
    inner = prefixed(prefix, lambda path: a1111.to_caller_path(path, overrides))

    def mapper(path: str) -> str:
        mapped = inner(path)
        return mapped.replace("task.content.metadata.", "task.metadata.")

    return mapper


# ------------------------------------------------------------------------------------------ answers


def submit_body(submit: TaskSubmit, record: JobRecord, bucket: str) -> dict[str, Any]:
    location = f"s3://{bucket}/{record.output_prefix.rstrip('/')}"
    if submit.version == "v1alpha1":
        return {"id_task": record.id, "sd_model_checkpoint": submit.model, "output_location": location}
    return {"id_task": record.id, "id": record.id, "runtime": submit.runtime, "output_location": location}


def status_body(record: JobRecord, bucket: str) -> dict[str, Any]:
    """The notification shape `{id, result, image_url, output_url, context}` plus `status` (and `error`)."""
    result = None if not record.terminal else record.state == JobState.COMPLETED
    body = {
        "id": record.id,
        "status": record.state.value.lower(),
        "result": result,
        "image_url": [f"s3://{bucket}/{key}" for key in record.outputs],
        "output_url": f"s3://{bucket}/{record.output_prefix.rstrip('/')}",
        "context": record.context,
    }
    if record.error:
        body["error"] = record.error
    return body
