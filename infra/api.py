"""The REST API: every route proxies to the api Lambda (which also serves /openapi.json and /docs)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import DeployConfig, log_retention

STAGE = "v1"
ACCESS_LOG_FORMAT = apigw.AccessLogFormat.json_with_standard_fields(
    caller=False,
    http_method=True,
    ip=True,
    protocol=True,
    request_time=True,
    resource_path=True,
    response_length=True,
    status=True,
    user=False,
)


class Api(Construct):
    """REST API (regional), stage throttling, JSON access logs, a usage plan, a request validator."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, function: lambda_.IFunction
    ):
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        cors = (
            apigw.CorsOptions(
                allow_origins=list(config.cors_origins),
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=["Content-Type", "Authorization", "x-api-key"],
            )
            if config.cors_origins
            else None
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.name_prefix}-api",
            description="sdapi: A1111, RunPod, v3, tasks and native dialects (OpenAPI at /openapi.json)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            default_cors_preflight_options=cors,
            binary_media_types=["multipart/form-data", "image/*", "application/octet-stream"],
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=config.throttle_rate,
                throttling_burst_limit=config.throttle_burst,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=ACCESS_LOG_FORMAT,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        # Bodies are free-form per dialect and validated by the Lambda (each dialect answers in its own
        # error shape), so no request model is attached and body validation has nothing to refuse; the
        # validator checks what API Gateway can: required parameters. Body size: API
        # Gateway caps at 10 MB, Lambda at 6 MB, the app at `limits.max_body_bytes` (413 naming the limit).
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_parameters=True, validate_request_body=True
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        method_options = {
            "api_key_required": config.api_keys_required,
            "request_validator": self.validator,
            "authorization_type": apigw.AuthorizationType.NONE,
        }
        self.rest_api.root.add_method("ANY", integration, **method_options)
        self.rest_api.root.add_proxy(any_method=False).add_method("ANY", integration, **method_options)

        self.usage_plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            name=f"{config.name_prefix}-default",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.throttle_rate, burst_limit=config.throttle_burst
            ),
            quota=apigw.QuotaSettings(limit=config.quota_limit, period=apigw.Period[config.quota_period])
            if config.quota_limit
            else None,
        )
        self.usage_plan.add_api_stage(stage=self.rest_api.deployment_stage)

        self.domain: apigw.DomainName | None = None
        if config.domain_name and config.certificate_arn:
            self.domain = self.rest_api.add_domain_name(
                "Domain",
                domain_name=config.domain_name,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
                endpoint_type=apigw.EndpointType.REGIONAL,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )

        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf_rate_limit is not None:
            self.web_acl = self._rate_limited_web_acl(config)
        else:
            Validations.of(self).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-APIG3",
                    reason="WAF is optional (context waf_rate_limit) and billed per web ACL; stage "
                    "throttling and per-key limits protect the API by default.",
                )
            )

        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-APIG4",
                reason="Authentication is the product's API keys (hashed in DynamoDB; header, Basic or body "
                "`key` per dialect), checked by the api Lambda before any work.",
            ),
            Acknowledgment(
                id="AwsSolutions-COG4",
                reason="Clients are machines using API keys in existing SD API dialects, not Cognito users.",
            ),
        )
        Validations.of(self.rest_api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                reason="API Gateway's account-level logging role; the AWS-managed policy is the documented "
                "minimum for execution logs.",
            ),
        )

    def _rate_limited_web_acl(self, config: DeployConfig) -> wafv2.CfnWebACL:
        """A regional web ACL on the stage: allow by default, block an IP above `waf_rate_limit` requests
        in any 5-minute window."""
        name = f"{config.name_prefix}-api"
        web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="rate-per-ip",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=config.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name=f"{name}-rate-per-ip",
                        sampled_requests_enabled=True,
                    ),
                )
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=web_acl.attr_arn,
        )
        return web_acl

    @property
    def url(self) -> str:
        return self.rest_api.url
