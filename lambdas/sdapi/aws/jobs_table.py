"""`JobStore` on DynamoDB: job items and per-pool counter items in one table (layout in `schema/items.py`).

Every state change is one `TransactWriteItems` built by `schema/job_writes.py` from the state machine in
`schema/states.py` (the container sends the same builder's requests): the conditional job update plus the
counter moves, so the gauges never disagree with the items they count (the sweeper's `recount` corrects any
drift, with a conditional write that never overwrites a concurrent move). A failed condition means a
duplicate or late event and returns None.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sdapi.aws.clients import client
from sdapi.aws.dynamo import from_item, serialize, to_item
from sdapi.errors import AlreadySubmitted, Conflict, UpstreamUnavailable
from sdapi.records import Counters, GaugeCorrection, JobRecord, Recount
from sdapi.schema import items as I
from sdapi.schema import job_writes, states
from sdapi.schema.job import ACTIVE_STATES, Job, JobState
from sdapi.schema.job_writes import TransitionWrite, creation_counters

_COUNTER_ATTRS = (*I.COUNTER_FIELDS.values(), I.RETRIED, I.EXEC_MS_TOTAL)


def _counters(pool: str, item: Mapping[str, Any]) -> Counters:
    """A pool's counter item as `Counters` (missing attributes read as zero, gauges never negative)."""
    return Counters(pool=pool, **{a: max(0, int(item.get(a, 0))) for a in _COUNTER_ATTRS})


def _cancel_codes(error: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]


