"""Errors a job can end with. Each carries the HTTP status `/invocations` answers and says what to do."""

from __future__ import annotations


class JobError(Exception):
    status = 500
    kind = "JobError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidJob(JobError):
    """The job cannot run as written: bad input, a model this container does not have, or an unsupported
    option."""

    status = 400
    kind = "InvalidJob"


class ModelLoadError(JobError):
    status = 500
    kind = "ModelLoadError"


class OutOfMemory(JobError):
    status = 507
    kind = "OutOfMemory"
