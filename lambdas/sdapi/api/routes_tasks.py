"""SD-on-EKS task routes (`/v1alpha2`, `/v1alpha1`; see `sdapi.dialects.tasks`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from sdapi.api import a1111_actions, jobs
from sdapi.api.deps import Deps, Wired
from sdapi.api.responses import doc, reply
from sdapi.api.security import Caller
from sdapi.auth import Principal
from sdapi.dialects import tasks
from sdapi.errors import NotFound
from sdapi.ids import scoped_id
from sdapi.records import JobRecord

router = Router()
TAGS = ["Tasks (SD on EKS)"]


@router.post(
    "/v1alpha2",
    tags=TAGS,
    summary="Submit a task",
    responses={200: doc("{id_task, id, runtime, output_location}")},
)
def submit_v1alpha2(body: tasks.V1Alpha2Request, caller: Caller, deps: Wired):
    return _submit(deps, tasks.from_v1alpha2(body), caller)


@router.post(
    "/v1alpha1",
    tags=TAGS,
    summary="Submit a task (routing fields in alwayson_scripts)",
    responses={200: doc("{id_task, sd_model_checkpoint, output_location}")},
)
def submit_v1alpha1(
    body: Annotated[
        dict[str, Any],
        Body(
            description="An A1111 payload; alwayson_scripts holds task, id_task, "
            "sd_model_checkpoint and image_link."
        ),
    ],
    caller: Caller,
    deps: Wired,
):
    return _submit(deps, tasks.from_v1alpha1(body), caller)


def _submit(deps: Deps, submit: tasks.TaskSubmit, caller: Principal) -> Response:
    tasks.check(submit)
    images = jobs.resolve_inputs(deps, tasks.url_inputs(submit), caller.owner)
    options = a1111_actions.key_options(deps, caller)
    record = jobs.submit(
        deps,
        lambda ctx: tasks.to_job(submit, ctx, options),
        caller,
        tasks.path_mapper(submit),
        images=images,
        job_id=scoped_id(caller.owner, submit.id),
    )
    return reply(200, tasks.submit_body(submit, record, deps.settings.bucket))


@router.get("/v1alpha2/<job_id>", tags=TAGS, summary="Task status (the notification shape)")
def status_v1alpha2(job_id: str, caller: Caller, deps: Wired):
    return reply(200, tasks.status_body(_task(deps, job_id, caller), deps.settings.bucket))


@router.get("/v1alpha1/<job_id>", tags=TAGS, summary="Task status (the notification shape)")
def status_v1alpha1(job_id: str, caller: Caller, deps: Wired):
    return reply(200, tasks.status_body(_task(deps, job_id, caller), deps.settings.bucket))


def _task(deps: Deps, job_id: str, caller: Principal) -> JobRecord:
    """Return the caller's task by its own id (stored owner-scoped), else the job of that id (a generated
    id, or a task stored before ids were scoped); another owner's is a 404 either way."""
    try:
        return deps.service.get(scoped_id(caller.owner, job_id), caller.owner)
    except NotFound:
        return deps.service.get(job_id, caller.owner)
