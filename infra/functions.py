"""The Lambdas: one role each (exact actions, exact ARNs), JSON logs with retention, X-Ray, Powertools.

Powertools 3.37.0 comes from the public layer (account 017000801446). Its ARN is resolved at deploy time
from the SSM public parameter Powertools publishes per release
(`/aws/service/powertools/python/x86_64/python3.12/3.37.0`), so the version is pinned exactly without
hard-coding a per-release layer number; `powertools_layer_version` pins the number instead.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.bundling import PYTHON_VERSION, lambda_code
from infra.config import DeployConfig, log_retention
from infra.storage import Storage

POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-x86_64"
POWERTOOLS_SSM_PARAMETER = (
    f"/aws/service/powertools/python/x86_64/python{PYTHON_VERSION}/{POWERTOOLS_VERSION}"
)
SERVICE_NAME = "sdapi"
METRICS_NAMESPACE = "sdapi"

HANDLERS = {
    "api": "sdapi.handlers.api.handler",
    "completion": "sdapi.handlers.completion.handler",
    "events": "sdapi.handlers.events.handler",
    "webhooks": "sdapi.handlers.webhooks.handler",
    "sweeper": "sdapi.handlers.sweeper.handler",
}


class Runtime(Construct):
    """What every function shares: the code asset, the Powertools layer, the environment."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, environment: dict[str, str]
    ):
        super().__init__(scope, construct_id)
        self.config = config
        self.environment = environment
        self.code = lambda_code()
        if config.powertools_layer_version is not None:
            arn = (
                f"arn:aws:lambda:{Stack.of(self).region}:{POWERTOOLS_ACCOUNT}:layer:"
                f"{POWERTOOLS_LAYER_NAME}:{config.powertools_layer_version}"
            )
        else:
            arn = ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_SSM_PARAMETER)
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", arn)

    def function(
        self,
        scope: Construct,
        name: str,
        *,
        timeout: Duration,
        memory_mb: int = 512,
        extra_env: dict[str, str] | None = None,
    ) -> SdapiFunction:
        return SdapiFunction(
            scope,
            f"{name.capitalize()}Function",
            runtime=self,
            handler=HANDLERS[name],
            timeout=timeout,
            memory_mb=memory_mb,
            extra_env=extra_env or {},
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
            architecture=lambda_.Architecture.X86_64,
            code=runtime.code,
            handler=handler,
            role=self.role,
            timeout=timeout,
            memory_size=memory_mb,
            layers=[runtime.powertools],
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
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Pinned to Python 3.12: the runtime the handlers are tested on and the Powertools "
                "layer (python312) they load; raise it together with the layer name.",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
                "(added by Lambda active tracing).",
            ),
        )

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
