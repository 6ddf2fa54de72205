"""The GPU side: the container image, and per pool an execution role, model, async endpoint config,
endpoint and autoscaling that scales to zero when idle and wakes on the first request.

CDK has no L2 for SageMaker async inference, so model, endpoint config and endpoint are L1 resources.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Stage, Validations
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from inference_container.config import ContainerConfig
from infra.bundling import ROOT
from infra.config import DeployConfig, PoolConfig
from infra.nag import wildcard_finding
from infra.storage import ASYNC_FAILURE, ASYNC_OUTPUT, INPUTS, MODELS, Storage
from sdapi.schema.layout import COMPILE_CACHE_ROOT, compile_cache_prefix

DOCKERFILE = "inference_container/Dockerfile"
MODEL_ROOT = "/opt/ml/model"
VARIANT = "AllTraffic"
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
INSTANCE_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"
ENDPOINT_METRICS = frozenset(
    {
        "ApproximateBacklogSize",
        "ApproximateBacklogSizePerInstance",
        "ApproximateAgeOfOldestRequest",
        "HasBacklogWithoutCapacity",
    }
)
"""The asynchronous-endpoint metrics published with the EndpointName dimension only (SageMaker developer
guide, "Monitor asynchronous endpoints"); the rest carry EndpointName and VariantName."""
IMAGE_EXCLUDE = [
    ".git",
    ".venv",
    "venv",
    "cdk.out",
    "node_modules",
    "tests",
    "docs",
    "bench",
    "infra",
    "local",
    "app.py",
    "cdk.json",
    "**/__pycache__",
    "**/*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    "*.egg-info",
    ".hypothesis",
    ".mypy_cache",
    "**/.DS_Store",
]
"""Paths the image hash (and the docker build context) ignore: nothing the Dockerfile copies."""


def container_image(
    scope: Construct, directory: Path = ROOT, file: str = DOCKERFILE
) -> ecr_assets.DockerImageAsset:
    """The inference image: hashed at synth, built at deploy (`cdk deploy` needs Docker, synth does not)."""
    if not (directory / file).is_file():
        raise FileNotFoundError(
            f"{directory / file} is missing: the inference container's Dockerfile is needed"
        )
    exclude = list(IMAGE_EXCLUDE)
    outdir = Path(Stage.of(scope).outdir).resolve()
    if outdir.is_relative_to(directory.resolve()):  # a `cdk -o` inside the repo must not copy itself
        exclude.append(outdir.relative_to(directory.resolve()).as_posix())
    return ecr_assets.DockerImageAsset(
        scope,
        "InferenceImage",
        directory=str(directory),
        file=file,
        exclude=exclude,
        platform=ecr_assets.Platform.LINUX_AMD64,
    )


def endpoint_arn(scope: Construct, endpoint_name: str) -> str:
    """The ARN of a pool's endpoint (SageMaker lower-cases endpoint names in ARNs); known before it exists."""
    return Stack.of(scope).format_arn(
        service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower()
    )


def model_data_url(config: DeployConfig, pool: PoolConfig, storage: Storage) -> str:
    """The S3 prefix mounted at /opt/ml/model for a pool (ends with '/')."""
    return pool.model_data_url or f"s3://{storage.bucket.bucket_name}/{MODELS}{pool.name}/"


