"""The bucket and the tables: encryption, no public access, TLS only, expiry per prefix, TTL, stream, GSIs."""

from __future__ import annotations

from tests.infra.helpers import of_type, text


def main_bucket(resources):
    return next(
        v["Properties"]
        for v in of_type(resources, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in v["Properties"]
    )


def test_bucket_is_encrypted_private_and_logged(resources):
    bucket = main_bucket(resources)
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "DestinationBucketName" in bucket["LoggingConfiguration"]


def test_every_bucket_refuses_plain_http(resources):
    buckets = set(of_type(resources, "AWS::S3::Bucket"))
    denied = set()
    for policy in of_type(resources, "AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                denied.add(policy["Properties"]["Bucket"]["Ref"])
    assert denied == buckets


def test_each_prefix_expires_per_configuration(resources):
    rules = {
        r["Prefix"]: r["ExpirationInDays"]
        for r in main_bucket(resources)["LifecycleConfiguration"]["Rules"]
        if "Prefix" in r
    }
    assert rules == {"inputs/": 7, "outputs/": 30, "uploads/": 1, "async-output/": 7, "async-failure/": 7}


def test_tagged_outputs_anywhere_expire_with_the_outputs(resources):
    tagged = [r for r in main_bucket(resources)["LifecycleConfiguration"]["Rules"] if "TagFilters" in r]
    assert [(r["TagFilters"], r["ExpirationInDays"]) for r in tagged] == [
        ([{"Key": "sdapi-retention", "Value": "outputs"}], 30)
    ]


def test_jobs_table_has_ttl_pitr_stream_and_deadline_index(resources):
    table = next(
        v["Properties"]
        for v in of_type(resources, "AWS::DynamoDB::Table").values()
        if v["Properties"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    )
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["SSESpecification"]["SSEEnabled"] is True
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_deadline"
    assert index["KeySchema"] == [
        {"AttributeName": "active_pool", "KeyType": "HASH"},
        {"AttributeName": "deadline_at", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types == {"id": "S", "active_pool": "S", "deadline_at": "N"}


def test_keys_table_is_keyed_by_hash_with_key_id_index(resources):
    table = next(
        v["Properties"]
        for v in of_type(resources, "AWS::DynamoDB::Table").values()
        if v["Properties"]["KeySchema"] == [{"AttributeName": "key_hash", "KeyType": "HASH"}]
    )
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_key_id"]
    assert "by_key_id" in text(table)
    assert "key_id" in text(table["GlobalSecondaryIndexes"][0]["KeySchema"])


def test_access_logs_are_delivered_by_bucket_policy_not_acl(resources):
    logs_bucket = next(
        k
        for k, v in of_type(resources, "AWS::S3::Bucket").items()
        if "LoggingConfiguration" not in v["Properties"]
    )
    assert "AccessControl" not in resources[logs_bucket]["Properties"]
    policy = next(
        p["Properties"]
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_bucket}
    )
    assert '"Service": "logging.s3.amazonaws.com"' in text(policy)
