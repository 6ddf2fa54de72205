"""Domain errors. Dialect adapters turn each into the caller's own error shape and HTTP status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldProblem:
    field: str
    """Dotted path in the caller's own request, e.g. `input.payload.width` or `init_image`."""
    reason: str


class DomainError(Exception):
    status: int = 400
    kind: str = "BadRequest"

    def __init__(self, message: str, problems: list[FieldProblem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[FieldProblem] = problems or []


class InvalidRequest(DomainError):
    """The request is malformed or asks for something this deployment does not have (400/422)."""

    status = 400
    kind = "InvalidRequest"

    @classmethod
    def field(cls, field: str, reason: str) -> InvalidRequest:
        return cls(f"{field}: {reason}", [FieldProblem(field, reason)])


class Unauthorized(DomainError):
    status = 401
    kind = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    kind = "Forbidden"


class NotFound(DomainError):
    status = 404
    kind = "NotFound"


class Conflict(DomainError):
    status = 409
    kind = "Conflict"


class Gone(DomainError):
    """The job existed but its record or outputs have expired (retention)."""

    status = 410
    kind = "Gone"


class PayloadTooLarge(DomainError):
    status = 413
    kind = "PayloadTooLarge"


class TooManyRequests(DomainError):
    """The caller's key sent more requests than its rate allows (the long-wait URL's per-key throttle)."""

    status = 429
    kind = "TooManyRequests"


class UpstreamUnavailable(DomainError):
    """An AWS dependency (SageMaker, DynamoDB, S3) failed; the caller may retry.

    `message` carries the AWS detail for the logs; callers only ever see `PUBLIC_MESSAGE` (AWS error texts
    can name accounts, roles, tables and endpoints)."""

    status = 503
    kind = "ServiceUnavailable"
    PUBLIC_MESSAGE = "a service this API depends on is unavailable; try again later"


class UrlRefused(InvalidRequest):
    """A URL input (image URL, webhook) refused by the SSRF guard; a 400 naming the field and the reason."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", [FieldProblem(field, reason)])
        self.field_name = field
        self.reason = reason


class AlreadySubmitted(Conflict):
    """The idempotency key was used before by the same owner: `job_id` names the job it created."""

    def __init__(self, job_id: str, fingerprint: str | None = None):
        super().__init__(f"a request with this idempotency key already created job {job_id}")
        self.job_id = job_id
        self.fingerprint = fingerprint
        """Fingerprint of the request that used the key first (None for markers written before them)."""


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before by the same owner for a *different* request (Stripe, the IETF
    idempotency-key draft: 422). The caller must pick a new key or resend the original request."""

    status = 422
    kind = "IdempotencyKeyReused"
