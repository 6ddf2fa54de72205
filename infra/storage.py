"""The bucket (inputs, outputs, uploads, SageMaker's async output/failure, models, compile caches) and the two
tables."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import DeployConfig
from infra.nag import wildcard_finding
from sdapi.schema import items as I
from sdapi.schema.layout import OUTPUT_TAG, RESERVED_ROOTS

INPUTS = "inputs/"
OUTPUTS = "outputs/"
UPLOADS = "uploads/"
ASYNC_OUTPUT = "async-output/"
ASYNC_FAILURE = "async-failure/"
MODELS = "models/"


class Storage(Construct):
    """One bucket (SSE, no public access, TLS only, expiry per prefix, access logs) and the tables."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )

        def expire(rule_id: str, prefix: str, days: int) -> s3.LifecycleRule:
            return s3.LifecycleRule(
                id=rule_id,
                prefix=prefix,
                expiration=Duration.days(days),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=False,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="bucket/",
            lifecycle_rules=[
                expire("inputs", INPUTS, config.input_retention_days),
                expire("outputs", OUTPUTS, config.output_retention_days),
                s3.LifecycleRule(
                    id="task-outputs",
                    tag_filters={OUTPUT_TAG[0]: OUTPUT_TAG[1]},
                    expiration=Duration.days(config.output_retention_days),
                ),
                expire("uploads", UPLOADS, config.upload_retention_days),
                expire("async-output", ASYNC_OUTPUT, config.async_retention_days),
                expire("async-failure", ASYNC_FAILURE, config.async_retention_days),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.jobs_table = dynamodb.Table(
            self,
            "JobsTable",
            partition_key=dynamodb.Attribute(name=I.JOBS_TABLE_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=I.EXPIRES_AT,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,  # retained on stack delete; no accidental DeleteTable either
        )
        self.jobs_table.add_global_secondary_index(
            index_name=I.DEADLINE_INDEX,
            partition_key=dynamodb.Attribute(name=I.ACTIVE_POOL, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=I.DEADLINE_AT, type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.ALL,
        )

        self.keys_table = dynamodb.Table(
            self,
            "KeysTable",
            partition_key=dynamodb.Attribute(name=I.KEYS_TABLE_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,  # retained on stack delete; no accidental DeleteTable either
        )
        self.keys_table.add_global_secondary_index(
            index_name=I.KEY_ID_INDEX,
            partition_key=dynamodb.Attribute(name="key_id", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    def object_finding(self, prefix: str) -> str:
        """cdk-nag's finding id for a grant on every object under `prefix` (an IAM5 wildcard)."""
        return wildcard_finding(self, self.object_arn(prefix))

    def acknowledge_objects(self, scope: Construct, prefixes: list[str]) -> None:
        """Acknowledge the prefix wildcards of `scope`'s grants: one finding per prefix, with its reason."""
        Validations.of(scope).acknowledge(
            *(
                Acknowledgment(
                    id=self.object_finding(prefix),
                    reason=f"Objects are per job under the fixed prefix {prefix!r}; the grant stops there.",
                )
                for prefix in dict.fromkeys(prefixes)
            )
        )

    def grant_output_writes(self, role: iam.IRole, *, own_roots: tuple[str, ...] = ()) -> None:
        """Let `role` write output objects anywhere in the bucket, each tagged `sdapi-retention=outputs`
        (the grant's condition, so that everything it writes expires with the outputs), but never under the
        deployment's reserved roots (`sdapi.schema.layout`): SD-on-EKS tasks choose their output folder, as
        the queue agent does.

        `own_roots` (prefixes ending in '/') are the reserved roots the role writes through narrower grants of
        its own (the container: SageMaker's async results, its pool's compile cache): only tagged writes, the
        ones this grant allows, are denied there, so those grants stand and this one does not widen them."""
        actions = ["s3:PutObject", "s3:PutObjectTagging"]
        tagged = {"StringEquals": {f"s3:RequestObjectTag/{OUTPUT_TAG[0]}": OUTPUT_TAG[1]}}
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WritesTaggedOutputs", actions=actions, resources=[self.object_arn("")], conditions=tagged
            )
        )

        def deny(sid: str, prefixes: list[str], conditions: dict | None = None) -> None:
            resources = [self.object_arn(prefix) for prefix in prefixes]
            statement = iam.PolicyStatement(
                sid=sid, effect=iam.Effect.DENY, actions=actions, resources=resources, conditions=conditions
            )
            role.add_to_principal_policy(statement)

        deny("NeverWritesReservedRoots", [f"{r}/" for r in RESERVED_ROOTS if f"{r}/" not in own_roots])
        if own_roots:
            deny("OutputsNeverUnderOwnRoots", list(own_roots), tagged)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=self.object_finding(""),
                reason="Outputs go to outputs/{id}/ or, for SD-on-EKS tasks, to the task's own "
                "{prefix}/{id}/ anywhere in the bucket (as the queue agent writes them); only objects tagged "
                f"{OUTPUT_TAG[0]}={OUTPUT_TAG[1]} (which expire with the outputs), and the deployment's own "
                f"folders ({', '.join(RESERVED_ROOTS)}) are denied explicitly.",
            )
        )

    def grant_output_reads(self, role: iam.IRole) -> None:
        """Let `role` read output objects wherever a job wrote them: every object tagged
        `sdapi-retention=outputs` (an SD-on-EKS task's `{prefix}/{id}/` as well as `outputs/{id}/`), so that a
        task's images can be fetched, presigned or sent by a webhook like any other job's. Untagged objects
        (inputs, uploads, models, SageMaker's results) stay out of this grant."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadsTaggedOutputs",
                actions=["s3:GetObject"],
                resources=[self.object_arn("")],
                conditions={"StringEquals": {f"s3:ExistingObjectTag/{OUTPUT_TAG[0]}": OUTPUT_TAG[1]}},
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=self.object_finding(""),
                reason="Job outputs are read where they were written (outputs/{id}/ or an SD-on-EKS task's "
                f"{{prefix}}/{{id}}/), and only objects tagged {OUTPUT_TAG[0]}={OUTPUT_TAG[1]}.",
            )
        )

    def list_statement(self) -> iam.PolicyStatement:
        """`s3:ListBucket` on the bucket. No `s3:prefix` condition: S3 decides 403-or-404 for a GetObject of a
        missing key from ListBucket on the bucket, and a GetObject request carries no `s3:prefix` key, so a
        prefix-conditioned grant would not apply and missing objects would still read as 403."""
        return iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])

    def object_arn(self, prefix: str) -> str:
        """ARN of every object under a prefix of the bucket (`prefix` ends with '/')."""
        return self.bucket.arn_for_objects(f"{prefix}*")
