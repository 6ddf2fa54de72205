"""Job progress while denoising: the pipelines' step callbacks become A1111's steps x n_iter count, written
through the job tracker with the live preview (`preview.py`, made only when the tracker writes one), and
the answer to "go on?": no once the job is cancelled, timed out or past its execution deadline (`stopped`:
no result), and, as A1111's sampler callback raises on `state.interrupted or state.skipped`, no once the
owner interrupted the job or skipped the iteration (`ends_iteration`): the pipeline then stops on the
scheduler's latest estimate of the denoised latents (A1111's `last_latent`), which are decoded and kept."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from inference_container import preview
from inference_container.storage import JobTracker
from sdapi.schema.catalog import Family
from sdapi.schema.job import Job

log = logging.getLogger(__name__)


class Progress:
    """Maps pipeline callbacks to job progress (A1111 steps x n_iter) and asks the tracker whether to go
    on; `family` is the checkpoint family whose latents are previewed (None: no preview)."""

    def __init__(
        self, job: Job, tracker: JobTracker | None, deadline: float | None, family: Family | None = None
    ):
        self.steps = job.steps
        self.total = job.steps * job.n_iter
        self.tracker = tracker
        self.deadline = deadline
        self.iteration = 0
        self.phase_start = 0.0
        self.phase_weight = 1.0
        self.steps_run = 0
        self.stopped = False
        self.interrupted = False
        """The owner interrupted the job: this iteration ends, and no further one runs."""
        self.skipped_iteration: int | None = None
        """The iteration the owner's last skip ended."""
        self._skips_seen = 0
        self.family = family

    def phase(self, iteration: int, start: float, weight: float) -> None:
        """The next pipeline call covers [start, start + weight] of iteration `iteration` (with a refiner,
        an iteration has two phases)."""
        self.iteration, self.phase_start, self.phase_weight = iteration, start, weight

    def callback(self, pipe, step: int, timestep, kwargs: dict) -> dict:
        """diffusers' `callback_on_step_end`: count the step, report it (with a preview of the latents when
        one is due), and interrupt the pipeline when the job must stop."""
        self.steps_run += 1
        n = max(1, getattr(pipe, "num_timesteps", 0) or 1)
        iterations_done = self.iteration + self.phase_start + self.phase_weight * min(1.0, (step + 1) / n)
        done = min(self.total, round(iterations_done * self.steps))
        if not self._keep_going(done, lambda: self._preview(pipe, kwargs)):
            self.stopped = True
            pipe._interrupt = True
        elif self._signalled():
            pipe._interrupt = True
            latents = kwargs.get("latents")
            if latents is not None:
                kwargs["latents"] = preview.denoised(pipe.scheduler, latents)
        return kwargs

    @property
    def ends_iteration(self) -> bool:
        """The current iteration ends with what it has (interrupted, or this iteration skipped): its later
        passes (refiner, hires fix's second pass) do not run."""
        return self.interrupted or self.skipped_iteration == self.iteration

    def _signalled(self) -> bool:
        """Whether the owner's interrupt or a new skip (read back by the last progress write) ends the
        current iteration now."""
        if self.tracker is None:
            return False
        signals = self.tracker.signals
        self.interrupted = self.interrupted or signals.interrupted
        if signals.skips > self._skips_seen:
            self._skips_seen = signals.skips
            self.skipped_iteration = self.iteration
        return self.ends_iteration

    def _preview(self, pipe, kwargs: dict) -> str | None:
        return preview.preview(preview.denoised(pipe.scheduler, kwargs.get("latents")), self.family)

    def _keep_going(self, done: int, make_preview: Callable[[], str | None]) -> bool:
        if self.deadline is not None and time.time() > self.deadline:
            log.info("execution deadline passed: stopping")
            return False
        if self.tracker is not None:
            return self.tracker.progress(done, self.total, preview=make_preview)
        return True
