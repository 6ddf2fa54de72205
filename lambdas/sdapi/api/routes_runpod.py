"""RunPod routes (`/v2/{endpoint}/...`); `{endpoint}` is a model pool (see `sdapi.dialects.runpod`).

`/run` answers 200 `{"id", "status": "IN_QUEUE"}`; `/runsync` waits `?wait=` ms (at most
`SDAPI_SYNC_WAIT_S`) and answers the `/status` body (200, whatever the state); `/cancel` answers the
`/status` body of the job afterwards; `/retry` (FAILED/TIMED_OUT only, else 409) `{"id", "status":
"IN_QUEUE"}`; `/purge-queue` cancels the caller's queued jobs on the pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.request import Request

from sdapi.api import a1111_actions, jobs
from sdapi.api.deps import Deps, Wired
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.auth import Principal
from sdapi.dialects import runpod
from sdapi.dialects.common import caller_paths, prefixed
from sdapi.errors import NotFound
from sdapi.ids import new_id
from sdapi.records import JobRecord

router = Router()
TAGS = ["RunPod"]
_STATUS_DOC = {200: doc("The job's status; `output` once COMPLETED.", runpod.RunPodStatus)}
MS_PER_S = 1000


def _pool(deps: Deps, endpoint: str) -> str:
    if deps.settings.catalog.pool(endpoint) is None:
        raise NotFound(f"endpoint {endpoint} not found")
    return endpoint


def _job(deps: Deps, endpoint: str, job_id: str, caller: Principal) -> JobRecord:
    pool = _pool(deps, endpoint)
    record = deps.service.get(job_id, caller.owner)
    if record.pool != pool:
        raise NotFound(f"job {job_id} not found on endpoint {endpoint}")
    return record


@router.post(
    "/v2/<endpoint>/run",
    tags=TAGS,
    summary="Queue a job",
    responses={200: doc("Queued: {id, status: IN_QUEUE}.", runpod.RunPodStatus)},
)
def run(endpoint: str, body: runpod.RunPodRequest, caller: Caller, deps: Wired, request: Request):
    result = _start(deps, request, endpoint, body, caller)
    if isinstance(result, dict):
        return reply(200, result)
    return reply(200, runpod.run_body(result))


@router.post(
    "/v2/<endpoint>/runsync", tags=TAGS, summary="Queue a job and wait for it", responses=_STATUS_DOC
)
def runsync(
    endpoint: str,
    body: runpod.RunPodRequest,
    caller: Caller,
    deps: Wired,
    request: Request,
    wait: Annotated[
        int | None, Query(ge=0, description="Milliseconds to wait (capped by the deployment).")
    ] = None,
):
    result = _start(deps, request, endpoint, body, caller)
    if isinstance(result, dict):
        return reply(200, result)
    asked = None if wait is None else wait / MS_PER_S
    record = deps.service.wait(result.id, caller.owner, jobs.sync_wait_s(deps, request, asked))
    return reply(200, runpod.answer(record, jobs.ServiceOutputs(deps)))


def _start(
    deps: Deps, request: Request, endpoint: str, body: runpod.RunPodRequest, caller: Principal
) -> JobRecord | dict[str, Any]:
    pool = _pool(deps, endpoint)
    call = runpod.parse_input(body)
    if call.payload is None:
        if call.action:
            with caller_paths(prefixed(call.prefix)):
                output = a1111_actions.run(deps, caller, call.method, call.route, call.body, pool)
        else:
            output = runpod.listing(call.route, deps.settings.catalog)
        return runpod.listing_body(f"{runpod.LISTING_ID_PREFIX}{new_id()}", output)
    options = a1111_actions.key_options(deps, caller)
    return jobs.submit(
        deps,
        lambda ctx: runpod.to_job(body, call, pool, ctx, options),
        caller,
        runpod.path_mapper(call.prefix, call.route),
        idempotency_key=jobs.idempotency_key(request),
    )


@router.get("/v2/<endpoint>/status/<job_id>", tags=TAGS, summary="Job status", responses=_STATUS_DOC)
def job_status(endpoint: str, job_id: str, caller: Caller, deps: Wired):
    return reply(200, runpod.answer(_job(deps, endpoint, job_id, caller), jobs.ServiceOutputs(deps)))


@router.post("/v2/<endpoint>/cancel/<job_id>", tags=TAGS, summary="Cancel a job", responses=_STATUS_DOC)
def cancel(endpoint: str, job_id: str, caller: Caller, deps: Wired):
    _job(deps, endpoint, job_id, caller)
    record = deps.service.cancel(job_id, caller.owner)
    return reply(200, runpod.answer(record, jobs.ServiceOutputs(deps)))


@router.post(
    "/v2/<endpoint>/retry/<job_id>",
    tags=TAGS,
    summary="Re-run a FAILED or TIMED_OUT job",
    responses=_STATUS_DOC,
)
def retry(endpoint: str, job_id: str, caller: Caller, deps: Wired):
    _job(deps, endpoint, job_id, caller)
    return reply(200, runpod.run_body(deps.service.retry(job_id, caller.owner)))


@router.post("/v2/<endpoint>/purge-queue", tags=TAGS, summary="Cancel all your queued jobs on this endpoint")
def purge_queue(endpoint: str, caller: Caller, deps: Wired):
    removed = deps.service.purge_queue(caller.owner, _pool(deps, endpoint))
    return reply(200, runpod.purge_body(removed))


@router.get("/v2/<endpoint>/health", tags=TAGS, summary="Queue counters and workers")
def health(endpoint: str, caller: Caller, deps: Wired):
    pool = _pool(deps, endpoint)
    return reply(200, runpod.health_body(deps.service.load(pool), pool))
