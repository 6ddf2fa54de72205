"""sweeper Lambda (scheduled): overdue jobs → TIMED_OUT, then each pool's gauges recounted from the table."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger

from sdapi.aws.jobs_table import JobsTable
from sdapi.config import Settings
from sdapi.service.sweeper import Sweeper

logger = Logger(service="sdapi-sweeper")


@cache
def _wiring() -> tuple[Sweeper, tuple[str, ...]]:
    settings = Settings.from_env()
    return Sweeper(JobsTable(settings.jobs_table)), tuple(pool.name for pool in settings.catalog.pools)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict, context) -> dict:
    sweeper, pools = _wiring()
    report = sweeper.sweep(pools)
    return report.model_dump(mode="json")
