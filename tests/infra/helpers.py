"""Small readers over a synthesized template."""

from __future__ import annotations

import json
from typing import Any


def of_type(resources: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def one(resources: dict, kind: str) -> dict:
    found = list(of_type(resources, kind).values())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]["Properties"]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def text(value: Any) -> str:
    """A property as text (intrinsics included), for 'mentions' checks."""
    return json.dumps(value, sort_keys=True)


def role_statements(resources: dict, role_logical_id: str) -> list[dict]:
    """Every statement of the inline policies attached to a role."""
    statements = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        roles = policy["Properties"].get("Roles", [])
        if {"Ref": role_logical_id} in roles:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def function_role(resources: dict, handler: str) -> str:
    fn = next(
        v
        for v in of_type(resources, "AWS::Lambda::Function").values()
        if v["Properties"]["Handler"] == handler
    )
    return fn["Properties"]["Role"]["Fn::GetAtt"][0]


def table_id(resources: dict, partition_key: str) -> str:
    return next(
        k
        for k, v in of_type(resources, "AWS::DynamoDB::Table").items()
        if v["Properties"]["KeySchema"][0]["AttributeName"] == partition_key
    )


def queue_with_dlq(resources: dict, queue_id: str) -> str:
    """The logical id of the queue's dead-letter queue."""
    return resources[queue_id]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]


def scaling_alarm(resources: dict, alarm: dict) -> bool:
    """Whether an alarm's actions are Application Auto Scaling policies (not paging)."""
    actions = alarm["Properties"].get("AlarmActions", [])
    return any(
        isinstance(a, dict)
        and resources.get(a.get("Ref"), {}).get("Type") == "AWS::ApplicationAutoScaling::ScalingPolicy"
        for a in actions
    )
