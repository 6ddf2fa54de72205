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
    "compile-cache/default/",
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
        "s3:PutObjectTagging",
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


OUTPUT_WRITES = {"s3:PutObject", "s3:PutObjectTagging"}
"""The only actions granted on every object of the bucket (SD-on-EKS tasks choose their output folder)."""
TAGGED_FOR_OUTPUTS = {"StringEquals": {"s3:RequestObjectTag/sdapi-retention": "outputs"}}
OUTPUT_READS = {"s3:GetObject"}
"""Read on every object of the bucket, only where the object is tagged as an output."""
ALREADY_TAGGED_AS_OUTPUT = {"StringEquals": {"s3:ExistingObjectTag/sdapi-retention": "outputs"}}
RESERVED_ROOTS = ("inputs/", "uploads/", "async-output/", "async-failure/", "models/", "compile-cache/")


def whole_bucket(rendered: str) -> bool:
    return rendered.endswith('/*"]]}') and not any(f'/{prefix}*"' in rendered for prefix in OBJECT_PREFIXES)


def whole_bucket_statement(statement: dict, actions: set[str] = OUTPUT_WRITES) -> bool:
    """An Allow or Deny on every object of the bucket that names any of `actions`."""
    return bool(set(as_list(statement["Action"])) & actions) and any(
        whole_bucket(text(r)) for r in as_list(statement["Resource"])
    )


def output_writer_roles(resources) -> list[str]:
    """The roles granted writes on every object of the bucket."""
    return [
        role
        for role in of_type(resources, "AWS::IAM::Role")
        if any(s["Effect"] == "Allow" and whole_bucket_statement(s) for s in role_statements(resources, role))
    ]


def test_partial_wildcards_are_object_prefixes_or_log_streams(resources):
    for statement in all_statements(resources):
        for resource in as_list(statement["Resource"]):
            rendered = text(resource)
            if resource == "*" or "*" not in rendered:
                continue
            if whole_bucket(rendered):
                assert set(as_list(statement["Action"])) in (OUTPUT_WRITES, OUTPUT_READS), statement
                continue
            assert any(f'/{prefix}*"' in rendered for prefix in OBJECT_PREFIXES) or rendered.endswith(
                f'{ENDPOINT_LOG_STREAMS}"]]}}'
            ), rendered


def test_a_whole_bucket_grant_writes_only_objects_tagged_for_the_outputs_retention(resources):
    grants = [s for s in all_statements(resources) if s["Effect"] == "Allow" and whole_bucket_statement(s)]
    assert grants, "no whole-bucket output grant (SD-on-EKS tasks write their own folders)"
    for statement in grants:
        assert statement["Condition"] == TAGGED_FOR_OUTPUTS, statement


def test_a_whole_bucket_read_reads_only_objects_tagged_as_outputs(resources):
    reads = [
        s
        for s in all_statements(resources)
        if s["Effect"] == "Allow" and whole_bucket_statement(s, OUTPUT_READS)
    ]
    assert reads, "no whole-bucket output read (SD-on-EKS tasks' images live in their own folders)"
    for statement in reads:
        assert statement["Condition"] == ALREADY_TAGGED_AS_OUTPUT, statement


def test_every_function_serving_images_reads_task_outputs_wherever_they_were_written(resources):
    for handler in ("api", "sync_url", "webhooks"):
        role = function_role(resources, f"sdapi.handlers.{handler}.handler")
        reads = [
            s
            for s in role_statements(resources, role)
            if s["Effect"] == "Allow" and whole_bucket_statement(s, OUTPUT_READS)
        ]
        assert reads, handler


def test_each_role_writing_the_whole_bucket_is_denied_every_reserved_root(resources):
    writers = output_writer_roles(resources)
    assert len(writers) == 2  # the events function (`.out` documents) and the pool's execution role
    for role in writers:
        denies = [s for s in role_statements(resources, role) if s["Effect"] == "Deny"]
        for root in RESERVED_ROOTS:
            covering = [d for d in denies if f"/{root}*" in text(d["Resource"])]
            assert covering, (role, root)
            assert all(set(as_list(d["Action"])) >= OUTPUT_WRITES for d in covering), (role, root)


def test_a_reserved_root_is_denied_only_tagged_writes_where_the_role_has_its_own_grant_there(resources):
    for role in output_writer_roles(resources):
        statements = role_statements(resources, role)
        for deny in (s for s in statements if s["Effect"] == "Deny" and "Condition" in s):
            assert deny["Condition"] == TAGGED_FOR_OUTPUTS, deny
            for root in (r for r in RESERVED_ROOTS if f"/{r}*" in text(deny["Resource"])):
                own = [
                    s
                    for s in statements
                    if s["Effect"] == "Allow" and "Condition" not in s and f"/{root}" in text(s["Resource"])
                ]
                assert own, (role, root)


def test_the_events_role_is_denied_every_reserved_root_whatever_the_tags(resources):
    role = function_role(resources, "sdapi.handlers.events.handler")
    denies = [s for s in role_statements(resources, role) if s["Effect"] == "Deny"]
    unconditional = " ".join(text(d["Resource"]) for d in denies if "Condition" not in d)
    for root in RESERVED_ROOTS:
        assert f"/{root}*" in unconditional, root


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
