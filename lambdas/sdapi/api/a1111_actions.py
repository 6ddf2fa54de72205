"""The A1111 calls that are not generations or plain listings, answered the same way by the A1111 routes and
by RunPod's worker calls (`{"api": {"method", "endpoint"}, "payload"}`), always scoped to the caller's key:

- `POST options`: store the key's options (`sdapi.dialects.a1111.options`); `GET options` shows them;
- `POST interrupt` / `POST skip`: recorded on the caller's running job (`JobService.interrupt`), as A1111's
  `state.interrupt()` / `state.skip()`: the worker ends the denoising at its next progress write, decodes
  the latents it has and keeps them with the images made before; after an interrupt no further batch
  iteration (`n_iter`) runs, after a skip the next one does (in an extras batch, a skip drops the image
  being made and an interrupt keeps it and runs no further one). The job completes, and the caller gets its
  images so far as a normal answer (the native API's cancel is what stops a job without a result);
- `GET progress`: the caller's current job (or `id_task`), in A1111's progress shape;
- `POST png-info`: the infotext of a PNG (`sdapi.dialects.a1111.infotext`);
- `POST refresh-checkpoints`: the catalog comes from the deployment's configuration, read at each cold start:
  there is nothing to rescan, and A1111's answer (null) is given.
"""

from __future__ import annotations

import time
from typing import Any

from sdapi.api.deps import Deps
from sdapi.auth import Principal
from sdapi.dialects import a1111
from sdapi.dialects.a1111 import infotext, options
from sdapi.errors import InvalidRequest
from sdapi.images import decode_base64

ACTIONS = {
    ("POST", "options"),
    ("GET", "options"),
    ("POST", "interrupt"),
    ("POST", "skip"),
    ("GET", "progress"),
    ("POST", "png-info"),
    ("POST", "refresh-checkpoints"),
}
"""(method, route) of the calls `run` answers."""


def key_options(deps: Deps, caller: Principal) -> dict[str, Any]:
    """The caller's stored A1111 options."""
    return deps.service.key_options(caller.key_id)


def options_body(deps: Deps, caller: Principal) -> dict[str, Any]:
    """`GET options`: the defaults a request of this key gets."""
    catalog = deps.settings.catalog
    return options.options_with(a1111.options_listing(catalog), key_options(deps, caller), catalog)


def set_options(deps: Deps, caller: Principal, body: Any) -> None:
    """`POST options`: check and store the key's options (A1111 answers null)."""
    deps.service.set_key_options(caller.key_id, options.check_options(body, deps.settings.catalog))


def progress(
    deps: Deps,
    caller: Principal,
    id_task: str | None = None,
    pool: str | None = None,
    *,
    skip_current_image: bool = False,
) -> dict[str, Any]:
    """`GET progress`: the job `id_task`, else the caller's current job, else the idle answer (its live
    preview left out with `skip_current_image`)."""
    now = time.time()
    if id_task:
        record = deps.service.get(id_task, caller.owner)
        return a1111.progress_body(record, now, skip_current_image=skip_current_image)
    active = deps.service.active_jobs(caller.owner, pool)
    current = deps.service.latest_active(caller.owner, pool) if active else None
    return a1111.progress_body(current, now, job_count=len(active), skip_current_image=skip_current_image)


def png_info(deps: Deps, body: Any) -> dict[str, Any]:
    """`POST png-info`: `{info, items, parameters}` of the PNG in `body.image`."""
    image = body.get("image") if isinstance(body, dict) else None
    if not isinstance(image, str) or not image.strip():
        raise InvalidRequest.field("image", "a base64 PNG is required")
    data = decode_base64(image, "image", deps.settings.limits)
    try:
        return infotext.png_info_body(data)
    except OSError as error:
        raise InvalidRequest.field("image", f"not a readable image: {error}") from error


def run(deps: Deps, caller: Principal, method: str, route: str, body: Any, pool: str | None = None) -> Any:
    """Answer one of `ACTIONS` (RunPod's worker calls go through here; `pool` scopes interrupt/progress to
    the RunPod endpoint)."""
    if (method, route) == ("GET", "options"):
        return options_body(deps, caller)
    if (method, route) == ("POST", "options"):
        set_options(deps, caller, body)
        return None
    if route in ("interrupt", "skip"):
        deps.service.interrupt(caller.owner, pool, skip=route == "skip")
        return {}
    if route == "progress":
        query = body if isinstance(body, dict) else {}
        skip = query.get("skip_current_image") in (True, "true", "True", "1")
        return progress(deps, caller, query.get("id_task"), pool, skip_current_image=skip)
    if route == "png-info":
        return png_info(deps, body)
    return None  # refresh-checkpoints
