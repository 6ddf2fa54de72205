"""The model rules, written once and run on both sides of the Lambda/GPU line.

The door (`sdapi.validation`) runs them against the deployment's catalog and the job's pool, the worker
(`inference_container/steps/plan.py`, `make_plan`) against the models its container has: a job the door
accepted resolves the same way on the GPU, and where the two catalogs disagree both sides refuse the job
with the same words. Each problem names a canonical `Job` field path.

The rules: every named model exists and is of the right family; the VAE fits the checkpoint's family; a
refiner needs an SDXL base; each ControlNet fits the checkpoint's family and uses a preprocessor the
container implements; canny thresholds are 1-255; a txt2img ControlNet unit carries its image; face
restoration needs a restorer and the safety checker a checker model; inpainting cannot upscale latents;
hires fix and extras name upscalers that exist (a Latent mode, a built-in or a catalog upscaler), a hires
checkpoint of the base's family, and GFPGAN / CodeFormer restorers when their visibility is above 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Family, ModelEntry
from sdapi.schema.defaults import CANNY_THRESHOLDS
from sdapi.schema.job import ControlNetUnit, Job, ResizeMode, Task
from sdapi.schema.prompt import loras_of
from sdapi.schema.upscaling import BUILTIN_UPSCALERS, LATENT_UPSCALE_MODES

PREPROCESSORS = ("none", "canny")
"""ControlNet preprocessors the container implements (`ControlNetUnit.module`)."""

CANNY_THRESHOLD_RANGE = (1, 255)
"""Canny thresholds a unit may ask for; outside it (or unset) the defaults `CANNY_THRESHOLDS` apply."""

REFINER_FAMILIES = frozenset({Family.SDXL_REFINER, Family.SDXL})


@dataclass(frozen=True)
class Problem:
    """One way a job does not fit: a canonical `Job` field path and the reason, in words for the caller."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def describe(problems: Iterable[Problem]) -> str:
    """All problems in one message, first one first (the door and the worker word errors this way)."""
    return "; ".join(str(p) for p in problems)


class ModelSource(Protocol):
    """Where the rules look models up: the deployment's catalog and pool, or the container's models."""

    def find(self, name: str) -> ModelEntry | None:
        """A model by name, alias or A1111 title, or None."""

    def available(self, family: Family) -> list[ModelEntry]:
        """The models of `family` this job may use (face restorers, safety checkers), best first."""

    def unserved(self, entry: ModelEntry, what: str) -> str | None:
        """Why `entry` cannot run this job even though it exists (the door: not in the job's pool)."""


@dataclass
class ModelChoice:
    """The job's models, resolved (None where the job names none or the name did not resolve)."""

    checkpoint: ModelEntry | None = None
    vae: ModelEntry | None = None
    refiner: ModelEntry | None = None
    controlnets: list[ModelEntry | None] = field(default_factory=list)
    face_restorer: ModelEntry | None = None
    safety_checker: ModelEntry | None = None
    hires_checkpoint: ModelEntry | None = None
    upscalers: dict[str, ModelEntry] = field(default_factory=dict)
    """Model upscalers by the name the job uses (built-in and latent upscalers need no model)."""
    gfpgan: ModelEntry | None = None
    codeformer: ModelEntry | None = None


def canny_thresholds(low: float | None, high: float | None) -> tuple[float, float]:
    """The canny (low, high) thresholds a unit runs with: its own where set and in range, else the
    defaults."""
    least, most = CANNY_THRESHOLD_RANGE

    def pick(value: float | None, default: float) -> float:
        return value if value is not None and least <= value <= most else default

    return pick(low, CANNY_THRESHOLDS[0]), pick(high, CANNY_THRESHOLDS[1])


def check_models(job: Job, source: ModelSource) -> tuple[ModelChoice, list[Problem]]:
    """Resolve every model the job names against `source` and check how they fit together. Returns the
    choice and every problem found (none: the job can run with these models)."""
    rules = _Rules(source)
    choice = ModelChoice()
    choice.checkpoint = rules.checkpoint(job)
    choice.vae = rules.vae(job, choice.checkpoint)
    choice.refiner = rules.refiner(job, choice.checkpoint)
    choice.controlnets = [
        rules.controlnet(unit, index, choice.checkpoint) for index, unit in enumerate(job.controlnet)
    ]
    choice.face_restorer = rules.face_restorer(job)
    choice.safety_checker = rules.safety_checker(job)
    rules.hires(job, choice)
    rules.extras(job, choice)
    rules.problems += shape_problems(job)
    return choice, rules.problems


