"""Canonical job paths → the task body's paths (`task.content.width`, `task.metadata.runtime`,
`alwayson_scripts.image_link`)."""

from __future__ import annotations

from sdapi.dialects.a1111 import extras
from sdapi.dialects.a1111.paths import to_caller_path
from sdapi.dialects.common import PathMapper, prefixed
from sdapi.dialects.tasks.models import TaskSubmit
from sdapi.schema.job import Task


def path_mapper(submit: TaskSubmit) -> PathMapper:
    """Return the mapper of canonical job paths to this task's paths (the payload under its content prefix,
    the checkpoint under `runtime` when the payload names none)."""
    prefix = submit.content_prefix
    overrides: dict[str, str] = {}
    if submit.version == "v1alpha1":
        overrides["model"] = overrides["pool"] = "alwayson_scripts.sd_model_checkpoint"
    elif not (submit.content.get("override_settings") or {}).get("sd_model_checkpoint"):
        overrides["model"] = overrides["pool"] = "metadata.runtime"
    scripts = submit.content.get("alwayson_scripts") or {}
    if submit.task == Task.EXTRAS:
        if isinstance(scripts, dict) and scripts.get("image_link") and not submit.content.get("image"):
            overrides["init_images[0]"] = "alwayson_scripts.image_link"
        inner = prefixed(prefix, lambda path: overrides.get(path) or extras.to_caller_path(path))
    else:
        if isinstance(scripts, dict) and scripts.get("image_link"):
            count = len(submit.content.get("init_images") or [])
            overrides[f"init_images[{count}]"] = "alwayson_scripts.image_link"
        inner = prefixed(prefix, lambda path: to_caller_path(path, overrides))

    def mapper(path: str) -> str:
        mapped = inner(path)
        return mapped.replace("task.content.metadata.", "task.metadata.")

    return mapper
