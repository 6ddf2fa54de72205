"""The sweeper: no accepted job stays active forever, and the queue gauges match the table.

Every active job carries `deadline_at` (queued: created + TTL; in progress: started + execution timeout) in
the sparse `by_deadline` index. Each run moves every overdue job to TIMED_OUT with a conditional transition
(a job that finished meanwhile is left alone), which the jobs table's stream turns into its `job.timed_out`
event and webhook, then recounts each pool's queued / in-progress gauges from the index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from pydantic import BaseModel, Field

from sdapi.ports import JobStore
from sdapi.records import Counters, JobRecord
from sdapi.schema.job import JobState

logger = logging.getLogger(__name__)

PAGE = 100


class SweepReport(BaseModel):
    timed_out: list[str] = Field(default_factory=list, description="Ids of the jobs this run timed out.")
    counters: list[Counters] = Field(default_factory=list, description="Gauges after the recount.")


def timeout_reason(record: JobRecord) -> str:
    if record.state == JobState.QUEUED:
        return f"job timed out: not started within its time to live ({record.ttl_s} s)"
    return f"job timed out: not finished within its execution timeout ({record.execution_timeout_s} s)"


class Sweeper:
    def __init__(self, store: JobStore, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock

    def sweep(self, pools: Iterable[str]) -> SweepReport:
        report = SweepReport()
        for pool in pools:
            report.timed_out += self._time_out(pool)
            report.counters.append(self.store.recount(pool))
        if report.timed_out:
            logger.info("sweeper timed out jobs", extra={"count": len(report.timed_out)})
        return report

    def _time_out(self, pool: str) -> list[str]:
        done: list[str] = []
        seen: set[str] = set()
        while True:
            now = self.clock()
            page = [r for r in self.store.overdue(pool, now, limit=PAGE) if r.id not in seen]
            for record in page:
                seen.add(record.id)
                moved = self.store.transition(
                    record.id,
                    JobState.TIMED_OUT,
                    expected=[record.state],
                    attempt=record.attempt,
                    updates={"completed_at": now, "error": timeout_reason(record)},
                )
                if moved is not None:
                    done.append(record.id)
            if len(page) < PAGE:
                return done
