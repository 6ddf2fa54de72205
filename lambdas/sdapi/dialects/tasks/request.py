"""Either task version → `TaskSubmit`, and the id and prefix rules (in the caller's paths)."""

from __future__ import annotations

import re
from typing import Any

from sdapi.dialects.common import output_prefix as job_output_prefix
from sdapi.dialects.tasks.models import TaskSubmit, V1Alpha2Request
from sdapi.errors import InvalidRequest
from sdapi.ids import is_valid
from sdapi.schema.job import Task
from sdapi.schema.layout import TASKS_ROOT, key_problem

TASK_TYPES = {
    "text-to-image": Task.TXT2IMG,
    "image-to-image": Task.IMG2IMG,
    "extra-single-image": Task.EXTRAS,
}
"""`tasktype` (v1alpha2) / `alwayson_scripts.task` (v1alpha1) → the task it runs."""

_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_MAX_PREFIX = 512


def from_v1alpha2(request: V1Alpha2Request) -> TaskSubmit:
    """Return what a v1alpha2 body asks for (routing in `task.metadata`, the payload in `task.content`)."""
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
    """Return what a v1alpha1 body asks for (an A1111 payload with routing in `alwayson_scripts`)."""
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
    """Refuse an invalid task id or output prefix (400 naming the caller's field)."""
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
        problem = key_problem(f"{cleaned}/") if cleaned else None
        if problem:
            raise InvalidRequest.field("task.metadata.prefix", problem)


def output_prefix(submit: TaskSubmit, job_id: str) -> str:
    """Return where the task's images go, as the queue agent puts them: `{prefix}/{job_id}/` (or
    `{job_id}/` without a prefix) from the bucket's root, `job_id` being the owner-scoped id (two owners'
    images never share a folder)."""
    return job_output_prefix(job_id, submit.prefix, root=TASKS_ROOT)
