"""The native API (`/v1/...`): clean JSON mirroring the canonical job.

- `POST /v1/jobs` → 202 with the job view; `GET /v1/jobs/{id}` (`?base64=true` for inline images);
  `DELETE /v1/jobs/{id}` cancels (200, the job view; a finished job is returned unchanged).
- Image inputs (`init_images[i]`, `mask.image`, `controlnet[i].image`) may be base64 (data: URLs accepted),
  an https URL (fetched through the SSRF guard) or an upload reference from `POST /v1/uploads`.
- Errors: `{"error": {"type", "message", "fields": [{"field", "reason"}]}}`; 422 for a body that does not
  match the schema, 400 for a request the deployment cannot run, then 401/404/409/410/413/503.

Modules: `models` (request and response models), `submit` (request → job), `answers` (record → job view,
listings, webhook body), `errors` (error bodies).
"""

from sdapi.dialects.native.answers import answer, job_view, load_view, models_view, webhook_body
from sdapi.dialects.native.errors import error_body, validation_body
from sdapi.dialects.native.models import JobRequest, JobView, Progress, UploadRequest, UploadView
from sdapi.dialects.native.submit import image_inputs, to_caller_path, to_job

__all__ = [
    "JobRequest",
    "JobView",
    "Progress",
    "UploadRequest",
    "UploadView",
    "answer",
    "error_body",
    "image_inputs",
    "job_view",
    "load_view",
    "models_view",
    "to_caller_path",
    "to_job",
    "validation_body",
    "webhook_body",
]
