"""Job progress while denoising: the pipelines' step callbacks become A1111's steps x n_iter count, written
through the job tracker, and the answer to "go on?" (no once the job is cancelled, timed out or past its
execution deadline)."""

from __future__ import annotations

import logging
import time

from inference_container.storage import JobTracker
from sdapi.schema.job import Job

log = logging.getLogger(__name__)


class Progress:
    """Maps pipeline callbacks to job progress (A1111 steps x n_iter) and asks the tracker whether to go
    on."""

    def __init__(self, job: Job, tracker: JobTracker | None, deadline: float | None):
        self.steps = job.steps
        self.total = job.steps * job.n_iter
        self.tracker = tracker
        self.deadline = deadline
        self.iteration = 0
        self.phase_start = 0.0
        self.phase_weight = 1.0
        self.steps_run = 0
        self.stopped = False

    def phase(self, iteration: int, start: float, weight: float) -> None:
        """The next pipeline call covers [start, start + weight] of iteration `iteration` (with a refiner,
        an iteration has two phases)."""
        self.iteration, self.phase_start, self.phase_weight = iteration, start, weight

    def callback(self, pipe, step: int, timestep, kwargs: dict) -> dict:
        """diffusers' `callback_on_step_end`: count the step, report it, and interrupt the pipeline when the
        job must stop."""
        self.steps_run += 1
        n = max(1, getattr(pipe, "num_timesteps", 0) or 1)
        iterations_done = self.iteration + self.phase_start + self.phase_weight * min(1.0, (step + 1) / n)
        done = min(self.total, round(iterations_done * self.steps))
        if not self._keep_going(done):
            self.stopped = True
            pipe._interrupt = True
        return kwargs

    def _keep_going(self, done: int) -> bool:
        if self.deadline is not None and time.time() > self.deadline:
            log.info("execution deadline passed: stopping")
            return False
        if self.tracker is not None:
            return self.tracker.progress(done, self.total)
        return True
