"""The Lambdas: one role each (exact actions, exact ARNs), JSON logs with retention, X-Ray, Powertools.

Powertools 3.37.0 is bundled with the function code (infra/bundling.py), like every other dependency: no
public layer, whose ARN differs per region and release and does not exist in every partition, and no SSM
lookup that can fail at deploy time.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, CfnCondition, Duration, Fn, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from infra.bundling import lambda_code
from infra.config import DeployConfig, log_retention
from infra.storage import Storage

SERVICE_NAME = "sdapi"
LIVE_ALIAS = "live"
METRICS_NAMESPACE = "sdapi"

HANDLERS = {
    "api": "sdapi.handlers.api.handler",
    "completion": "sdapi.handlers.completion.handler",
    "events": "sdapi.handlers.events.handler",
    "webhooks": "sdapi.handlers.webhooks.handler",
    "sweeper": "sdapi.handlers.sweeper.handler",
    "sync": "sdapi.handlers.sync_url.handler",
}


class Runtime(Construct):
    """What every function shares: the code asset (Powertools included) and the environment."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, environment: dict[str, str]
    ):
        super().__init__(scope, construct_id)
        self.config = config
        self.environment = environment
        self.code = lambda_code()

    def function(
        self,
        scope: Construct,
        name: str,
        *,
        timeout: Duration,
        memory_mb: int = 512,
        extra_env: dict[str, str] | None = None,
        reserved_concurrency: int | None = None,
        snap_start: bool = False,
    ) -> SdapiFunction:
        return SdapiFunction(
            scope,
            f"{name.capitalize()}Function",
            runtime=self,
            handler=HANDLERS[name],
            timeout=timeout,
            memory_mb=memory_mb,
            extra_env=extra_env or {},
            reserved_concurrency=reserved_concurrency,
            snap_start=snap_start,
        )


class SdapiFunction(Construct):
    """One function, its own role (no managed policies) and its own log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: Runtime,
        handler: str,
        timeout: Duration,
        memory_mb: int,
        extra_env: dict[str, str],
        reserved_concurrency: int | None = None,
        snap_start: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(runtime.config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{handler}: exact actions on exact resources",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],  # the ARN ends in ":*" (its streams)
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,  # infra/bundling.py PLATFORM
            code=runtime.code,
            handler=handler,
            role=self.role,
            timeout=timeout,
            memory_size=memory_mb,
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            environment={
                **runtime.environment,
                **extra_env,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        self.target: lambda_.IFunction = self.function
        """What callers invoke: the function, or with SnapStart the `live` alias of its published version
        (SnapStart applies to published versions only; `$LATEST` would start cold every time)."""
        if snap_start:
            self._snap_start_where_available()
            self.target = self.function.add_alias(LIVE_ALIAS)
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Pinned to Python 3.12: the runtime the handlers are tested on and the Python "
                "version the bundled wheels are installed for (infra/bundling.py PYTHON_VERSION).",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
                "(added by Lambda active tracing).",
            ),
        )

    def _snap_start_where_available(self) -> None:
        """SnapStart exists in the commercial partition only (not aws-cn or aws-us-gov). With a known region
        the property is set or left out at synth; an environment-agnostic template conditions it on the
        partition, so it deploys everywhere."""
        on = {"ApplyOn": "PublishedVersions"}
        cfn = self.function.node.default_child
        region = Stack.of(self).region
        if not Token.is_unresolved(region):
            if RegionInfo.get(region).partition == "aws":
                cfn.add_property_override("SnapStart", on)
            return
        available = CfnCondition(
            self, "SnapStartAvailable", expression=Fn.condition_equals(Aws.PARTITION, "aws")
        )
        cfn.add_property_override("SnapStart", Fn.condition_if(available.logical_id, on, Aws.NO_VALUE))

    def allow(self, actions: list[str], resources: list[str]) -> None:
        """Grant exactly these actions on exactly these resources."""
        self.role.add_to_policy(iam.PolicyStatement(actions=sorted(actions), resources=resources))

    def allow_objects(self, actions: list[str], storage: Storage, prefixes: list[str]) -> None:
        """Grant object actions under bucket prefixes (and acknowledge exactly those prefix wildcards)."""
        self.allow(actions, [storage.object_arn(p) for p in prefixes])
        storage.acknowledge_objects(self.role, prefixes)

    def allow_missing_objects_seen(self, storage: Storage) -> None:
        """`s3:ListBucket` on the bucket. Without it S3 answers a GetObject of a missing key with 403
        AccessDenied instead of 404 NoSuchKey, and the code's "expired / not uploaded" branches (NotFound →
        410/400, or a FAILED job) would become 503s and retries."""
        self.role.add_to_policy(storage.list_statement())
