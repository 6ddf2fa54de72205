"""The job state machine, declared once: the states, the transitions allowed between them, and what each
transition does to the pool's counters and to the deadline index.

`schema/job_writes.py` turns a transition into the DynamoDB request; the Lambdas (`aws/jobs_table.py`) and
the container (`inference_container/storage.py`) both send what it builds.

    (new) ──► QUEUED ──► IN_PROGRESS ──► COMPLETED | FAILED | CANCELLED | TIMED_OUT
                 │                              ▲
                 └──────────────────────────────┘   (a queued job can end without starting)
    FAILED | TIMED_OUT ──► QUEUED                   (RunPod /retry, attempt + 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from sdapi.schema import items


class JobState(StrEnum):
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"


TERMINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT})
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.IN_PROGRESS})

INITIAL_STATE = JobState.QUEUED
"""The state a new job item is created in."""

RUNNING_STATE = JobState.IN_PROGRESS
"""The only state in which the container may write progress (a refused progress write means: stop)."""

RETRYABLE_STATES = frozenset({JobState.FAILED, JobState.TIMED_OUT})
"""Terminal states a job may leave again (RunPod `/retry` puts it back in the queue)."""

_ENDINGS = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT})

TRANSITIONS: Mapping[JobState, frozenset[JobState]] = MappingProxyType(
    {
        JobState.QUEUED: frozenset({JobState.IN_PROGRESS, *_ENDINGS}),
        JobState.IN_PROGRESS: _ENDINGS,
        JobState.COMPLETED: frozenset(),
        JobState.FAILED: frozenset({JobState.QUEUED}),
        JobState.CANCELLED: frozenset(),
        JobState.TIMED_OUT: frozenset({JobState.QUEUED}),
    }
)
"""Every allowed move, from → to. Anything else is a programming error (`IllegalTransition`)."""


class IllegalTransition(ValueError):
    """A caller asked for a move the state machine does not have (a bug, not a race)."""

    def __init__(self, old: JobState, new: JobState):
        options = ", ".join(sorted(TRANSITIONS[old])) or "none"
        super().__init__(f"a job cannot go from {old} to {new} (allowed from {old}: {options})")
        self.old, self.new = old, new


def allowed(old: JobState, new: JobState) -> bool:
    """Whether the state machine has the move `old` → `new`."""
    return new in TRANSITIONS[old]


def check(old: JobState, new: JobState) -> None:
    """Raise `IllegalTransition` unless `old` → `new` is an allowed move."""
    if not allowed(old, new):
        raise IllegalTransition(old, new)


def counter_moves(old: JobState | None, new: JobState, exec_ms: int | None = None) -> dict[str, int]:
    """How the pool's counter item moves when a job goes `old` → `new` (`old` None: the job is created).

    The old state's gauge -1 (active states only: terminal counters are running totals), the new state's
    counter +1, `retried` +1 when a terminal job becomes active again, and `exec_ms_total` += `exec_ms` on
    COMPLETED (with `completed`, the mean execution time for queue estimates).
    """
    if old is None:
        if new != INITIAL_STATE:
            raise ValueError(f"a new job starts {INITIAL_STATE}, not {new}")
    else:
        check(old, new)
    moves: dict[str, int] = {}
    if old in ACTIVE_STATES:
        moves[items.COUNTER_FIELDS[old]] = -1
    moves[items.COUNTER_FIELDS[new]] = moves.get(items.COUNTER_FIELDS[new], 0) + 1
    if old in TERMINAL_STATES and new in ACTIVE_STATES:
        moves[items.RETRIED] = 1
    if new == JobState.COMPLETED and exec_ms:
        moves[items.EXEC_MS_TOTAL] = int(exec_ms)
    return moves


def index_attributes(new: JobState) -> tuple[bool, tuple[str, ...]]:
    """What entering `new` does to the sparse deadline index: (set `active_pool`?, attributes to remove).

    Active jobs carry `active_pool` (the caller sets the new `deadline_at`); a terminal job leaves the index,
    so `active_pool` and `deadline_at` are removed.
    """
    if new in ACTIVE_STATES:
        return True, ()
    return False, (items.ACTIVE_POOL, items.DEADLINE_AT)