class JobsTable:
    """The jobs table (name from `Settings.jobs_table`)."""

    def __init__(self, table_name: str, clock=time.time):
        self.table = table_name
        self.clock = clock

    @property
    def _ddb(self):
        return client("dynamodb")

    # -- writes --------------------------------------------------------------------------------------------

    def create(
        self,
        job: Job,
        record: JobRecord,
        *,
        idempotency_id: str | None = None,
        idempotency_expires_at: int | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Put the job item (Conflict if the id is taken) and bump `queued` on the pool's counters, in one
        transaction. With `idempotency_id`, also put that marker item (pointing at this job, with the
        request's `fingerprint`) in the same transaction; if the marker exists already, raise
        `AlreadySubmitted` carrying the earlier job's id and fingerprint.

        Idempotent: `record.submit_token` is the transaction's `ClientRequestToken` (DynamoDB applies a
        retried call with the same token once, for 10 minutes) and is stored on the item, so a retry whose
        condition fails because its own earlier attempt committed (botocore retries a read timeout; a
        store without token support) recognises its item and returns as if it had written it."""
        values = record.model_dump(mode="json")
        values[I.ACTIVE_POOL] = record.active_pool or record.pool
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(values),
                    "ConditionExpression": "attribute_not_exists(#id)",
                    "ExpressionAttributeNames": {"#id": I.JOBS_TABLE_KEY},
                }
            },
            creation_counters(self.table, record.pool, self.clock()),
        ]
        if idempotency_id is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                I.JOBS_TABLE_KEY: idempotency_id,
                                "job_id": job.id,
                                "owner": job.owner,
                                "fingerprint": fingerprint,
                                I.EXPIRES_AT: idempotency_expires_at,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(#id)",
                        "ExpressionAttributeNames": {"#id": I.JOBS_TABLE_KEY},
                    }
                }
            )
        token = {"ClientRequestToken": record.submit_token} if record.submit_token else {}
        try:
            self._ddb.transact_write_items(TransactItems=items, **token)
        except ClientError as error:
            codes = _cancel_codes(error)
            if codes and codes[0] == "ConditionalCheckFailed" and self._is_own(job.id, record.submit_token):
                return  # our own earlier attempt committed: the write is done
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                earlier = self._get_raw(idempotency_id or "")
                if earlier and earlier.get("job_id"):
                    raise AlreadySubmitted(str(earlier["job_id"]), earlier.get("fingerprint")) from error
            if error.response.get("Error", {}).get("Code") == "IdempotentParameterMismatchException":
                raise Conflict(f"job id {job.task_id or job.id!r} is already taken") from error
            if codes and codes[0] == "ConditionalCheckFailed":
                raise Conflict(f"job id {job.task_id or job.id!r} is already taken") from error
            raise UpstreamUnavailable(f"jobs table write failed: {_reason(error)}") from error
        except BotoCoreError as error:
            raise UpstreamUnavailable(f"jobs table write failed: {error}") from error

    def _is_own(self, job_id: str, token: str | None) -> bool:
        """Whether the item `job_id` was written by the transaction with this `ClientRequestToken`."""
        if not token:
            return False
        existing = self._get_raw(job_id, consistent=True)
        return existing is not None and existing.get(I.SUBMIT_TOKEN) == token

    def transition(
        self,
        job_id: str,
        to: JobState,
        *,
        expected: Iterable[JobState],
        attempt: int | None = None,
        updates: Mapping[str, Any] | None = None,
        exec_ms: int | None = None,
    ) -> JobRecord | None:
        """Move a job to `to` if its state is one of `expected` (and its attempt matches, when given),
        setting `updates` (None values remove the attribute) and moving the pool's counters in the same
        transaction, as the state machine declares (`schema/states.py`; the request is built by
        `schema/job_writes.py`). Asking for a move the state machine does not have raises
        `IllegalTransition`.

        Returns the new record, or None when the job is missing or the condition did not hold."""
        expected = frozenset(expected)
        for state in expected:
            states.check(state, to)
        current = self._get_raw(job_id, consistent=True)
        if current is None or I.STATE not in current:
            return None
        old = JobState(current[I.STATE])
        current_attempt = int(current.get(I.ATTEMPT, 0))
        if old not in expected or (attempt is not None and attempt != current_attempt):
            return None
        write = TransitionWrite(
            table=self.table,
            job_id=job_id,
            pool=current["pool"],
            old=old,
            new=to,
            attempt=current_attempt,
            now=self.clock(),
            updates=updates or {},
            exec_ms=exec_ms,
        )
        try:
            self._ddb.transact_write_items(TransactItems=write.transact_items())
        except ClientError as error:
            if "ConditionalCheckFailed" in _cancel_codes(error):
                return None
            raise UpstreamUnavailable(f"jobs table write failed: {_reason(error)}") from error
        except BotoCoreError as error:
            raise UpstreamUnavailable(f"jobs table write failed: {error}") from error
        merged = {k: v for k, v in current.items() if k not in write.removes}
        merged.update(write.sets)
        return JobRecord.model_validate(merged)

    def update(self, job_id: str, updates: Mapping[str, Any]) -> None:
        """Set (or, for None values, remove) non-state attributes of an existing job item."""
        if not updates:
            return
        names = {"#k": I.JOBS_TABLE_KEY}
        values: dict[str, Any] = {}
        set_parts, remove_parts = [], []
        for i, (name, value) in enumerate(updates.items()):
            names[f"#a{i}"] = name
            if value is None:
                remove_parts.append(f"#a{i}")
            else:
                values[f":a{i}"] = serialize(value)
                set_parts.append(f"#a{i} = :a{i}")
        expression = " ".join(
            part
            for part in (
                "SET " + ", ".join(set_parts) if set_parts else "",
                "REMOVE " + ", ".join(remove_parts) if remove_parts else "",
            )
            if part
        )
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": {I.JOBS_TABLE_KEY: serialize(job_id)},
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(#k)",
            "ExpressionAttributeNames": names,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._ddb.update_item(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return
            raise UpstreamUnavailable(f"jobs table write failed: {_reason(error)}") from error

    def signal(self, job_id: str, *, skip: bool) -> bool:
        """Record A1111's interrupt (or, with `skip`, one more skip) on an IN_PROGRESS job for its worker
        (`job_writes.signal_update`); False when the job is not IN_PROGRESS."""
        try:
            self._ddb.update_item(**job_writes.signal_update(self.table, job_id, skip=skip))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise UpstreamUnavailable(f"jobs table write failed: {_reason(error)}") from error
        return True

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobRecord | None:
        """The job record (one strongly consistent GetItem), or None."""
        raw = self._get_raw(job_id, consistent=True)
        if raw is None or I.STATE not in raw:
            return None
        return JobRecord.model_validate(raw)

    def overdue(self, pool: str, now: float, limit: int = 100) -> list[JobRecord]:
        """Active jobs of a pool whose `deadline_at` is before `now` (GSI `by_deadline`, oldest first)."""
        return self._query_active(pool, limit=limit, before=now)

    def queued(self, pool: str, owner: str | None = None) -> list[JobRecord]:
        """QUEUED jobs of a pool (optionally one owner's), from the sparse deadline index."""
        return [
            r
            for r in self._query_active(pool)
            if r.state == JobState.QUEUED and (owner is None or r.owner == owner)
        ]

    def active(self, pool: str, owner: str | None = None) -> list[JobRecord]:
        """QUEUED and IN_PROGRESS jobs of a pool (optionally one owner's), from the sparse deadline index."""
        return [r for r in self._query_active(pool) if owner is None or r.owner == owner]

    def key_options(self, key_id: str) -> dict[str, Any]:
        """The A1111 options stored for an API key (item `_options#{key_id}`; empty when none)."""
        raw = self._get_raw(I.options_id(key_id), consistent=True)
        options = (raw or {}).get("options")
        return dict(options) if isinstance(options, Mapping) else {}

    def put_key_options(self, key_id: str, options: Mapping[str, Any]) -> None:
        """Store an API key's A1111 options (one PutItem replacing the previous ones)."""
        item = {I.JOBS_TABLE_KEY: I.options_id(key_id), "key_id": key_id, "options": dict(options)}
        try:
            self._ddb.put_item(TableName=self.table, Item=to_item(item))
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(f"jobs table write failed: {error}") from error

    def counters(self, pools: Iterable[str]) -> list[Counters]:
        """All named pools' counters with one BatchGetItem (missing items read as zeros)."""
        wanted = list(dict.fromkeys(pools))
        if not wanted:
            return []
        keys = [{I.JOBS_TABLE_KEY: serialize(I.counters_id(p))} for p in wanted]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self.table: {"Keys": keys}}
        try:
            for _ in range(5):
                response = self._ddb.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    item = from_item(raw)
                    found[item[I.JOBS_TABLE_KEY]] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(f"jobs table read failed: {error}") from error
        return [_counters(pool, found.get(I.counters_id(pool), {})) for pool in wanted]

    def recount(self, pool: str, settled_before: float | None = None) -> Recount:
        """Count the pool's active jobs from the deadline index and correct the gauges that differ.

        Safe beside concurrent writers: the counter item is read first (its `moves` and `moved_at`), and
        the correction is a conditional write that applies only if no transition moved the counters since
        (a transition committed while counting would otherwise be overwritten with a stale count). With
        `settled_before`, a pool whose counters moved after that time is left for the next run (the index is
        eventually consistent: a move that just committed may not be in it yet)."""
        raw = self._get_raw(I.counters_id(pool), consistent=True) or {}
        current = _counters(pool, raw)
        moved_at = float(raw.get(I.COUNTER_MOVED_AT, 0))
        if settled_before is not None and moved_at > settled_before:
            return Recount(counters=current, skipped="the counters moved moments ago (the index may lag)")
        tally = Tally(r.state for r in self._query_active(pool))
        counted = {
            I.COUNTER_FIELDS[JobState.QUEUED]: tally.get(JobState.QUEUED, 0),
            I.COUNTER_FIELDS[JobState.IN_PROGRESS]: tally.get(JobState.IN_PROGRESS, 0),
        }
        corrected = [
            GaugeCorrection(pool=pool, gauge=gauge, was=int(raw.get(gauge, 0)), now=value)
            for gauge, value in counted.items()
            if int(raw.get(gauge, 0)) != value
        ]
        if not corrected:
            return Recount(counters=current)
        moves = raw.get(I.COUNTER_VERSION)
        names = {"#q": "queued", "#p": "in_progress", "#pool": "pool", "#v": I.COUNTER_VERSION}
        values = {
            ":q": serialize(counted["queued"]),
            ":p": serialize(counted["in_progress"]),
            ":pool": serialize(pool),
            ":one": serialize(1),
        }
        if moves is None:
            condition = "attribute_not_exists(#v)"
        else:
            condition = "#v = :moves"
            values[":moves"] = serialize(moves)
        try:
            response = self._ddb.update_item(
                TableName=self.table,
                Key={I.JOBS_TABLE_KEY: serialize(I.counters_id(pool))},
                UpdateExpression="SET #q = :q, #p = :p, #pool = :pool ADD #v :one",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return Recount(counters=current, skipped="the counters moved while the jobs were counted")
            raise UpstreamUnavailable(f"jobs table write failed: {_reason(error)}") from error
        except BotoCoreError as error:
            raise UpstreamUnavailable(f"jobs table write failed: {error}") from error
        after = _counters(pool, from_item(response.get("Attributes", {})))
        return Recount(counters=after, corrected=corrected)

    # -- helpers -------------------------------------------------------------------------------------------

    def _get_raw(self, key: str, consistent: bool = True) -> dict[str, Any] | None:
        try:
            response = self._ddb.get_item(
                TableName=self.table, Key={I.JOBS_TABLE_KEY: serialize(key)}, ConsistentRead=consistent
            )
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(f"jobs table read failed: {error}") from error
        raw = response.get("Item")
        return from_item(raw) if raw else None

    def _query_active(
        self, pool: str, limit: int | None = None, before: float | None = None
    ) -> list[JobRecord]:
        condition = "#ap = :pool"
        names = {"#ap": I.ACTIVE_POOL}
        values: dict[str, Any] = {":pool": serialize(pool)}
        if before is not None:
            condition += " AND #dl < :now"
            names["#dl"] = I.DEADLINE_AT
            values[":now"] = serialize(before)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": I.DEADLINE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        records: list[JobRecord] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(records)
            response = self._ddb.query(**kwargs)
            for raw in response.get("Items", []):
                item = from_item(raw)
                if I.STATE in item and JobState(item[I.STATE]) in ACTIVE_STATES:
                    records.append(JobRecord.model_validate(item))
            last = response.get("LastEvaluatedKey")
            if not last or (limit is not None and len(records) >= limit):
                return records
            kwargs["ExclusiveStartKey"] = last


def _reason(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "error")
