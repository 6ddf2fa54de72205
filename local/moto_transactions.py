"""moto's DynamoDB transactions at a cost that does not grow with the table (the local stack and the tests).

moto 5 backs a `TransactWriteItems` up by deep-copying every table it names — all items and the whole stream
shard — and every copied item and record is also kept in moto's instance registry until the mock is reset.
So each transaction costs time in proportion to everything written so far (under the local stack's one
DynamoDB lock, every other request waits behind it: the 15 s job reads of the chaos storm), and memory grows
with the square of the writes (~2 GB after 150 submits; the schemathesis run could not finish).

`install()` keeps moto's transaction code and its semantics (all or nothing, the same cancellation reasons)
and changes only the backup: a table named by the transaction is copied shallowly, with deep copies of just
the items the transaction addresses, and its stream shard is shared (a failed transaction cuts the records it
added). Idempotent; a no-op when moto's internals are not what this expects (it then logs why).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("local.moto")

_state = threading.local()
_installed = False


def _addressed(backend: Any, transact_items: list[Mapping[str, Any]]) -> dict[str, set[Any]]:
    """Table name → the hash keys (moto `DynamoType`s) the transaction's actions address."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys: dict[str, set[Any]] = {}
    for action in transact_items:
        for op in action.values():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, Mapping) else None
            if table is None:
                continue
            attributes = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr in attributes:
                keys.setdefault(table.name, set()).add(DynamoType(attributes[table.hash_key_attr]))
    return keys


def _backup(table: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy(table)` inside a transaction: what a rollback needs, not the whole table."""
    addressed = getattr(_state, "addressed", None)
    if addressed is None or table.name not in addressed:
        return _plain_deepcopy(table, memo)
    clone = copy.copy(table)
    clone.items = copy.copy(table.items)
    for hash_key in addressed[table.name]:
        if hash_key in table.items:
            clone.items[hash_key] = copy.deepcopy(table.items[hash_key], memo)
    return clone


def _plain_deepcopy(table: Any, memo: dict[int, Any]) -> Any:
    """What `copy.deepcopy` does for an object without `__deepcopy__` (moto's table backups)."""
    return copy._reconstruct(table, memo, *table.__reduce_ex__(4))  # type: ignore[attr-defined]


def install() -> None:
    """Patch moto's `DynamoDBBackend.transact_write_items` backup (once per process)."""
    global _installed
    if _installed:
        return
    try:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table
    except ImportError as error:  # pragma: no cover - moto layout changed
        log.warning("moto transactions left as they are: %s", error)
        return
    if "__deepcopy__" in Table.__dict__ or not hasattr(DynamoDBBackend, "transact_write_items"):
        log.warning("moto transactions left as they are: Table defines its own copy")  # pragma: no cover
        return
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        addressed = _addressed(self, transact_items)
        shards = {
            name: (self.tables[name].stream_shard, len(self.tables[name].stream_shard.items))
            for name in addressed
            if getattr(self.tables[name], "stream_shard", None) is not None
        }
        _state.addressed = addressed
        try:
            original(self, transact_items)
        except Exception:
            for name, (shard, length) in shards.items():
                del shard.items[length:]  # the records of the writes that were rolled back
                shard.table = self.tables.get(name, shard.table)
            raise
        finally:
            _state.addressed = None

    Table.__deepcopy__ = _backup
    DynamoDBBackend.transact_write_items = transact_write_items
    _installed = True
