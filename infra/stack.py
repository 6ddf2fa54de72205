"""The stack: composes the constructs, wires names and environment variables, and exports outputs."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, CfnOutput, Duration, Stack, Validations
from constructs import Construct

from infra.api import Api
from infra.config import ConfigError, DeployConfig, camel
from infra.egress import PrivateEgress
from infra.functions import Runtime
from infra.inference import InferencePool, container_image, endpoint_arn, model_data_url
from infra.long_wait import LongWaitUrl
from infra.monitoring import Monitoring
from infra.notifications import Completion, JobEvents, Sweeper, Topics, Webhooks
from infra.storage import ASYNC_FAILURE, ASYNC_OUTPUT, INPUTS, OUTPUTS, UPLOADS, Storage
from sdapi.config import Settings
from sdapi.schema import items as I

LAMBDA_ENV_LIMIT = 4096
WEBHOOK_VISIBILITY = Duration.minutes(12)  # AWS: at least 6x the webhook function timeout


def lambda_environment(
    config: DeployConfig, storage: Storage, topics: Topics, webhooks: Webhooks
) -> dict[str, str]:
    """Every `SDAPI_*` variable, produced by the shared `Settings` model so the names cannot drift."""
    settings = Settings(
        jobs_table=storage.jobs_table.table_name,
        keys_table=storage.keys_table.table_name,
        bucket=storage.bucket.bucket_name,
        catalog=config.catalog(),
        limits=config.limits,
        events_topic_arn=topics.events.topic_arn,
        webhook_queue_url=webhooks.queue.queue_url,
        presign_expiry_s=config.presign_expiry_s,
        sync_wait_s=config.sync_wait_s,
        job_retention_days=config.job_retention_days,
        output_retention_days=config.output_retention_days,
        cold_start_s=config.cold_start_s,
    )
    env = settings.to_env()
    # Tokens are about 30 characters before deploy; real names are about as long. 4 KB is Lambda's limit.
    size = sum(len(k) + len(v) for k, v in env.items())
    if size > LAMBDA_ENV_LIMIT - 512:
        raise ConfigError(
            f"the Lambda environment would be {size} bytes (limit {LAMBDA_ENV_LIMIT}): the catalog is too "
            "large; shorten model names/aliases or split pools"
        )
    return env


class SdapiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        image_directory: Path | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        self.topics = Topics(self, "Topics")
        self.webhooks = Webhooks(self, "Webhooks", visibility=WEBHOOK_VISIBILITY)
        runtime = Runtime(
            self,
            "Runtime",
            config=config,
            environment=lambda_environment(config, self.storage, self.topics, self.webhooks),
        )
        # Endpoints only for pools whose models are staged (serving_pools): an endpoint over an empty prefix
        # never turns healthy and rolls the whole stack back. No served pool, no image (and no Docker).
        served = [pool for pool in config.pools if config.serves(pool)]
        image = None
        if served:
            image = container_image(self, image_directory) if image_directory else container_image(self)
        self.pools = [
            InferencePool(
                self,
                f"Pool{camel(pool.name)}",
                config=config,
                pool=pool,
                image=image,
                storage=self.storage,
                success_topic=self.topics.success,
                error_topic=self.topics.error,
            )
            for pool in served
        ]
        self.egress = PrivateEgress(self, "Egress") if config.private_egress else None
        for pool in self.pools if self.egress else ():
            self.egress.attach(pool.model, pool.role)

        self.functions = {
            "api": runtime.function(
                self, "api", timeout=Duration.seconds(29), memory_mb=1024, snap_start=True
            ),
            "completion": runtime.function(
                self,
                "completion",
                timeout=Duration.seconds(60),
                reserved_concurrency=config.completion_reserved_concurrency,
            ),
            "events": runtime.function(
                self,
                "events",
                timeout=Duration.seconds(60),
                reserved_concurrency=config.events_reserved_concurrency,
            ),
            "webhooks": runtime.function(self, "webhooks", timeout=Duration.seconds(120)),
            "sweeper": runtime.function(self, "sweeper", timeout=Duration.seconds(60)),
        }
        self.long_wait = LongWaitUrl(self, "LongWait", config=config, runtime=runtime)
        self.functions["sync"] = self.long_wait.function
        self._grant()

        self.completion = Completion(
            self, "Completion", topics=self.topics, function=self.functions["completion"].function
        )
        self.job_events = JobEvents(
            self, "JobEvents", table=self.storage.jobs_table, function=self.functions["events"].function
        )
        self.webhooks.connect(self.functions["webhooks"].function)
        self.sweeper = Sweeper(self, "Sweeper", function=self.functions["sweeper"].function)
        self.api = Api(self, "Api", config=config, function=self.functions["api"].target)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            rest_api=self.api.rest_api,
            functions={name: f.function for name, f in self.functions.items()},
            log_groups={name: f.log_group for name, f in self.functions.items()},
            dead_letter_queues={
                "Completion": self.completion.dlq,
                "Webhooks": self.webhooks.dlq,
                "JobEvents": self.job_events.dlq,
            },
            webhook_queue=self.webhooks.queue,
            pools=self.pools,
        )
        self._outputs()

    def _grant(self) -> None:
        """Exact actions on exact resources, per function (what its code paths call)."""
        s = self.storage
        jobs = s.jobs_table.table_arn
        deadline_index = f"{jobs}/index/{I.DEADLINE_INDEX}"
        keys = s.keys_table.table_arn
        key_id_index = f"{keys}/index/{I.KEY_ID_INDEX}"
        endpoints = [endpoint_arn(self, self.config.endpoint_name(p)) for p in self.config.pools]
        f = self.functions

        for api in (f["api"], f["sync"]):  # the same routes, REST and long-wait
            api.allow(
                [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:BatchGetItem",
                ],
                [jobs],
            )
            api.allow(["dynamodb:Query"], [deadline_index])
            api.allow(["dynamodb:GetItem"], [keys])
            api.allow_objects(["s3:PutObject"], s, [INPUTS, UPLOADS])
            api.allow_objects(["s3:GetObject"], s, [INPUTS, OUTPUTS, UPLOADS])
            s.grant_output_reads(api.role)  # task outputs under their own {prefix}/{id}/
            api.allow_missing_objects_seen(s)  # expired input/outputs, no upload
            api.allow(["sagemaker:InvokeEndpointAsync", "sagemaker:DescribeEndpoint"], endpoints)

        completion = f["completion"]
        completion.allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [jobs])
        completion.allow_objects(["s3:GetObject"], s, [ASYNC_OUTPUT, ASYNC_FAILURE])
        completion.allow_missing_objects_seen(s)  # a gone answer fails the job

        events = f["events"]
        events.allow(["sns:Publish"], [self.topics.events.topic_arn])
        events.allow(["sqs:SendMessage"], [self.webhooks.queue.queue_arn])
        s.grant_output_writes(events.role)  # a finished task's `.out` callback document, beside its images
        Validations.of(events.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="dynamodb:ListStreams (stream event source) and X-Ray trace writes have no "
                "resource-level permissions; stream reads name the table's stream ARN.",
            )
        )

        webhooks = f["webhooks"]
        webhooks.allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [jobs])
        webhooks.allow(["dynamodb:Query"], [key_id_index])
        webhooks.allow_objects(["s3:GetObject"], s, [OUTPUTS])
        s.grant_output_reads(webhooks.role)
        # GetQueueAttributes: the dead-letter lookup reads the queue's RedrivePolicy (the SQS event source
        # grants it too, as part of consuming; named here because the code calls it).
        webhooks.allow(["sqs:GetQueueAttributes", "sqs:SendMessage"], [self.webhooks.queue.queue_arn])
        webhooks.allow(["sqs:GetQueueUrl", "sqs:SendMessage"], [self.webhooks.dlq.queue_arn])

        sweeper = f["sweeper"]
        sweeper.allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [jobs])
        sweeper.allow(["dynamodb:Query"], [deadline_index])

    def _outputs(self) -> None:
        def output(name: str, value: str, description: str) -> None:
            CfnOutput(self, name, value=value, description=description)

        output("ApiUrl", self.api.url, "Base URL of the API (stage v1)")
        if self.long_wait.url is not None:
            CfnOutput(
                self,
                "SyncUrl",
                value=self.long_wait.url,
                description="Long-wait URL (Lambda function URL, every route): synchronous A1111 / RunPod "
                "calls that may wait minutes",
                condition=self.long_wait.condition,
            )
        if self.api.domain is not None:
            output(
                "CustomDomainTarget",
                self.api.domain.domain_name_alias_domain_name,
                "Point the custom domain's DNS (CNAME/alias) here",
            )
        output("BucketName", self.storage.bucket.bucket_name, "Inputs, outputs, uploads and models")
        output("JobsTableName", self.storage.jobs_table.table_name, "Jobs table")
        output("KeysTableName", self.storage.keys_table.table_name, "API keys table (sdapi-keys)")
        output("EventsTopicArn", self.topics.events.topic_arn, "Public job events (attributes: type, owner)")
        output("SuccessTopicArn", self.topics.success.topic_arn, "SageMaker async success notifications")
        output("ErrorTopicArn", self.topics.error.topic_arn, "SageMaker async error notifications")
        output("WebhookQueueUrl", self.webhooks.queue.queue_url, "Webhook deliveries")
        output("AlarmTopicArn", self.monitoring.topic.topic_arn, "Alarms")
        output("DashboardUrl", self.monitoring.dashboard_url, "CloudWatch dashboard")
        config = self.config
        default = next(p for p in config.pools if p.name == config.default_pool)
        output("EndpointName", config.endpoint_name(default), "SageMaker endpoint of the default pool")
        for pool in config.pools:
            serving = "serving" if config.serves(pool) else "not deployed until its models are staged"
            output(
                f"EndpointName{camel(pool.name)}",
                config.endpoint_name(pool),
                f"Endpoint of pool {pool.name} ({serving})",
            )
            output(
                f"ModelDataUrl{camel(pool.name)}",
                model_data_url(config, pool, self.storage),
                f"Stage the models of pool {pool.name} here",
            )
