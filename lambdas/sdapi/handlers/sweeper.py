"""sweeper Lambda (scheduled): overdue jobs → TIMED_OUT, then each pool's gauges recounted from the table."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from sdapi.aws.jobs_table import JobsTable
from sdapi.config import Settings
from sdapi.handlers.wiring import Wiring
from sdapi.service.sweeper import Sweeper

logger = Logger(service="sdapi-sweeper")


@dataclass(frozen=True)
class Sweep:
    """The sweeper and the pools whose gauges it recounts."""

    sweeper: Sweeper
    pools: tuple[str, ...]


def build(settings: Settings) -> Sweep:
    return Sweep(Sweeper(JobsTable(settings.jobs_table)), tuple(pool.name for pool in settings.catalog.pools))


wiring = Wiring(build)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict, context) -> dict:
    sweep = wiring()
    report = sweep.sweeper.sweep(sweep.pools)
    return report.model_dump(mode="json")
