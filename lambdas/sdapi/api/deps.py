"""What the routes need, built once per process (cold start): settings, the job service, the
authenticator and the URL policy. Tests install their own (`install`)."""

from __future__ import annotations

from dataclasses import dataclass

from sdapi.auth import Authenticator
from sdapi.config import Settings
from sdapi.service.jobs import JobService
from sdapi.urlguard import UrlPolicy


@dataclass
class Deps:
    settings: Settings
    service: JobService
    authenticator: Authenticator

    @property
    def url_policy(self) -> UrlPolicy:
        return self.service.url_policy

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        """The real AWS adapters (boto3 clients are created lazily, on first use)."""
        from sdapi.aws.bucket import Bucket
        from sdapi.aws.jobs_table import JobsTable
        from sdapi.aws.keys_table import KeysTable
        from sdapi.aws.sagemaker import SageMaker, SageMakerRuntime

        service = JobService(
            settings,
            JobsTable(settings.jobs_table),
            Bucket(settings.bucket),
            SageMakerRuntime(settings.bucket),
            SageMaker(),
        )
        return cls(
            settings=settings, service=service, authenticator=Authenticator(KeysTable(settings.keys_table))
        )


_current: Deps | None = None


def install(deps: Deps) -> None:
    global _current
    _current = deps


def current() -> Deps:
    if _current is None:
        install(Deps.from_settings(Settings.from_env()))
    assert _current is not None
    return _current
