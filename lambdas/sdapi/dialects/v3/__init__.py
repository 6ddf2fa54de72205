"""stablediffusionapi.com "v3" (`/api/v3/...`, seed 003): key in the body, numbers as strings, yes/no flags.

Decisions:
- `init_image` / `mask_image` are URLs the api Lambda fetches through the SSRF guard before calling
  `to_job` (their base64 arrives in `SubmitContext.images` under those names).
- Limits from the v3 docs are enforced at the door (`width`/`height` ≤ 1024, `samples` 1-4,
  `guidance_scale` 1-20, `strength` 0-1) on top of the deployment's own limits.
- `model_id` (optional, as in v4) picks a catalog checkpoint; without it the default pool's default model.
- `safety_checker`: "yes" needs a deployed safety checker (400 otherwise); when omitted it is on if the
  pool has one. `enhance_prompt` is accepted but not performed: `meta.enhance_prompt` reports "no".
- `base64: "yes"` → `output` holds base64 PNGs instead of URLs.
- Answers: `success` when the job finishes within the short wait (settings `v3_wait_s`), else
  `processing` with `eta`, `fetch_result` and `future_links`; failed/cancelled/timed-out jobs read
  `{"status": "failed", "id", "message"}`. Errors use the v3 bodies with real HTTP statuses (400 for
  validation with `messege: {field: [reasons]}`, 401, 404, 409, 503 with `message`).

Modules: `models` (request models), `submit` (request → job, field paths), `answers` (record → every answer,
webhook body), `errors` (error bodies).
"""

from sdapi.dialects.v3.answers import (
    Waiting,
    answer,
    failed_body,
    job_number,
    processing_body,
    success_body,
    system_load_body,
    webhook_body,
)
from sdapi.dialects.v3.errors import error_body, validation_body
from sdapi.dialects.v3.models import V3KeyOnly, V3Request
from sdapi.dialects.v3.submit import KINDS, to_caller_path, to_job, url_inputs

__all__ = [
    "KINDS",
    "V3KeyOnly",
    "V3Request",
    "Waiting",
    "answer",
    "error_body",
    "failed_body",
    "job_number",
    "processing_body",
    "success_body",
    "system_load_body",
    "to_caller_path",
    "to_job",
    "url_inputs",
    "validation_body",
    "webhook_body",
]
