"""cdk-nag finding ids built from the very tokens a resource uses.

cdk-nag names a wildcard resource by flattening its CloudFormation value (`Ref` → `<Id>`, `Fn::GetAtt` →
`<Id.Attr>`, `Fn::Join` joined, literals as they are). An acknowledgement written by hand with
placeholders only matches one environment: with a concrete account and region (what the CDK CLI always
has) the region and account are literals, without them they are `<AWS::Region>`/`<AWS::AccountId>`. Building
the id from the same value the policy holds, resolved in its stack, matches in every environment.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack
from constructs import Construct


def flatten(value: Any) -> str:
    """cdk-nag's `flattenCfnReference` (cdk-nag 3.x, src/utils/flatten-cfn-reference.ts) in Python."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten(item) for item in items)
        if "Fn::Sub" in value:
            return flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten(resource)}.{flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def resource_text(scope: Construct, value: str) -> str:
    """How cdk-nag shows `value` (a string that may hold tokens) in a finding of `scope`'s stack."""
    return flatten(Stack.of(scope).resolve(value))


def wildcard_finding(scope: Construct, resource: str) -> str:
    """The IAM5 finding id for a policy resource `resource` (ending in `*`) granted in `scope`'s stack."""
    return f"AwsSolutions-IAM5[Resource::{resource_text(scope, resource)}]"
