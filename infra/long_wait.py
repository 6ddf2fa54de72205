"""The long-wait URL: a Lambda function URL in front of its own function, beside the REST API, so that the
synchronous routes (A1111 `txt2img` / `img2img`, RunPod `runsync`) can wait minutes for a job, where API
Gateway's REST integration cuts at 29 s.

- The function runs the api function's code and routes on function URL events
  (`sdapi.handlers.sync_url`), with a long timeout (`sync_url_timeout_s`, 900 s by default); its synchronous
  routes wait up to that less 3 s (`SDAPI_SYNC_WAIT_S` = the timeout: Lambda's remaining time decides).
- Auth: the URL's auth type is NONE, because callers carry the product's API keys, not SigV4; every route
  but `/ping`, `/openapi.json` and `/docs` checks the key in the function, exactly as on the REST path.
- Throttling: reserved concurrency (`sync_url_reserved_concurrency`) bounds the function as a whole, and a
  per-key rate in the function (`sdapi.throttle`, counters in this construct's table) stands in for API
  Gateway's: `throttle_rate` per second with bursts of `throttle_burst` per key.
- BUFFERED answers: Lambda's 6 MB limit, the same as the REST path (images past it come back as presigned
  URLs with a warning, `sdapi.api.jobs.ServiceOutputs`).
- Function URLs do not exist in the aws-us-gov partition: there the URL is left out (with a known region at
  synth), or conditioned on the partition (an environment-agnostic template); the REST API serves alone.
"""

from __future__ import annotations

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnCondition,
    CfnResource,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from infra.config import DeployConfig
from infra.functions import Runtime, SdapiFunction
from sdapi.config import Settings
from sdapi.schema import items as I

URL_HEADERS = ["Content-Type", "Authorization", "x-api-key", "Idempotency-Key"]
NO_FUNCTION_URLS = "aws-us-gov"
"""The partition without Lambda function URLs."""


class LongWaitUrl(Construct):
    """The long-wait function, its function URL and its per-key rate table."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, runtime: Runtime):
        super().__init__(scope, construct_id)
        self.rate_table = dynamodb.Table(
            self,
            "RateTable",
            partition_key=dynamodb.Attribute(name=I.RATE_TABLE_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=I.EXPIRES_AT,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.DESTROY,  # counters of a few seconds: nothing to keep
        )
        Validations.of(self.rate_table).acknowledge(
            Acknowledgment(
                id="AwsSolutions-DDB3",
                reason="Per-key request counters that expire seconds after their window: nothing to "
                "recover to a point in time.",
            )
        )
        self.function: SdapiFunction = runtime.function(
            self,
            "sync",
            timeout=Duration.seconds(config.sync_url_timeout_s),
            memory_mb=1024,
            reserved_concurrency=config.sync_url_reserved_concurrency,
            extra_env={
                Settings.variable("sync_wait_s"): str(config.sync_url_timeout_s),
                Settings.variable("rate_table"): self.rate_table.table_name,
                Settings.variable("key_rate_per_s"): str(config.throttle_rate),
                Settings.variable("key_burst"): str(config.throttle_burst),
            },
        )
        self.function.allow(["dynamodb:UpdateItem"], [self.rate_table.table_arn])
        self.function_url: lambda_.FunctionUrl | None = None
        self.condition: CfnCondition | None = None
        """Set when the template decides at deploy time whether the URL exists (region unknown at synth)."""
        region = Stack.of(self).region
        if not Token.is_unresolved(region) and RegionInfo.get(region).partition == NO_FUNCTION_URLS:
            return
        cors = (
            lambda_.FunctionUrlCorsOptions(
                allowed_origins=list(config.cors_origins),
                allowed_methods=[lambda_.HttpMethod.ALL],
                allowed_headers=URL_HEADERS,
            )
            if config.cors_origins
            else None
        )
        self.function_url = self.function.function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.NONE,  # the function checks the product's API keys
            invoke_mode=lambda_.InvokeMode.BUFFERED,
            cors=cors,
        )
        if Token.is_unresolved(region):
            self.condition = CfnCondition(
                self,
                "FunctionUrlsExist",
                expression=Fn.condition_not(Fn.condition_equals(Aws.PARTITION, NO_FUNCTION_URLS)),
            )
            for child in self.function.function.node.find_all():
                if isinstance(child, CfnResource) and child.cfn_resource_type in (
                    "AWS::Lambda::Url",
                    "AWS::Lambda::Permission",
                ):
                    child.cfn_options.condition = self.condition

    @property
    def url(self) -> str | None:
        """The function URL (None where the partition has none)."""
        return self.function_url.url if self.function_url else None
