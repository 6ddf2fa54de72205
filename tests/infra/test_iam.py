"""Least privilege: exact actions per role; wildcards only where AWS offers no resource-level permission
(or for per-job objects under a fixed prefix). Adding any other wildcard fails here."""

from __future__ import annotations

from tests.infra.helpers import as_list, function_role, of_type, role_statements, text

RESOURCELESS_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ecr:GetAuthorizationToken",
    "dynamodb:ListStreams",
}
"""Actions AWS only grants on Resource "*"."""
OBJECT_PREFIXES = {"inputs/", "outputs/", "uploads/", "async-output/", "async-failure/", "models/default/"}

EXPECTED = {
    "api": {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "s3:GetObject",
        "s3:PutObject",
        "sagemaker:InvokeEndpointAsync",
        "sagemaker:DescribeEndpoint",
    },
    "completion": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "s3:GetObject",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    },
    "events": {
        "sns:Publish",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "dynamodb:ListStreams",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    },
    "webhooks": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "s3:GetObject",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    },
    "sweeper": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"},
}
COMMON = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def all_statements(resources):
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        yield from policy["Properties"]["PolicyDocument"]["Statement"]


def test_no_wildcard_actions_anywhere(resources):
    for statement in all_statements(resources):
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"


def test_star_resources_only_for_actions_without_resource_level_permissions(resources):
    for statement in all_statements(resources):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= RESOURCELESS_ACTIONS, statement


def test_partial_wildcards_are_object_prefixes_or_log_streams(resources):
    for statement in all_statements(resources):
        for resource in as_list(statement["Resource"]):
            rendered = text(resource)
            if resource == "*" or "*" not in rendered:
                continue
            assert any(f'/{prefix}*"' in rendered for prefix in OBJECT_PREFIXES), rendered


def test_each_function_role_has_exactly_its_actions(resources):
    for name, expected in EXPECTED.items():
        statements = role_statements(resources, function_role(resources, f"sdapi.handlers.{name}.handler"))
        actions = {a for s in statements for a in as_list(s["Action"])}
        assert actions == expected | COMMON, (name, actions ^ (expected | COMMON))


def test_no_managed_policies_except_api_gateway_logging(resources):
    for logical_id, role in of_type(resources, "AWS::IAM::Role").items():
        managed = role["Properties"].get("ManagedPolicyArns", [])
        if managed:
            assert "CloudWatchRole" in logical_id
            assert "AmazonAPIGatewayPushToCloudWatchLogs" in text(managed)
