"""sweeper Lambda (scheduled): overdue jobs → TIMED_OUT, never-invoked jobs → FAILED, then each pool's
gauges reconciled with a recount of the table (corrections as the `CounterDriftCorrected` metric)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from sdapi.aws.jobs_table import JobsTable
from sdapi.config import Settings
from sdapi.handlers.wiring import Wiring
from sdapi.service.sweeper import Sweeper

logger = Logger(service="sdapi-sweeper")
metrics = Metrics(namespace="sdapi", service="sdapi-sweeper")


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
    if report.corrected:  # an EMF log line; none in the normal case (every move is transactional)
        metrics.add_metric(name="CounterDriftCorrected", unit=MetricUnit.Count, value=len(report.corrected))
        metrics.add_metadata(key="corrected", value=[c.model_dump() for c in report.corrected])
        metrics.flush_metrics()
    return report.model_dump(mode="json")
