"""Deployment validation of a canonical `Job`: is it something this deployment can run?

`Job` itself checks shapes and absolute ceilings; this module checks the deployment's own catalog, pools and
limits. The model rules (families, VAE fit, refiner, ControlNet, preprocessors, restorer and safety-checker
presence) live in `sdapi.schema.model_rules`, which the GPU worker runs too. Every problem is reported as
`InvalidRequest` with `FieldProblem.field` a CANONICAL `Job` field path (`width`, `model`, `vae`,
`refiner.checkpoint`, `controlnet[0].model`, `init_images[0]`, `mask.image`, `sampler`, `scheduler`,
`webhook.url`, …); dialect adapters translate those paths to their own field names. All problems found are
reported together (the message joins them), first one first.
"""

from __future__ import annotations

from sdapi.config import Settings
from sdapi.errors import FieldProblem, InvalidRequest
from sdapi.images import check_base64_image
from sdapi.prompt_names import check_prompt_names, resolve_styles
from sdapi.schema.catalog import Catalog, Family, ModelEntry, Pool
from sdapi.schema.job import Job, Task
from sdapi.schema.model_rules import check_models
from sdapi.schema.samplers import SCHEDULES, find_sampler, schedule_key
from sdapi.schema.upscaling import extras_size, hires_target


def validate(job: Job, settings: Settings) -> None:
    """Raise InvalidRequest listing every way `job` does not fit this deployment; return None if it fits."""
    problems = _problems(job, settings)
    if problems:
        message = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        raise InvalidRequest(message, problems)


def normalize(job: Job, catalog: Catalog) -> Job:
    """The same job with catalog names instead of aliases/titles (`sdxl_vae.safetensors` → `sdxl_vae`) and
    the face restorer resolved when faces are to be restored. Call after `validate`."""

    def name(value: str | None) -> str | None:
        entry = catalog.find(value) if value else None
        return entry.name if entry else value

    updates: dict[str, object] = {"model": name(job.model), "vae": name(job.vae)}
    if job.refiner is not None:
        updates["refiner"] = job.refiner.model_copy(update={"checkpoint": name(job.refiner.checkpoint)})
    if job.hires is not None and job.hires.checkpoint:
        updates["hires"] = job.hires.model_copy(update={"checkpoint": name(job.hires.checkpoint)})
    if job.controlnet:
        updates["controlnet"] = tuple(u.model_copy(update={"model": name(u.model)}) for u in job.controlnet)
    if job.restore_faces:
        pool = catalog.pool(job.pool)
        restorers = catalog.in_pool(pool, Family.FACE_RESTORER) if pool else []
        updates["face_restorer"] = name(job.face_restorer) or (restorers[0].name if restorers else None)
    return resolve_styles(job.model_copy(update=updates), catalog)


def _problems(job: Job, settings: Settings) -> list[FieldProblem]:
    catalog, limits = settings.catalog, settings.limits
    problems: list[FieldProblem] = []
    add = lambda field, reason: problems.append(FieldProblem(field, reason))  # noqa: E731

    pool = catalog.pool(job.pool)
    if pool is None:
        add("pool", f"no model pool named {job.pool!r} (pools: {', '.join(p.name for p in catalog.pools)})")
        return problems

    # models and families: the rules the worker runs too
    choice, model_problems = check_models(job, _PoolModels(catalog, pool))
    problems += [FieldProblem(p.field, p.reason) for p in model_problems]
    if len(job.controlnet) > limits.max_controlnet_units:
        add("controlnet", f"at most {limits.max_controlnet_units} ControlNet units are allowed")
    check_prompt_names(job, catalog, pool, choice.checkpoint, add)

    # sampler and schedule (and hires fix's second pass)
    _sampler(job.sampler, job.scheduler, "", add)
    if job.hires is not None:
        _sampler(job.hires.sampler or job.sampler, job.hires.scheduler or job.scheduler, "hires.", add)
        _hires_limits(job, limits, add)

    # sizes and counts
    sides = (("width", job.width, limits.max_width), ("height", job.height, limits.max_height))
    for field, value, most in sides:
        if value % 8:
            add(field, "must be a multiple of 8")
        if value > most:
            add(field, f"must be at most {most}")
    if job.width * job.height > limits.max_pixels:
        add("width", f"width x height must be at most {limits.max_pixels} pixels")
    if job.steps > limits.max_steps:
        add("steps", f"must be at most {limits.max_steps}")
    if job.batch_size > limits.max_batch_size:
        add("batch_size", f"must be at most {limits.max_batch_size}")
    if job.image_count > limits.max_images:
        add("n_iter", f"batch_size x n_iter must be at most {limits.max_images}")
    for field, text in (("prompt", job.prompt), ("negative_prompt", job.negative_prompt)):
        if len(text) > limits.max_prompt_chars:
            add(field, f"must be at most {limits.max_prompt_chars} characters")

    # images
    for i, image in enumerate(job.init_images):
        info = _image(image, f"init_images[{i}]", settings, problems)
        upscale = job.extras.upscale if job.extras is not None else None
        if info is not None and upscale is not None and job.task == Task.EXTRAS:
            _upscaled_limit(info.width, info.height, upscale, f"init_images[{i}]", limits, add)
    upscale = job.extras.upscale if job.extras is not None else None
    if upscale is not None and job.task != Task.EXTRAS:
        width, height = _generated_size(job)
        _upscaled_limit(width, height, upscale, "extras.upscale.scale", limits, add)
    if job.mask is not None:
        _image(job.mask.image, "mask.image", settings, problems)
    for i, unit in enumerate(job.controlnet):
        if unit.image is not None:
            _image(unit.image, f"controlnet[{i}].image", settings, problems)
    return problems


