"""The webhook queue's message: one webhook to deliver, with its retry bookkeeping.

The events Lambda creates it (delivery 1); the webhook Lambda re-sends it with `delivery + 1` and an SQS
`DelaySeconds` for each retry, so the attempt count travels with the message and no state is kept in memory.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sdapi.records import JobRecord

WEBHOOK_EVENTS = ("queued", "started", "progress", "completed", "failed", "cancelled", "timed_out")
"""Events a job may subscribe its webhook to (`Webhook.events`)."""

DEFAULT_WEBHOOK_EVENTS = ("completed", "failed", "cancelled", "timed_out")
"""What a webhook hears when the job names no events: the terminal ones."""


def webhook_id(job_id: str, event: str, job_attempt: int, step: int | None = None) -> str:
    """The Standard Webhooks `webhook-id`: the same for every retry of one event of one job attempt."""
    base = f"{job_id}.{event}.{job_attempt}"
    return f"{base}.{step}" if step is not None else base


class WebhookMessage(BaseModel):
    """Body of a message on the webhook queue (and, after the last try, on its dead-letter queue)."""

    model_config = ConfigDict(extra="ignore")

    v: int = Field(default=1, description="Message format version.")
    webhook_id: str = Field(description="Standard Webhooks `webhook-id`, stable across retries.")
    job_id: str = Field(description="The job the event is about.")
    event: str = Field(description="queued | started | progress | completed | failed | cancelled | timed_out")
    job_attempt: int = Field(default=0, description="The job's attempt (RunPod /retry) the event belongs to.")
    occurred_at: float = Field(description="Unix time of the state change.")
    delivery: int = Field(default=1, ge=1, description="Which try this message is (1 = the first).")
    first_try_at: float | None = Field(default=None, description="Unix time of the first delivery attempt.")
    last_error: str | None = Field(default=None, description="Why the previous attempt failed.")
    record: dict[str, Any] | None = Field(
        default=None,
        description="Job snapshot at the event (non-terminal events, whose body must show that moment); "
        "terminal events read the job item at delivery time (a terminal job never changes state).",
    )

    def snapshot(self) -> JobRecord | None:
        return JobRecord.model_validate(self.record) if self.record is not None else None
