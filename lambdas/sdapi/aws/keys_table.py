"""API keys on DynamoDB: partition key `key_hash` (hex SHA-256 of the key), GSI `by_key_id`."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sdapi.aws.clients import client
from sdapi.aws.dynamo import from_item, serialize, to_item
from sdapi.errors import Conflict, NotFound, UpstreamUnavailable
from sdapi.schema.items import KEY_ID_INDEX, KEYS_TABLE_KEY


class KeysTable:
    """Stores hashed API keys; plain keys never reach this class."""

    def __init__(self, table_name: str):
        self.table = table_name

    @property
    def _ddb(self):
        return client("dynamodb")

    def get(self, key_hash: str) -> dict[str, Any] | None:
        """The key record for a hash, or None."""
        try:
            response = self._ddb.get_item(TableName=self.table, Key={KEYS_TABLE_KEY: serialize(key_hash)})
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(f"keys table read failed: {error}") from error
        raw = response.get("Item")
        return from_item(raw) if raw else None

    def put(self, record: dict[str, Any]) -> None:
        """Insert a new key record (Conflict if that hash exists)."""
        try:
            self._ddb.put_item(
                TableName=self.table,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": KEYS_TABLE_KEY},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("that key already exists") from error
            raise UpstreamUnavailable(f"keys table write failed: {error}") from error

    def by_key_id(self, key_id: str) -> dict[str, Any] | None:
        response = self._ddb.query(
            TableName=self.table,
            IndexName=KEY_ID_INDEX,
            KeyConditionExpression="#i = :i",
            ExpressionAttributeNames={"#i": "key_id"},
            ExpressionAttributeValues={":i": serialize(key_id)},
        )
        items = response.get("Items") or []
        return from_item(items[0]) if items else None

    def list(self) -> list[dict[str, Any]]:
        """Every key record (an admin operation: a Scan)."""
        records: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.table}
        while True:
            response = self._ddb.scan(**kwargs)
            records += [from_item(i) for i in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return records
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def revoke(self, key_id: str) -> dict[str, Any]:
        """Mark the key with this id revoked; NotFound if there is none."""
        record = self.by_key_id(key_id)
        if record is None:
            raise NotFound(f"no key with id {key_id}")
        self._ddb.update_item(
            TableName=self.table,
            Key={KEYS_TABLE_KEY: serialize(record[KEYS_TABLE_KEY])},
            UpdateExpression="SET revoked = :t",
            ExpressionAttributeValues={":t": serialize(True)},
        )
        record["revoked"] = True
        return record
