"""What a dialect's answers are made of besides the job record: its images (from an `OutputSource`, which the
api Lambda and the webhooks Lambda each provide) and, for a webhook body, the event it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sdapi.records import JobRecord


@dataclass(frozen=True)
class Outputs:
    """A job's images (generated, then detected ControlNet maps) and a warning when their form changed."""

    images: list[str]
    warning: str | None = None


class OutputSource(Protocol):
    """The images of a finished job, as base64 or presigned URLs, and the bucket they are stored in."""

    @property
    def bucket(self) -> str:
        """The S3 bucket holding the outputs (the task dialect answers `s3://` locations in it)."""
        ...

    def outputs(self, record: JobRecord, *, base64: bool) -> Outputs:
        """Return the job's images inline as base64 (`base64=True`) or as presigned URLs."""
        ...


@dataclass(frozen=True)
class WebhookEvent:
    """The job event a webhook body reports."""

    event: str
    """queued | started | progress | completed | failed | cancelled | timed_out"""
    occurred_at: float
    """Unix time of the state change."""
