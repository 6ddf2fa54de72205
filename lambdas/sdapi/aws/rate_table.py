"""Per-key request counters on DynamoDB (the long-wait function's throttle, `sdapi.throttle`): partition key
`counter` (`{key_id}#{window}`), attribute `hits`, TTL on `expires_at`."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from sdapi.aws.clients import client
from sdapi.aws.dynamo import serialize
from sdapi.errors import UpstreamUnavailable
from sdapi.schema.items import RATE_TABLE_KEY


class RateTable:
    def __init__(self, table_name: str):
        self.table = table_name

    def hit(self, counter: str, limit: int, expires_at: int) -> bool:
        """Add one to `counter` unless it holds `limit` already (one conditional update)."""
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key={RATE_TABLE_KEY: serialize(counter)},
                UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues={
                    ":one": serialize(1),
                    ":limit": serialize(limit),
                    ":expires": serialize(expires_at),
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise UpstreamUnavailable(f"rate table write failed: {error}") from error
        except BotoCoreError as error:
            raise UpstreamUnavailable(f"rate table write failed: {error}") from error
        return True
