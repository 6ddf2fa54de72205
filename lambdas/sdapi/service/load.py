"""Queue-time estimate from the counters and instance counts (what `system_load` and `/health` report)."""

from __future__ import annotations

from sdapi.records import Counters, SystemLoad

DEFAULT_EXECUTION_S = 20.0
"""Assumed seconds per job before any job of the pool has completed."""


def estimate_queue_time(
    counters: Counters, instances: int | None, concurrency: int = 1, cold_start_s: float = 300.0
) -> float:
    """Seconds before a job submitted now would start on this pool.

    Jobs ahead (queued, plus running ones beyond the free slots) are served `instances * concurrency` at a
    time, each taking the pool's mean execution time. With no instance running (scaled to zero), the
    expected cold start comes first. An unknown instance count counts as one instance if jobs are running.
    """
    mean = counters.mean_execution_s or DEFAULT_EXECUTION_S
    if instances is None:
        instances = 1 if counters.in_progress else 0
    if instances <= 0:
        slots = max(1, concurrency)
        return round(cold_start_s + counters.queued * mean / slots, 1)
    slots = instances * max(1, concurrency)
    ahead = counters.queued + counters.in_progress - slots + 1
    return round(max(0, ahead) * mean / slots, 1)


def estimate_finish_s(load: SystemLoad, pool: str) -> float:
    """Seconds before a job queued now on `pool` would finish: the queue time plus one mean execution."""
    counters = next(c for c in load.pools if c.pool == pool)
    return load.queue_time_s + (counters.mean_execution_s or DEFAULT_EXECUTION_S)