class _PoolModels:
    """The model rules' view of the deployment: the whole catalog, and the job's pool for what it serves."""

    def __init__(self, catalog: Catalog, pool: Pool):
        self.catalog, self.pool = catalog, pool

    def find(self, name: str) -> ModelEntry | None:
        return self.catalog.find(name)

    def available(self, family: Family) -> list[ModelEntry]:
        return self.catalog.in_pool(self.pool, family)

    def unserved(self, entry: ModelEntry, what: str) -> str | None:
        if entry.name in self.pool.models:
            return None
        return f"{what} {entry.name} is not served by pool {self.pool.name}"


def _image(value: str, field: str, settings: Settings, problems: list[FieldProblem]):
    try:
        return check_base64_image(value, field, settings.limits)
    except InvalidRequest as error:
        problems.extend(error.problems)
        return None


def _sampler(name: str, scheduler: str, prefix: str, add) -> None:
    sampler = find_sampler(name)
    if sampler is None:
        add(f"{prefix}sampler", f"unknown sampler {name!r}")
    elif not sampler.supported:
        add(
            f"{prefix}sampler", f"sampler {sampler.name} is not available here (diffusers has no counterpart)"
        )
    key = schedule_key(scheduler)
    if key not in SCHEDULES:
        add(f"{prefix}scheduler", f"unknown schedule type {scheduler!r}")
    elif SCHEDULES[key] is None:
        add(f"{prefix}scheduler", f"schedule type {scheduler!r} is not available in this deployment")


def _hires_limits(job: Job, limits, add) -> None:
    """The hires pass's size, steps and prompts within the deployment's limits."""
    hires = job.hires
    assert hires is not None
    goal = hires_target(job.width, job.height, hires.scale, hires.resize_x, hires.resize_y)
    field = "hires.scale" if hires.resize_x == 0 and hires.resize_y == 0 else "hires.resize_x"
    if goal.final_width < 64 or goal.final_height < 64:
        add(field, f"the hires size {goal.final_width}x{goal.final_height} is below 64 pixels")
    if goal.width > limits.max_width or goal.height > limits.max_height:
        most = f"{limits.max_width}x{limits.max_height}"
        add(field, f"the hires size {goal.width}x{goal.height} is larger than {most}")
    elif goal.width * goal.height > limits.max_pixels:
        add(field, f"the hires size must be at most {limits.max_pixels} pixels")
    if hires.steps > limits.max_steps:
        add("hires.steps", f"must be at most {limits.max_steps}")
    for name, text in (("prompt", hires.prompt), ("negative_prompt", hires.negative_prompt)):
        if text is not None and len(text) > limits.max_prompt_chars:
            add(f"hires.{name}", f"must be at most {limits.max_prompt_chars} characters")


def _generated_size(job: Job) -> tuple[int, int]:
    """The size of the images a generation job makes: hires fix's when it runs, else the job's."""
    if job.hires is None:
        return job.width, job.height
    goal = hires_target(job.width, job.height, job.hires.scale, job.hires.resize_x, job.hires.resize_y)
    return goal.final_width, goal.final_height


def _upscaled_limit(width: int, height: int, upscale, field: str, limits, add) -> None:
    """An extras upscale ends within the largest image the deployment handles (`max_image_pixels`)."""
    out_w, out_h = extras_size(
        width,
        height,
        scale_to=upscale.scale_to,
        by=upscale.scale,
        to_w=upscale.width or 0,
        to_h=upscale.height or 0,
        crop=upscale.crop,
    )
    if out_w * out_h > limits.max_image_pixels:
        add(field, f"upscaled to {out_w}x{out_h} it would pass {limits.max_image_pixels} pixels")
