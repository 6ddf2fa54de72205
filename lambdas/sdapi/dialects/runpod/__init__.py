"""RunPod serverless queue API (`/v2/{endpoint}/...`), as spoken by A1111 workers (seeds 000-002).

Decisions:
- `{endpoint}` is the model pool's name; an unknown one is a 404.
- Both input shapes are accepted: `{"input": <A1111 payload>}` (txt2img, or img2img when `init_images` is
  present; errors name `input.<field>`) and the community worker's `{"input": {"api": {"method",
  "endpoint"}, "payload": {...}}}` (errors name `input.payload.<field>`).
- Allow-list: POST txt2img and img2img run as jobs, and so do POST extra-single-image and
  extra-batch-images (extras jobs on this endpoint's pool; `output` is A1111's `{html_info, image}` /
  `{html_info, images}`; errors name `input.payload.image`, `input.payload.imageList[i].data`, …). GET
  listings (samplers, schedulers, sd-models, sd-vae, upscalers, face-restorers, embeddings, loras,
  prompt-styles, scripts, extensions, cmd-flags, hypernetworks, memory) and the other A1111 calls (GET/POST
  options, GET progress, POST interrupt, skip, png-info, refresh-checkpoints; for the caller's key,
  interrupt/progress on this endpoint) are answered at once, by `/run` and `/runsync` alike, as a COMPLETED
  body with a `listing-…` id and the answer as `output` (no job is stored, so `/status` of that id is a
  404). Anything else is a 400 naming `input.api.endpoint`.
- `policy.executionTimeout` (ms) sets the execution limit (1 s-1 h); `policy.ttl` (ms) the queue limit,
  capped at SageMaker's 6 h (RunPod's default 24 h is more than SageMaker allows).
- `webhook` gets the `/status` body of the finished job (signed, per DESIGN §7).
- Errors: `{"error": "<message>", "errors": [{"field", "reason"}]}` with the domain status (400/401/404/409/
  410/413/503); request-schema errors are 400 as well.

Modules: `models` (request and response models), `submit` (body → call, job, field paths), `answers` (record
→ every answer, webhook body), `errors` (error bodies). The payload is A1111's
(`sdapi.dialects.a1111.payload`).
"""

from sdapi.dialects.runpod.answers import (
    LISTING_ID_PREFIX,
    STATUS,
    answer,
    health_body,
    listing_body,
    purge_body,
    run_body,
    status_body,
    webhook_body,
)
from sdapi.dialects.runpod.errors import error_body, validation_body
from sdapi.dialects.runpod.models import RunPodApi, RunPodCall, RunPodPolicy, RunPodRequest, RunPodStatus
from sdapi.dialects.runpod.submit import (
    ACTIONS,
    EXTRAS,
    GENERATE,
    LISTINGS,
    MAX_TTL_MS,
    listing,
    parse_input,
    path_mapper,
    to_job,
)

__all__ = [
    "ACTIONS",
    "EXTRAS",
    "GENERATE",
    "LISTINGS",
    "LISTING_ID_PREFIX",
    "MAX_TTL_MS",
    "STATUS",
    "RunPodApi",
    "RunPodCall",
    "RunPodPolicy",
    "RunPodRequest",
    "RunPodStatus",
    "answer",
    "error_body",
    "health_body",
    "listing",
    "listing_body",
    "parse_input",
    "path_mapper",
    "purge_body",
    "run_body",
    "status_body",
    "to_job",
    "validation_body",
    "webhook_body",
]
