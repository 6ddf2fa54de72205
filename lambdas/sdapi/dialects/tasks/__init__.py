"""The "SD on EKS" task format (seed 004): `POST /v1alpha2` and `POST /v1alpha1`.

Decisions:
- The caller chooses the id (`metadata.id` / `alwayson_scripts.id_task`), scoped to its owner: the job is
  stored under `sdapi.ids.scoped_id(owner, id)`, so two owners may use the same id and another owner's id
  is indistinguishable from a free one; the same owner reusing an id gets a 409. Answers and webhooks
  carry the caller's id; `GET /v1alpha2/{id}` takes it too.
- `runtime` (v1alpha2) picks the pool: a pool name, else the pool holding the checkpoint of that name, else
  the default pool. The checkpoint is `override_settings.sd_model_checkpoint` (v1alpha1:
  `alwayson_scripts.sd_model_checkpoint`), else the runtime's checkpoint, else the pool's default.
- URL inputs fetched through the SSRF guard before `to_job`: `alwayson_scripts.image_link` (becomes the
  first init image; image-to-image only), and URL values of `init_images[i]`, `mask` and ControlNet unit
  `image`s. Other strings are never fetched.
- `prefix` → outputs under `{prefix}/{scoped id}/` from the bucket's root (`{scoped id}/` without one), as
  the SD-on-EKS queue agent writes them; `output_location` = `s3://{bucket}/{prefix}/{scoped id}`. The scoped
  id is the caller's id and a short owner hash, so two keys choosing the same id never share a folder. A
  prefix under a folder the deployment keeps for itself (`inputs`, `uploads`, `models`, `async-*`) is a 400.
- Answer 200: v1alpha2 `{"id_task", "id", "runtime", "output_location"}`, v1alpha1 `{"id_task",
  "sd_model_checkpoint", "output_location"}`. `GET /v1alpha2/{id}` (and `/v1alpha1/{id}`) answer the
  notification shape `{id, status, result, image_url, output_url, context}` (+ `error`); `result` is null
  while the job runs.
- When a task ends, the queue agent's callback `{id, result, image_url, output_url, context}` is published
  on the events topic (message attribute `type` = `task.callback`), and the `.out` document its
  `output_url` names is written beside the images (`answers.callback`).
- Errors: `{"error": {"type", "message", "fields": [{"field", "reason"}]}}` (the native shape), paths in the
  caller's body (`task.content.width`, `task.metadata.id`, `alwayson_scripts.image_link`).

Modules: `models` (request models, `TaskSubmit`), `request` (either version → `TaskSubmit`, id and prefix
rules), `submit` (URL inputs, task → job), `paths` (field paths), `answers` (record → every answer, webhook
body), `errors` (error bodies). The payload is A1111's (`sdapi.dialects.a1111.payload`).
"""

from sdapi.dialects.tasks.answers import (
    CALLBACK_TYPE,
    Callback,
    callback,
    status_body,
    submit_body,
    webhook_body,
)
from sdapi.dialects.tasks.errors import error_body, validation_body
from sdapi.dialects.tasks.models import TaskMetadata, TaskSpec, TaskSubmit, V1Alpha2Request
from sdapi.dialects.tasks.paths import path_mapper
from sdapi.dialects.tasks.request import TASK_TYPES, check, from_v1alpha1, from_v1alpha2, output_prefix
from sdapi.dialects.tasks.submit import to_job, url_inputs

__all__ = [
    "CALLBACK_TYPE",
    "TASK_TYPES",
    "Callback",
    "TaskMetadata",
    "TaskSpec",
    "TaskSubmit",
    "V1Alpha2Request",
    "callback",
    "check",
    "error_body",
    "from_v1alpha1",
    "from_v1alpha2",
    "output_prefix",
    "path_mapper",
    "status_body",
    "submit_body",
    "to_job",
    "url_inputs",
    "validation_body",
    "webhook_body",
]
