"""Typed views of what the jobs table stores: the job record (no image bytes) and the per-pool counters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sdapi.schema.job import TERMINAL_STATES, Dialect, JobState, Task


class JobRecord(BaseModel):
    """A job as stored: state, timing, progress, the request summary and the outcome."""

    model_config = ConfigDict(extra="ignore")

    id: str
    owner: str
    key_id: str | None = None
    dialect: Dialect
    pool: str
    task: Task
    model: str
    state: JobState
    attempt: int = 0
    created_at: float
    updated_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None
    progress_step: int = 0
    progress_total: int = 0
    preview: str | None = Field(
        default=None,
        description="The running job's live preview: base64 PNG at latent resolution (A1111 'Approx cheap').",
    )
    summary: dict[str, Any] = Field(default_factory=dict, description="Canonical parameters, no images.")
    request: dict[str, Any] = Field(default_factory=dict, description="The caller's parameters, no images.")
    output_prefix: str
    outputs: list[str] = Field(default_factory=list, description="S3 keys: generated images, then maps.")
    n_generated: int = 0
    info: str | None = None
    nsfw: list[bool] = Field(default_factory=list)
    timings: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    track_id: str | None = None
    task_id: str | None = Field(default=None, description="The caller's own task id (tasks dialect).")
    context: Any = None
    webhook_url: str | None = None
    webhook_events: list[str] = Field(default_factory=list)
    webhook_status: str | None = Field(default=None, description="pending | delivered | failed")
    webhook_error: str | None = None
    webhook_id: str | None = Field(
        default=None, description="webhook-id whose outcome `webhook_status` records."
    )
    execution_timeout_s: int = 600
    ttl_s: int = 21600
    deadline_at: float | None = None
    expires_at: int | None = None
    active_pool: str | None = None
    submit_token: str | None = Field(
        default=None, description="ClientRequestToken of the creating transaction (idempotent submit)."
    )
    enqueued_at: float | None = Field(
        default=None, description="When the endpoint accepted the current attempt's invoke."
    )

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def delay_ms(self) -> int | None:
        """Milliseconds queued before a worker started (RunPod `delayTime`)."""
        if self.started_at is None:
            return None
        return max(0, round((self.started_at - self.created_at) * 1000))

    @property
    def execution_ms(self) -> int | None:
        """Milliseconds of work (RunPod `executionTime`)."""
        if self.started_at is None:
            return None
        end = self.completed_at or self.updated_at or self.started_at
        return max(0, round((end - self.started_at) * 1000))

    @property
    def images(self) -> list[str]:
        return self.outputs[: self.n_generated] if self.n_generated else list(self.outputs)


class Counters(BaseModel):
    """One pool's queue gauges and outcome totals (one DynamoDB item, updated transactionally)."""

    model_config = ConfigDict(extra="ignore")

    pool: str
    queued: int = 0
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    timed_out: int = 0
    retried: int = 0
    exec_ms_total: int = 0

    @property
    def mean_execution_s(self) -> float | None:
        return self.exec_ms_total / self.completed / 1000 if self.completed else None


class GaugeCorrection(BaseModel):
    """One gauge the sweeper's recount found wrong and corrected."""

    pool: str
    gauge: str = Field(description="`queued` or `in_progress`.")
    was: int = Field(description="What the counter item said.")
    now: int = Field(description="What the jobs table holds (the corrected value).")


class Recount(BaseModel):
    """The outcome of recounting one pool's gauges from its active jobs."""

    counters: Counters = Field(description="The pool's counters after the recount.")
    corrected: list[GaugeCorrection] = Field(default_factory=list, description="Gauges that had drifted.")
    skipped: str | None = Field(
        default=None, description="Why nothing was written this time (the counters moved meanwhile)."
    )


class SystemLoad(BaseModel):
    """What `system_load`, `/health` and `/v1/system/load` report for a pool (or all of them)."""

    pools: list[Counters]
    instances: dict[str, int | None] = Field(description="Current instance count per pool (None: unknown).")
    queue_time_s: float = Field(description="Estimated seconds before a new job starts.")
