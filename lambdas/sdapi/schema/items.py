"""DynamoDB layout of the jobs table, shared with the container (which updates state and progress).

Jobs table, partition key `id` (S):
- job items: `id` = job id. Attribute names below.
- counter items: `id` = `counters_id(pool)`; numeric attributes named after `COUNTER_FIELDS`.
- Powertools idempotency records may share the table (their ids contain '#', which job ids cannot).

GSI `by_deadline` (partition `active_pool` S, sort `deadline_at` N) is sparse: only active jobs carry
`active_pool`, and it is removed when a job becomes terminal. The sweeper queries it for overdue jobs.
"""

from __future__ import annotations

JOBS_TABLE_KEY = "id"
DEADLINE_INDEX = "by_deadline"

# Job item attributes that more than one component writes.
STATE = "state"
ATTEMPT = "attempt"
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"
STARTED_AT = "started_at"
COMPLETED_AT = "completed_at"
PROGRESS_STEP = "progress_step"
PROGRESS_TOTAL = "progress_total"
PREVIEW = "preview"
"""The running attempt's live preview (base64 PNG at latent resolution, written with the progress at most
once a second); removed when the job leaves IN_PROGRESS."""
INTERRUPTED = "interrupted"
"""True once the owner asked A1111's `/interrupt` of the running job: the worker ends denoising at its next
progress write, decodes what it has and completes the job with it, running no further batch iterations (an
extras batch keeps the image it is making and makes no further one)."""
SKIPS = "skips"
"""How many times the owner asked A1111's `/skip` of the running job: each new one the worker sees at a
progress write ends the iteration it is denoising (decoded and kept), and the next iteration runs (an extras
batch drops the image it is making and goes on with the next)."""
ACTIVE_POOL = "active_pool"
DEADLINE_AT = "deadline_at"
EXECUTION_TIMEOUT_S = "execution_timeout_s"
EXPIRES_AT = "expires_at"
ERROR = "error"
SUBMIT_TOKEN = "submit_token"  # noqa: S105 - an attribute name, not a secret
"""The `ClientRequestToken` of the transaction that created the item (a retry recognises its own)."""
ENQUEUED_AT = "enqueued_at"
"""When the invoke of the current attempt was accepted; absent on a QUEUED job nothing has invoked yet."""

COUNTER_FIELDS = {
    "QUEUED": "queued",
    "IN_PROGRESS": "in_progress",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
    "TIMED_OUT": "timed_out",
}
"""Counter attribute per state: the active ones are gauges, the terminal ones running totals."""

RETRIED = "retried"
COUNTER_VERSION = "moves"
"""How many times the counter item has moved (every counter update adds 1): the sweeper's recount writes
its correction only if this did not change while it counted."""
COUNTER_MOVED_AT = "moved_at"
"""When the counter item last moved (the writer's clock): the recount waits until the index has settled."""
EXEC_MS_TOTAL = "exec_ms_total"
"""Sum of execution milliseconds of completed jobs (with `completed`, gives the mean for queue estimates)."""


def counters_id(pool: str) -> str:
    return f"_counters#{pool}"


def options_id(key_id: str) -> str:
    """The item holding an API key's A1111 options (`POST /sdapi/v1/options`): its default checkpoint and
    VAE. Never expires; not a job (the id has a '#')."""
    return f"_options#{key_id}"


# Keys table: partition key `key_hash` (S, hex SHA-256 of the key); GSI `by_key_id` on `key_id`.
KEYS_TABLE_KEY = "key_hash"
KEY_ID_INDEX = "by_key_id"

# Rate table (the long-wait URL's per-key throttle, `sdapi.throttle`): partition key `counter` (S,
# `{key_id}#{window}`), number `hits`, TTL on `expires_at`.
RATE_TABLE_KEY = "counter"