def shape_problems(job: Job) -> list[Problem]:
    """Rules about the job's own inputs that no model can lift."""
    problems: list[Problem] = []
    for index, unit in enumerate(job.controlnet):
        if unit.image is None and job.task == Task.TXT2IMG:
            problems.append(Problem(f"controlnet[{index}].image", "a txt2img ControlNet unit needs an image"))
    if job.task == Task.INPAINT and job.resize_mode == ResizeMode.LATENT_UPSCALE:
        problems.append(
            Problem("resize_mode", "latent_upscale is not supported for inpainting; use just_resize")
        )
    if job.hires is not None:
        problems += _hires_problems(job)
    return problems


def _hires_problems(job: Job) -> list[Problem]:
    """Hires fix with what this deployment cannot run in its second pass."""
    hires, problems = job.hires, []
    assert hires is not None
    if job.controlnet:
        problems.append(Problem("hires", "hires fix with ControlNet units is not supported; drop one"))
    if hires.prompt is not None and loras_of(hires.prompt)[1] != loras_of(job.prompt)[1]:
        problems.append(
            Problem("hires.prompt", "its <lora:...> tags must be the prompt's (the same LoRAs stay applied)")
        )
    return problems


class _Rules:
    """The rules, one method per model the job may name; problems pile up in `problems`."""

    def __init__(self, source: ModelSource):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, field: str, reason: str) -> None:
        self.problems.append(Problem(field, reason))

    def lookup(self, name: str, field: str, families: Iterable[Family], what: str) -> ModelEntry | None:
        families = frozenset(families)
        entry = self.source.find(name)
        if entry is None:
            names = sorted({e.name for family in families for e in self.source.available(family)})
            self.add(field, f"{what} {name!r} is not in this deployment's catalog; available: {names}")
            return None
        if entry.family not in families:
            self.add(field, f"{entry.name} is a {entry.family} model, not a {what}")
            return None
        return entry

    def served(self, entry: ModelEntry, field: str, what: str) -> ModelEntry:
        """The entry, noting a problem if it cannot run this job (it still counts for the later rules)."""
        reason = self.source.unserved(entry, what)
        if reason is not None:
            self.add(field, reason)
        return entry

    def addon(self, entry: ModelEntry | None, checkpoint: ModelEntry | None, field: str, what: str):
        """A VAE or ControlNet: it must fit the checkpoint's family, then be served."""
        if entry is None:
            return None
        if checkpoint is not None and not entry.fits(checkpoint.family):
            self.add(field, mismatch(what, entry, checkpoint))
            return None
        return self.served(entry, field, what)

    def checkpoint(self, job: Job) -> ModelEntry | None:
        entry = self.lookup(job.model, "model", CHECKPOINT_FAMILIES, "checkpoint")
        return self.served(entry, "model", "checkpoint") if entry else None

    def vae(self, job: Job, checkpoint: ModelEntry | None) -> ModelEntry | None:
        if not job.vae:
            return None
        return self.addon(self.lookup(job.vae, "vae", {Family.VAE}, "VAE"), checkpoint, "vae", "VAE")

    def refiner(self, job: Job, checkpoint: ModelEntry | None) -> ModelEntry | None:
        if job.refiner is None:
            return None
        field, what = "refiner.checkpoint", "SDXL refiner"
        entry = self.lookup(job.refiner.checkpoint, field, REFINER_FAMILIES, what)
        if entry is None:
            return None
        if checkpoint is not None and checkpoint.family != Family.SDXL:
            self.add(
                field,
                f"refiner {entry.name} needs an sdxl checkpoint but {checkpoint.name} is {checkpoint.family}",
            )
            return None
        return self.served(entry, field, what)

    def controlnet(self, unit: ControlNetUnit, index: int, checkpoint: ModelEntry | None):
        path = f"controlnet[{index}]"
        found = self.lookup(unit.model, f"{path}.model", {Family.CONTROLNET}, "ControlNet")
        entry = self.addon(found, checkpoint, f"{path}.model", "ControlNet")
        if unit.module not in PREPROCESSORS:
            supported = ", ".join(sorted(PREPROCESSORS))
            self.add(f"{path}.module", f"unknown preprocessor {unit.module!r} (supported: {supported})")
        least, most = CANNY_THRESHOLD_RANGE
        for name, value in (("threshold_a", unit.threshold_a), ("threshold_b", unit.threshold_b)):
            if value is not None and unit.module == "canny" and not least <= value <= most:
                self.add(f"{path}.{name}", f"canny thresholds must be between {least} and {most}")
        return entry

    def first_available(self, family: Family, field: str, missing: str) -> ModelEntry | None:
        """The first model of `family` this job may use, noting `missing` when there is none."""
        found = self.source.available(family)
        if not found:
            self.add(field, missing)
            return None
        return found[0]

    def face_restorer(self, job: Job) -> ModelEntry | None:
        if not job.restore_faces:
            return None
        first = self.first_available(
            Family.FACE_RESTORER, "restore_faces", "this deployment has no face restorer"
        )
        if first is None or not job.face_restorer:
            return first
        what = "face restorer"
        entry = self.lookup(job.face_restorer, "face_restorer", {Family.FACE_RESTORER}, what)
        return self.served(entry, "face_restorer", what) if entry else None

    def upscaler(self, name: str, field: str, choice: ModelChoice, latent: bool) -> None:
        """A built-in upscaler, a Latent mode (hires fix only) or a catalog upscaler, noted in `choice`."""
        if name in BUILTIN_UPSCALERS or (latent and name in LATENT_UPSCALE_MODES):
            return
        entry = self.source.find(name)
        if entry is None or entry.family != Family.UPSCALER:
            names = [*BUILTIN_UPSCALERS, *(e.name for e in self.source.available(Family.UPSCALER))]
            if latent:
                names = [*LATENT_UPSCALE_MODES, *names]
            self.add(field, f"unknown upscaler {name!r}; available: {names}")
            return
        choice.upscalers[name] = self.served(entry, field, "upscaler")

    def hires(self, job: Job, choice: ModelChoice) -> None:
        if job.hires is None:
            return
        self.upscaler(job.hires.upscaler, "hires.upscaler", choice, latent=True)
        if job.hires.checkpoint:
            field = "hires.checkpoint"
            entry = self.lookup(job.hires.checkpoint, field, CHECKPOINT_FAMILIES, "checkpoint")
            base = choice.checkpoint
            if entry is not None and base is not None and entry.family != base.family:
                families = f"{entry.family.value} but {base.name} is {base.family.value}"
                self.add(field, f"{entry.name} is {families}")
            elif entry is not None:
                choice.hires_checkpoint = self.served(entry, field, "checkpoint")

    def by_architecture(self, architecture: str, field: str) -> ModelEntry | None:
        found = [e for e in self.source.available(Family.FACE_RESTORER) if e.architecture == architecture]
        if not found:
            self.add(field, f"this deployment has no {architecture} face restorer")
            return None
        return found[0]

    def extras(self, job: Job, choice: ModelChoice) -> None:
        extras = job.extras
        if extras is None:
            return
        if extras.upscale is not None:
            self.upscaler(extras.upscale.upscaler, "extras.upscale.upscaler", choice, latent=False)
            if extras.upscale.upscaler_2_visibility > 0:
                self.upscaler(extras.upscale.upscaler_2, "extras.upscale.upscaler_2", choice, latent=False)
        if extras.gfpgan_visibility > 0:
            choice.gfpgan = self.by_architecture("GFPGAN", "extras.gfpgan_visibility")
        if extras.codeformer_visibility > 0:
            choice.codeformer = self.by_architecture("CodeFormer", "extras.codeformer_visibility")

    def safety_checker(self, job: Job) -> ModelEntry | None:
        if not job.safety_checker:
            return None
        return self.first_available(
            Family.SAFETY_CHECKER, "safety_checker", "this deployment has no safety checker"
        )


def mismatch(what: str, addon: ModelEntry, checkpoint: ModelEntry) -> str:
    """Why an add-on (VAE, ControlNet) cannot go with a checkpoint: both names, both families."""
    base = addon.base.value if addon.base else "any"
    return f"{what} {addon.name} is for {base} checkpoints but {checkpoint.name} is {checkpoint.family.value}"
