"""Conversions between plain Python values and DynamoDB's typed attribute values."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_DECIMAL = Context(prec=38)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal | bytes):
        return value
    if isinstance(value, float):
        return _DECIMAL.create_decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    if hasattr(value, "value"):  # enums
        return _to_dynamo(value.value)
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(value: Any) -> dict[str, Any]:
    """One attribute value in DynamoDB's wire form ({"S": ...}, {"N": ...}, …)."""
    return _serializer.serialize(_to_dynamo(value))


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A whole item in wire form; attributes whose value is None are left out."""
    return {k: serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A wire-form item as plain Python (integral numbers as int, others as float)."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}
