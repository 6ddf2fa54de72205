"""Least privilege: exact actions per role; wildcards only where AWS offers no resource-level permission
(or for per-job objects under a fixed prefix). Adding any other wildcard fails here."""

from __future__ import annotations

from tests.infra.helpers import as_list, function_role, of_type, queue_with_dlq, role_statements, text

RESOURCELESS_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ecr:GetAuthorizationToken",
    "dynamodb:ListStreams",
    "cloudwatch:PutMetricData",
}
"""Actions AWS only grants on Resource "*"."""
OBJECT_PREFIXES = {
    "inputs/",
    "outputs/",
    "uploads/",
    "async-output/",
    "async-failure/",
    "models/default/",
    "models/default/_compile_cache/",
}
ENDPOINT_LOG_STREAMS = ":log-group:/aws/sagemaker/Endpoints/sdapi-default:*"

EXPECTED = {
    "api": {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "sagemaker:InvokeEndpointAsync",
        "sagemaker:DescribeEndpoint",
    },
    "completion": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "s3:GetObject",
        "s3:ListBucket",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    },
    "events": {
        "sns:Publish",
        "s3:PutObject",  # a finished task's `.out` callback document
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
            assert any(f'/{prefix}*"' in rendered for prefix in OBJECT_PREFIXES) or rendered.endswith(
                f'{ENDPOINT_LOG_STREAMS}"]]}}'
            ), rendered


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


def statements_of(resources, handler: str) -> list[dict]:
    return role_statements(resources, function_role(resources, f"sdapi.handlers.{handler}.handler"))


def test_a_missing_object_reads_as_404_only_where_the_code_tells_missing_from_failing(resources):
    # Given S3 answers a GetObject of a missing key with 403 unless the caller may list the bucket,
    # when the roles that branch on "object not found" are read,
    # then each may list the bucket (unconditioned: a GetObject carries no s3:prefix), and no other role may.
    wanted = {"api", "completion"}
    (bucket,) = [k for k in of_type(resources, "AWS::S3::Bucket") if k.startswith("StorageBucket")]
    for name in EXPECTED:
        listings = [s for s in statements_of(resources, name) if "s3:ListBucket" in as_list(s["Action"])]
        if name not in wanted:
            assert listings == [], name
            continue
        (listing,) = listings
        assert as_list(listing["Action"]) == ["s3:ListBucket"]
        assert listing["Resource"] == {"Fn::GetAtt": [bucket, "Arn"]}  # the bucket, not its objects
        assert "Condition" not in listing


def test_webhook_role_can_find_and_use_the_dead_letter_queue(resources):
    # Given the webhook Lambda reads its queue's RedrivePolicy and then resolves and writes the DLQ,
    # when its role is read,
    # then GetQueueAttributes is granted on the webhook queue itself and GetQueueUrl + SendMessage on the DLQ.
    queue_id = next(
        k for k, v in of_type(resources, "AWS::SQS::Queue").items() if k.startswith("WebhooksQueue")
    )
    dlq_id = queue_with_dlq(resources, queue_id)

    def granted_on(logical_id: str) -> set[str]:
        return {
            a
            for s in statements_of(resources, "webhooks")
            if {"Fn::GetAtt": [logical_id, "Arn"]} in as_list(s["Resource"])
            for a in as_list(s["Action"])
        }

    assert {"sqs:GetQueueAttributes", "sqs:SendMessage"} <= granted_on(queue_id)
    assert {"sqs:GetQueueUrl", "sqs:SendMessage"} <= granted_on(dlq_id)
