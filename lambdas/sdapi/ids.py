"""Job ids: `(milliseconds since 2024-01-01 UTC) << 10 | 10 random bits`, as a decimal string.

Positive, time-ordered, below 2^53 (so the v3 dialect can answer a JSON integer) until about the year 2302.
Uniqueness is enforced by the conditional put in the job store; a collision (two ids in the same
millisecond with the same random bits) surfaces as `Conflict` and the caller simply generates another.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

EPOCH_MS = 1_704_067_200_000
"""2024-01-01T00:00:00Z in Unix milliseconds."""

RANDOM_BITS = 10
MAX_ID = 2**53 - 1
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""What any job id (generated or chosen by a task-dialect caller) must look like; same as `Job.id`."""


def new_id(now: float | None = None) -> str:
    """A fresh generated job id for the given Unix time (default: now)."""
    ms = int((time.time() if now is None else now) * 1000) - EPOCH_MS
    value = (max(ms, 0) << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
    if value > MAX_ID:  # pragma: no cover - year 2302
        raise OverflowError("job id space exhausted")
    return str(value)


def is_generated(job_id: str) -> bool:
    """Whether the id looks like one `new_id` made (a decimal integer below 2^53)."""
    return job_id.isdigit() and len(job_id) <= 16 and int(job_id) <= MAX_ID


def created_at(job_id: str) -> float | None:
    """Unix time embedded in a generated id, or None for ids chosen by callers."""
    if not is_generated(job_id):
        return None
    return ((int(job_id) >> RANDOM_BITS) + EPOCH_MS) / 1000


def is_valid(job_id: str) -> bool:
    """Whether a caller-chosen id is acceptable (no ':' or '#', which the store reserves)."""
    return bool(ID_PATTERN.match(job_id))


SCOPED_ID_KEEP = 40
"""How much of a caller-chosen id its owner-scoped id keeps (readable in output folders)."""


def scoped_id(owner: str, caller_id: str) -> str:
    """The id a caller-chosen task id is stored under: `{caller id (first 40)}.{16 hex of
    sha256(owner, id)}`. Two owners may choose the same task id, and another owner's id reads exactly like
    a free one. Never equal to a generated id (it has a '.'), always a valid job id (at most 57 chars)."""
    digest = hashlib.sha256(f"{owner}\x00{caller_id}".encode()).hexdigest()[:16]
    return f"{caller_id[:SCOPED_ID_KEEP]}.{digest}"
