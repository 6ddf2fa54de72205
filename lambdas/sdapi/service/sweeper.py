"""The sweeper: no accepted job stays active forever, and the queue gauges match the table.

Every active job carries `deadline_at` (queued: created + TTL; in progress: started + execution timeout) in
the sparse `by_deadline` index. Each run moves every overdue job to TIMED_OUT with a conditional transition
(a job that finished meanwhile is left alone), which the jobs table's stream turns into its `job.timed_out`
event and webhook, then reconciles each pool's queued / in-progress gauges with a recount of the index.

The reconciliation corrects drift (a gauge that differs from the count of the pool's QUEUED or IN_PROGRESS
jobs) and reports each correction (`corrected`, one warning log line, the `CounterDriftCorrected` metric of
the sweeper Lambda). It never overwrites a concurrent move: the correction is a conditional write on the
counter item's move count, and a pool whose counters moved in the last `RECOUNT_SETTLE_S` (the index is
eventually consistent) is left for the next run (`recount_skipped`). Every state change moves the gauges in
its own transaction, so drift means a bug or a write outside the state machine: the metric should stay 0.

It also finishes the jobs that nothing will ever run: a QUEUED job whose creating submit recorded its
token (`submit_token`) but never recorded an accepted invoke (`enqueued_at`) — the api Lambda died or timed
out between the transaction and `InvokeEndpointAsync` — becomes FAILED with `NEVER_INVOKED` once
`NEVER_INVOKED_GRACE_S` has passed since it was queued (longer than any api Lambda runs, so no submit is
still on its way to the invoke). FAILED rather than re-invoked: that caller saw an error or a timeout and
either retried (with an `Idempotency-Key`, the retry already invoked the job; without one it made a new
job) or gave up, so running the orphan would spend GPU time on a result nobody will read. Items written
before tokens existed carry no `submit_token` and are left to their time to live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from pydantic import BaseModel, Field

from sdapi.ports import JobStore
from sdapi.records import Counters, GaugeCorrection, JobRecord
from sdapi.schema.job import JobState

logger = logging.getLogger(__name__)

PAGE = 100
RECOUNT_SETTLE_S = 5.0
"""A pool's gauges are recounted only once they have not moved for this long (index propagation)."""
NEVER_INVOKED_GRACE_S = 900
"""How long a QUEUED job may go without a recorded invoke (the api Lambda's longest run is 900 s)."""
NEVER_INVOKED = (
    "the job was recorded but never handed to the inference endpoint (the submitting request was "
    "interrupted); submit it again"
)


class SweepReport(BaseModel):
    timed_out: list[str] = Field(default_factory=list, description="Ids of the jobs this run timed out.")
    never_invoked: list[str] = Field(
        default_factory=list, description="Ids of QUEUED jobs nothing had invoked, now FAILED."
    )
    counters: list[Counters] = Field(default_factory=list, description="Gauges after the recount.")
    corrected: list[GaugeCorrection] = Field(
        default_factory=list, description="Gauges that differed from the recount and were corrected."
    )
    recount_skipped: dict[str, str] = Field(
        default_factory=dict, description="Pool → why its gauges were not recounted this run."
    )


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
            report.never_invoked += self._fail_never_invoked(pool)
            recount = self.store.recount(pool, settled_before=self.clock() - RECOUNT_SETTLE_S)
            report.counters.append(recount.counters)
            report.corrected += recount.corrected
            if recount.skipped:
                report.recount_skipped[pool] = recount.skipped
        if report.corrected:
            logger.warning(
                "sweeper corrected counter drift: %s",
                ", ".join(f"{c.pool}.{c.gauge} {c.was} -> {c.now}" for c in report.corrected),
                extra={"corrected": [c.model_dump() for c in report.corrected]},
            )
        if report.timed_out:
            logger.info("sweeper timed out jobs", extra={"count": len(report.timed_out)})
        if report.never_invoked:
            logger.warning("sweeper failed never-invoked jobs", extra={"ids": report.never_invoked})
        return report

    def _fail_never_invoked(self, pool: str) -> list[str]:
        now = self.clock()
        done: list[str] = []
        for record in self.store.queued(pool):
            queued_since = max(record.created_at, record.updated_at or 0.0)
            if record.submit_token is None or record.enqueued_at is not None:
                continue
            if now - queued_since < NEVER_INVOKED_GRACE_S:
                continue
            moved = self.store.transition(
                record.id,
                JobState.FAILED,
                expected=[JobState.QUEUED],
                attempt=record.attempt,
                updates={"completed_at": now, "error": NEVER_INVOKED},
            )
            if moved is not None:
                done.append(record.id)
        return done

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
