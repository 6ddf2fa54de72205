"""The DynamoDB requests of the job state machine (`schema/states.py`), built once for both sides.

`TransitionWrite.transact_items()` is the `TransactItems` of one state change: the conditional job update
plus the counter moves, so the gauges never disagree with the items they count. `progress_update()` is the
container's progress write, whose condition is also its cancellation, interrupt and skip check. Everything
here only builds request parameters in the low-level client's wire form; the boto3 calls stay in the adapters
(`sdapi/aws/jobs_table.py`, `inference_container/storage.py`). Standard library only: the container image
copies this folder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from sdapi.schema import items, states
from sdapi.schema.states import JobState

_SET_BY_THE_TRANSITION = frozenset({items.STATE, items.JOBS_TABLE_KEY, items.UPDATED_AT})


def wire(value: Any) -> dict[str, Any]:
    """One attribute value in DynamoDB's wire form ({"S": ...}, {"N": ...}, {"L": [...]}, {"M": {...}})."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, Enum):
        return wire(value.value)
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"DynamoDB cannot store the number {value!r}")
        return {"N": repr(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): wire(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [wire(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _key(job_id: str) -> dict[str, Any]:
    return {items.JOBS_TABLE_KEY: wire(job_id)}


class _Names:
    """One `#aN` placeholder per attribute name (DynamoDB rejects unused or clashing ones)."""

    def __init__(self) -> None:
        self.by_attribute: dict[str, str] = {}

    def __call__(self, attribute: str) -> str:
        return self.by_attribute.setdefault(attribute, f"#a{len(self.by_attribute)}")

    def mapping(self) -> dict[str, str]:
        return {placeholder: name for name, placeholder in self.by_attribute.items()}


def _attempt_matches(ref: _Names) -> str:
    """The attempt condition: items written before attempts existed count as attempt 0's."""
    return f"(attribute_not_exists({ref(items.ATTEMPT)}) OR {ref(items.ATTEMPT)} = :att)"


def counter_update(table: str, pool: str, moves: Mapping[str, int], now: float) -> dict[str, Any]:
    """The `Update` action that adds `moves` to the pool's counter item (created on first use), counts the
    move (`moves`) and stamps it (`moved_at`), so that the sweeper's recount can tell whether the counters
    moved while it counted."""
    names = {"#pool": "pool", "#at": items.COUNTER_MOVED_AT, "#v": items.COUNTER_VERSION}
    values: dict[str, Any] = {":pool": wire(pool), ":at": wire(now), ":one": wire(1)}
    adds = []
    for i, (name, delta) in enumerate(moves.items()):
        names[f"#c{i}"] = name
        values[f":c{i}"] = wire(delta)
        adds.append(f"#c{i} :c{i}")
    return {
        "Update": {
            "TableName": table,
            "Key": _key(items.counters_id(pool)),
            "UpdateExpression": "SET #pool = :pool, #at = :at ADD " + ", ".join([*adds, "#v :one"]),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def creation_counters(table: str, pool: str, now: float) -> dict[str, Any]:
    """The counter `Update` that goes with putting a new job item (it enters the initial state)."""
    return counter_update(table, pool, states.counter_moves(None, states.INITIAL_STATE), now)


@dataclass(frozen=True)
class TransitionWrite:
    """One state change of one job item: `old` → `new` if the item is still `old` for `attempt`.

    `updates` are the other attributes the change sets (None values remove the attribute); the transition
    itself sets `state` and `updated_at`, sets `active_pool` when entering an active state, removes
    `active_pool` and `deadline_at` when entering a terminal one, and removes the live preview when leaving
    IN_PROGRESS.
    """

    table: str
    job_id: str
    pool: str
    old: JobState
    new: JobState
    attempt: int
    now: float
    updates: Mapping[str, Any] = field(default_factory=dict)
    exec_ms: int | None = None

    def __post_init__(self) -> None:
        states.check(self.old, self.new)

    @cached_property
    def _changes(self) -> tuple[dict[str, Any], list[str]]:
        sets: dict[str, Any] = {items.STATE: self.new.value, items.UPDATED_AT: self.now}
        removes: list[str] = []
        for name, value in self.updates.items():
            if name in _SET_BY_THE_TRANSITION:
                continue
            if value is None:
                removes.append(name)
            else:
                sets[name] = value
        joins_index, leaves = states.index_attributes(self.new)
        if joins_index:
            sets[items.ACTIVE_POOL] = self.pool
        removes += [a for a in leaves if a not in sets and a not in removes]
        if self.new != states.RUNNING_STATE and items.PREVIEW not in removes:
            removes.append(items.PREVIEW)  # the live preview belongs to the running attempt
        return sets, removes

    @property
    def sets(self) -> dict[str, Any]:
        """Attributes the change sets, with their new values."""
        return dict(self._changes[0])

    @property
    def removes(self) -> list[str]:
        """Attributes the change removes."""
        return list(self._changes[1])

    def job_update(self) -> dict[str, Any]:
        """The conditional `Update` action on the job item (on a failed condition it returns the old
        item, so the writer can tell a re-delivery from a cancelled job)."""
        ref = _Names()
        values: dict[str, Any] = {":old": wire(self.old.value), ":att": wire(self.attempt)}
        condition = (
            f"attribute_exists({ref(items.JOBS_TABLE_KEY)}) AND {ref(items.STATE)} = :old"
            f" AND {_attempt_matches(ref)}"
        )
        set_parts = []
        for i, (name, value) in enumerate(self._changes[0].items()):
            values[f":s{i}"] = wire(value)
            set_parts.append(f"{ref(name)} = :s{i}")
        expression = "SET " + ", ".join(set_parts)
        remove_parts = [ref(name) for name in self._changes[1]]
        if remove_parts:
            expression += " REMOVE " + ", ".join(remove_parts)
        return {
            "Update": {
                "TableName": self.table,
                "Key": _key(self.job_id),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": ref.mapping(),
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def transact_items(self) -> list[dict[str, Any]]:
        """`TransactItems` for `transact_write_items`: the job update first, then the counter moves."""
        moves = states.counter_moves(self.old, self.new, self.exec_ms)
        return [self.job_update(), counter_update(self.table, self.pool, moves, self.now)]


@dataclass(frozen=True)
class Signals:
    """A1111's `/interrupt` and `/skip` of a running job, as the worker reads them from the job item."""

    interrupted: bool = False
    skips: int = 0
    """How many skips were asked: the worker acts on each new one once."""

    @classmethod
    def of(cls, item: Mapping[str, Any] | None) -> Signals:
        """The signals of a wire-form job item (none where absent)."""
        item = item or {}
        skips = item.get(items.SKIPS, {}).get("N")
        return cls(interrupted=item.get(items.INTERRUPTED, {}).get("BOOL") is True, skips=int(skips or 0))


def progress_update(
    table: str,
    job_id: str,
    attempt: int,
    progress: tuple[int, int],
    now: float,
    preview: str | None = None,
    seen: Signals | None = None,
) -> dict[str, Any]:
    """`update_item` parameters for a progress write of (step, total) and, when given, the live preview,
    accepted only while the job is still running this attempt and holds no signal beyond `seen` (the
    worker's last reading). A write that succeeds returns nothing, so the stored preview never travels back.
    A refused one returns the item (`ReturnValuesOnConditionCheckFailure`): either the job stopped
    (cancelled, timed out: `refused_state`) and the work stops, or the owner interrupted or skipped
    (`Signals.of`) and the worker acts on it and writes again with the new `seen`."""
    seen = seen or Signals()
    step, total = progress
    ref = _Names()
    values = {
        ":step": wire(step),
        ":total": wire(total),
        ":now": wire(now),
        ":running": wire(states.RUNNING_STATE.value),
        ":att": wire(attempt),
        ":skips": wire(seen.skips),
    }
    expression = (
        f"SET {ref(items.PROGRESS_STEP)} = :step, {ref(items.PROGRESS_TOTAL)} = :total, "
        f"{ref(items.UPDATED_AT)} = :now"
    )
    if preview is not None:
        values[":preview"] = wire(preview)
        expression += f", {ref(items.PREVIEW)} = :preview"
    condition = (
        f"{ref(items.STATE)} = :running AND {_attempt_matches(ref)}"
        f" AND (attribute_not_exists({ref(items.SKIPS)}) OR {ref(items.SKIPS)} <= :skips)"
    )
    if not seen.interrupted:
        values[":yes"] = wire(True)
        interrupted = ref(items.INTERRUPTED)
        condition += f" AND (attribute_not_exists({interrupted}) OR {interrupted} <> :yes)"
    return {
        "TableName": table,
        "Key": _key(job_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": ref.mapping(),
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def signal_update(table: str, job_id: str, *, skip: bool) -> dict[str, Any]:
    """`update_item` parameters that record an interrupt (or, with `skip`, one more skip) on a job, accepted
    only while it is IN_PROGRESS (A1111's `/interrupt` and `/skip` act on the running job only)."""
    ref = _Names()
    values: dict[str, Any] = {":running": wire(states.RUNNING_STATE.value)}
    if skip:
        values[":one"] = wire(1)
        expression = f"ADD {ref(items.SKIPS)} :one"
    else:
        values[":yes"] = wire(True)
        expression = f"SET {ref(items.INTERRUPTED)} = :yes"
    return {
        "TableName": table,
        "Key": _key(job_id),
        "UpdateExpression": expression,
        "ConditionExpression": f"{ref(items.STATE)} = :running",
        "ExpressionAttributeNames": ref.mapping(),
        "ExpressionAttributeValues": values,
    }


def refused_state(old_item: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    """(state, attempt) of the wire-form item a refused condition returned (None where absent)."""
    old_item = old_item or {}
    state = old_item.get(items.STATE, {}).get("S")
    attempt = old_item.get(items.ATTEMPT, {}).get("N")
    return state, int(attempt) if attempt is not None else None