class InferencePool(Construct):
    """One pool: role, model, async endpoint config, endpoint and its scaling policies."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        pool: PoolConfig,
        image: ecr_assets.DockerImageAsset,
        storage: Storage,
        success_topic: sns.ITopic,
        error_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.pool = pool
        self.endpoint_name = config.endpoint_name(pool)
        self.endpoint_arn = endpoint_arn(self, self.endpoint_name)
        data_url = model_data_url(config, pool, storage)

        self.role = iam.Role(
            self,
            "ExecutionRole",
            # Only SageMaker acting for this account may assume the role (confused-deputy guard).
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"SageMaker pool {pool.name}: pull image, read models, write outputs, update jobs",
        )
        image.repository.grant_pull(self.role)
        self._grant_model_read(data_url, storage)
        storage.acknowledge_objects(self.role, [INPUTS, ASYNC_OUTPUT, ASYNC_FAILURE])
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken (image pull) and cloudwatch:PutMetricData (limited to the "
                "endpoint instance-metrics namespace) have no resource-level permissions; the layer pulls "
                "name the image repository.",
            )
        )
        self._grant_logs_and_metrics()
        cache_prefix = self._grant_compile_cache(pool, storage)
        # Outputs anywhere but the reserved roots (SD-on-EKS tasks choose their folder); the roots this role
        # writes through its own grants (SageMaker's results, the pool's compile cache) stay as narrow.
        storage.grant_output_writes(self.role, own_roots=(ASYNC_OUTPUT, ASYNC_FAILURE, COMPILE_CACHE_ROOT))
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ContainerUpdatesJobs",
                actions=["dynamodb:UpdateItem"],
                resources=[storage.jobs_table.table_arn],
            )
        )
        # What SageMaker itself does with this role for asynchronous inference: read the request payload,
        # write its own output/failure objects and publish the success/error notifications.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AsyncReadsInputs", actions=["s3:GetObject"], resources=[storage.object_arn(INPUTS)]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AsyncWritesResults",
                actions=["s3:PutObject"],
                resources=[storage.object_arn(ASYNC_OUTPUT), storage.object_arn(ASYNC_FAILURE)],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AsyncNotifies",
                actions=["sns:Publish"],
                resources=[success_topic.topic_arn, error_topic.topic_arn],
            )
        )

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.image_uri,
                mode="SingleModel",
                model_data_source=sagemaker.CfnModel.ModelDataSourceProperty(
                    s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
                        s3_uri=data_url, s3_data_type="S3Prefix", compression_type="None"
                    )
                ),
                environment={
                    **ContainerConfig(
                        jobs_table=storage.jobs_table.table_name,
                        bucket=storage.bucket.bucket_name,
                        default_model=config.pool_default_model(pool),
                        model_root=Path(MODEL_ROOT),
                        region=stack.region,
                        compile=True,
                        compile_cache_prefix=cache_prefix,
                    ).to_env(exclude_unset=True),
                    # SageMaker sets no region variable in the container; botocore reads AWS_DEFAULT_REGION.
                    "AWS_DEFAULT_REGION": stack.region,
                },
            ),
        )
        self.model.node.add_dependency(self.role)

        bucket = storage.bucket.bucket_name
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=self.model.attr_model_name,
                    instance_type=config.pool_instance_type(pool),
                    # CreateEndpointConfig needs at least one instance; the idle policy scales to zero.
                    initial_instance_count=max(1, config.pool_min(pool)),
                    initial_variant_weight=1.0,
                    model_data_download_timeout_in_seconds=config.model_download_timeout_s,
                    container_startup_health_check_timeout_in_seconds=config.startup_health_timeout_s,
                    # The default GPU AMI of ml.g5 has NVIDIA driver 470 (CUDA 11.4), which cannot run the
                    # image's CUDA 12 build of PyTorch; see docs/deploy.md "GPU driver".
                    inference_ami_version=config.inference_ami_version,
                )
            ],
            async_inference_config=sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
                output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                    s3_output_path=f"s3://{bucket}/{ASYNC_OUTPUT}{pool.name}/",
                    s3_failure_path=f"s3://{bucket}/{ASYNC_FAILURE}{pool.name}/",
                    notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                        success_topic=success_topic.topic_arn,
                        error_topic=error_topic.topic_arn,
                        include_inference_response_in=[
                            "SUCCESS_NOTIFICATION_TOPIC",
                            "ERROR_NOTIFICATION_TOPIC",
                        ],
                    ),
                ),
                client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=config.pool_concurrency(pool)
                ),
            ),
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        # No KmsKeyId: ml.g5/ml.g6 instances (local NVMe storage) reject one; their instance storage is
        # hardware-encrypted. No VPC: the container reaches DynamoDB and S3 through AWS endpoints, limited by
        # the role; a VPC would add NAT or interface-endpoint cost to every deployment.
        self._autoscaling(config)

    def _grant_logs_and_metrics(self) -> None:
        """What SageMaker does with this role for the hosting itself (no code of ours calls these): ship the
        container's stdout/stderr to the endpoint's log group and publish the instance metrics
        (CPU/GPU/memory/disk utilisation, which the dashboard reads). Without them the endpoint runs but its
        logs and instance metrics are missing."""
        stack = Stack.of(self)
        group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{ENDPOINT_LOG_GROUP_PREFIX}{self.endpoint_name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=wildcard_finding(self, f"{group}:*"),
                reason="The log streams of this endpoint's own log group (one per instance and variant).",
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="EndpointLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[group, f"{group}:*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="EndpointInstanceMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": INSTANCE_METRICS_NAMESPACE}},
            )
        )

    def _grant_compile_cache(self, pool: PoolConfig, storage: Storage) -> str:
        """Where the container keeps its portable compile cache: `compile-cache/<pool>/` in the stack's bucket
        (read at start, written after a warm-up that compiled), whichever bucket holds the models. Its own
        reserved root, so that `models/` stays read-only to the container and no pool writes another's."""
        prefix = compile_cache_prefix(pool.name)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ContainerKeepsCompileCache",
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[storage.object_arn(prefix)],
            )
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=storage.object_finding(prefix),
                reason="The compile cache files (one per GPU, PyTorch build and model set) under the fixed "
                f"prefix {prefix!r}; the grant stops there.",
            )
        )
        return prefix

    def _grant_model_read(self, data_url: str, storage: Storage) -> None:
        bucket, _, prefix = data_url.removeprefix("s3://").partition("/")
        bucket_arn = Stack.of(self).format_arn(service="s3", region="", account="", resource=bucket)
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=wildcard_finding(self, f"{bucket_arn}/{prefix}*"),
                reason="SageMaker downloads every file under the pool's model prefix (S3Prefix model data).",
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadModels", actions=["s3:GetObject"], resources=[f"{bucket_arn}/{prefix}*"]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListModels",
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )

    def _metric(self, name: str, statistic: str = "Average", period_s: int = 60) -> cloudwatch.Metric:
        """An endpoint-level metric. Only the four backlog metrics are published with the EndpointName
        dimension alone; every other one also has VariantName (`variant_metric`), or it has no data."""
        if name not in ENDPOINT_METRICS:
            raise ValueError(f"{name} is published per variant: use variant_metric")
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name},
            statistic=statistic,
            period=Duration.seconds(period_s),
        )

    def variant_metric(self, name: str, statistic: str = "Average", period_s: int = 60) -> cloudwatch.Metric:
        """A metric SageMaker publishes with the EndpointName and VariantName dimensions (invocation errors,
        latencies, InvocationFailures, NotificationFailures, ...)."""
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT},
            statistic=statistic,
            period=Duration.seconds(period_s),
        )

    def _autoscaling(self, config: DeployConfig) -> None:
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "ScalableTarget",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=config.pool_min(self.pool),
            max_capacity=config.pool_max(self.pool),
        )
        # No RoleARN: Application Auto Scaling then creates and uses its SageMaker service-linked role itself
        # (naming that role fails in an account where it does not exist yet). CDK's L2 would otherwise make
        # a role of its own; drop it and the property.
        self.scalable_target.node.try_remove_child("Role")
        target = self.scalable_target.node.default_child
        target.add_property_deletion_override("RoleARN")
        self.scalable_target.node.add_dependency(self.endpoint)

        # Scale out while there is backlog per instance above the target (scale-in is the idle policy's job).
        self.scalable_target.scale_to_track_metric(
            "BacklogPerInstance",
            target_value=config.backlog_per_instance_target,
            custom_metric=self._metric("ApproximateBacklogSizePerInstance"),
            disable_scale_in=True,
            scale_out_cooldown=Duration.minutes(5),
        )

        # Wake a zero-instance endpoint: the first request sets HasBacklogWithoutCapacity = 1.
        wake = appscaling.StepScalingAction(
            self,
            "WakeFromZero",
            scaling_target=self.scalable_target,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(5),
        )
        wake.add_adjustment(adjustment=1, lower_bound=0)
        self.wake_alarm = cloudwatch.Alarm(
            self,
            "HasBacklogWithoutCapacity",
            metric=self._metric("HasBacklogWithoutCapacity", "Maximum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{self.endpoint_name}: requests waiting and no instance; adds one.",
        )
        self.wake_alarm.add_alarm_action(cw_actions.ApplicationScalingAction(wake))

        # Scale in to the minimum once nothing has been queued or running for the configured idle time.
        idle = appscaling.StepScalingAction(
            self,
            "ScaleInWhenIdle",
            scaling_target=self.scalable_target,
            adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
            cooldown=Duration.minutes(1),
        )
        idle.add_adjustment(adjustment=config.pool_min(self.pool), upper_bound=0)
        self.idle_alarm = cloudwatch.Alarm(
            self,
            "Idle",
            metric=self._metric("ApproximateBacklogSize", "Maximum"),
            threshold=0.5,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=config.scale_in_idle_minutes,
            datapoints_to_alarm=config.scale_in_idle_minutes,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description=f"{self.endpoint_name}: idle {config.scale_in_idle_minutes} min; scales in.",
        )
        self.idle_alarm.add_alarm_action(cw_actions.ApplicationScalingAction(idle))

    def metric(self, name: str, statistic: str = "Average", period_s: int = 60) -> cloudwatch.Metric:
        return self._metric(name, statistic, period_s)

    def instance_metric(self, name: str, statistic: str, period_s: int = 60) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=INSTANCE_METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT},
            statistic=statistic,
            period=Duration.seconds(period_s),
        )
