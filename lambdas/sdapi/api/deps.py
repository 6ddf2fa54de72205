"""What the routes need, built once per process (cold start) and injected with Powertools `Depends`:
settings, the job service, the authenticator and the URL policy.

`ApiFunction` puts its `Deps` into the resolver's context for each request; a route (or a dependency such
as `caller`) declares `deps: Wired` to receive them. Tests build their own `Deps` and `ApiFunction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from sdapi.auth import Authenticator
from sdapi.config import Settings
from sdapi.service.jobs import JobService
from sdapi.throttle import KeyRate, KeyThrottle
from sdapi.urlguard import UrlPolicy

CONTEXT_KEY = "sdapi_deps"
"""Where `ApiFunction` puts the `Deps` in the resolver's per-request context."""
TIME_LEFT_KEY = "sdapi_time_left_s"
"""Where `ApiFunction` puts a function giving the seconds this invocation has left (Lambda's context)."""


@dataclass
class Deps:
    """The api Lambda's collaborators."""

    settings: Settings
    service: JobService
    authenticator: Authenticator
    throttle: KeyThrottle | None = None
    """Per-key request rate, on the long-wait function only (API Gateway throttles the REST path)."""

    @property
    def url_policy(self) -> UrlPolicy:
        """The SSRF guard's policy for URL inputs."""
        return self.service.url_policy

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        """Return the real AWS adapters (boto3 clients are created lazily, on first use)."""
        from sdapi.aws.bucket import Bucket
        from sdapi.aws.jobs_table import JobsTable
        from sdapi.aws.keys_table import KeysTable
        from sdapi.aws.rate_table import RateTable
        from sdapi.aws.sagemaker import SageMaker, SageMakerRuntime

        service = JobService(
            settings,
            JobsTable(settings.jobs_table),
            Bucket(settings.bucket),
            SageMakerRuntime(settings.bucket),
            SageMaker(),
        )
        throttle = None
        if settings.rate_table:
            rate = KeyRate(rate_per_s=settings.key_rate_per_s, burst=settings.key_burst)
            throttle = KeyThrottle(RateTable(settings.rate_table), rate)
        return cls(
            settings=settings,
            service=service,
            authenticator=Authenticator(KeysTable(settings.keys_table)),
            throttle=throttle,
        )


def wired(request: Request) -> Deps:
    """Route dependency: the `Deps` of the `ApiFunction` resolving this request."""
    return request.context[CONTEXT_KEY]


Wired = Annotated[Deps, Depends(wired)]


def time_left_s(request: Request) -> float:
    """Seconds this invocation has left before Lambda stops it (infinite when the context does not say)."""
    left = request.context.get(TIME_LEFT_KEY)
    return left() if left is not None else float("inf")
