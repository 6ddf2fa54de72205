"""AUTOMATIC1111 web UI API (`/sdapi/v1/...`): request models, request → `Job`, record → response, errors.

The A1111 payload is also what RunPod workers and SD-on-EKS tasks carry: those dialects use the public
modules `payload` (`payload_to_job`, `Routing`) and `paths` (`to_caller_path`).

Decisions (where A1111 and the seeds leave room):
- Defaults follow the community RunPod worker's schema the seeds come from: `sampler_name` "Euler a",
  `steps` 20; everything else as upstream (cfg 7, 512x512, denoising 0.75 for img2img, ...).
- Sampler/schedule: as A1111's `get_sampler_and_scheduler`, a schedule word at the end of the sampler name
  ("DPM++ SDE Karras") wins over the `scheduler` field; otherwise `scheduler`; otherwise `automatic` (the
  sampler's own default). Unknown names are a 400 (A1111 silently falls back).
- ControlNet units without `enabled` are applied (the seeds omit it); `enabled: false` units are dropped.
  Canny thresholds outside 1-255 (and ControlNet's -1 "unset") fall back to the defaults 100/200 as
  sd-webui-controlnet does; `processor_res` -1 means 512 (`controlnet`).
- Hires fix (`enable_hr` and the `hr_*` fields) runs as A1111's (`payload`); the extras routes run A1111's
  postprocessing as `extras` jobs (`extras`).
- The safety checker runs with `override_settings.filter_nsfw: true` (or the key's stored option), the
  option of AUTOMATIC1111's nsfw-censor extension; a flagged image comes back black, and, as with that
  extension, nothing in the answer flags it: A1111's answer (`images`, `parameters`, `info`) has no field
  for it, so none is invented, and RunPod's `output` and the SD-on-EKS task answers, which carry A1111's
  body or the queue agent's fixed callback, carry none either. The native API (`nsfw`) and v3
  (`nsfw_content_detected`) have the flag.
- Features this deployment does not have are refused with a 400 naming the field: `tiling`, `script_name`
  (scripts), `firstphase_width/height` (deprecated).
- `parameters` echoes the request with defaults filled, images nulled and `override_settings` null, with
  the combined sampler display name ("DPM++ SDE Karras"), exactly as the seeds show.
- A1111's options are server-wide; here `POST /sdapi/v1/options` stores the calling key's own (`options`),
  the defaults of its later requests under each request's `override_settings`. `interrupt` and `skip`
  cancel the caller's current job (A1111's skip moves on to the batch's next image; one job here is one
  invocation). `progress` without `id_task` is the caller's current job; `current_image` is its live
  preview (A1111's "Approx cheap" projection, stored by the worker with the progress at most once a
  second). `png-info` parses the infotext as A1111's `parse_generation_parameters` does (`infotext`).

Modules: `models` (request and response models), `payload` (payload → job, `parameters` echo), `extras`
(extras request → job, answer), `controlnet`
(ControlNet units), `overrides` (`override_settings`, key by key), `options` (a key's stored options),
`infotext` (png-info), `paths` (field paths), `answers` (record → synchronous answer, progress), `errors`
(error bodies), `listings` (samplers, models, options, sd-webui-controlnet's lists, ...).
"""

from sdapi.dialects.a1111 import extras
from sdapi.dialects.a1111.answers import answer, pending_body, progress_body, response_body
from sdapi.dialects.a1111.errors import error_body, job_ended_body, validation_body
from sdapi.dialects.a1111.listings import (
    CONTROLNET_LISTINGS,
    LISTINGS,
    face_restorers_listing,
    listing,
    options_listing,
    samplers_listing,
    schedulers_listing,
    sd_models_listing,
    sd_vae_listing,
    upscalers_listing,
)
from sdapi.dialects.a1111.models import (
    A1111Pending,
    A1111Progress,
    A1111Request,
    A1111Response,
    ExtrasBatchImagesRequest,
    ExtrasBatchImagesResponse,
    ExtrasSingleImageRequest,
    ExtrasSingleImageResponse,
    Img2ImgRequest,
    PngInfoRequest,
    Txt2ImgRequest,
)
from sdapi.dialects.a1111.paths import to_caller_path
from sdapi.dialects.a1111.payload import Routing, parameters_echo, payload_to_job

__all__ = [
    "CONTROLNET_LISTINGS",
    "LISTINGS",
    "A1111Pending",
    "A1111Progress",
    "A1111Request",
    "A1111Response",
    "ExtrasBatchImagesRequest",
    "ExtrasBatchImagesResponse",
    "ExtrasSingleImageRequest",
    "ExtrasSingleImageResponse",
    "Img2ImgRequest",
    "PngInfoRequest",
    "Routing",
    "Txt2ImgRequest",
    "answer",
    "error_body",
    "extras",
    "face_restorers_listing",
    "job_ended_body",
    "listing",
    "options_listing",
    "parameters_echo",
    "payload_to_job",
    "pending_body",
    "progress_body",
    "response_body",
    "samplers_listing",
    "schedulers_listing",
    "sd_models_listing",
    "sd_vae_listing",
    "to_caller_path",
    "upscalers_listing",
    "validation_body",
]
