"""A dashboard of the whole flow and the alarms that page: DLQs, 5xx, old queued jobs, failures."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import DeployConfig
from infra.functions import METRICS_NAMESPACE
from infra.inference import InferencePool

FIVE_MIN = Duration.minutes(5)
JOB_OUTCOMES = {
    "JobsCompleted": "COMPLETED",
    "JobsFailed": "FAILED",
    "JobsTimedOut": "TIMED_OUT",
    "JobsCancelled": "CANCELLED",
}
"""Metric per terminal state, counted from the events Lambda's `job event` log lines (one per transition)."""
WEBHOOK_FAILURES = "WebhooksFailed"
"""Counted from the webhook Lambda's `webhook failed, dead-lettered` log lines."""


def app_metric(name: str) -> cloudwatch.Metric:
    """A metric the stack's log metric filters publish (namespace `sdapi`, no dimensions)."""
    return cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name=name, statistic="Sum", period=FIVE_MIN)


def count_log_lines(
    scope: Construct,
    construct_id: str,
    group: logs.ILogGroup,
    metric_name: str,
    message: str,
    state: str | None = None,
) -> logs.MetricFilter:
    """Count Powertools JSON log lines with this `message` (and `state`) as a metric."""
    pattern = logs.FilterPattern.string_value("$.message", "=", message)
    if state is not None:
        pattern = logs.FilterPattern.all(pattern, logs.FilterPattern.string_value("$.state", "=", state))
    return logs.MetricFilter(
        scope,
        construct_id,
        log_group=group,
        filter_pattern=pattern,
        metric_namespace=METRICS_NAMESPACE,
        metric_name=metric_name,
        metric_value="1",
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        rest_api: apigw.RestApi,
        functions: dict[str, lambda_.Function],
        log_groups: dict[str, logs.ILogGroup],
        dead_letter_queues: dict[str, sqs.Queue],
        webhook_queue: sqs.Queue,
        pools: list[InferencePool],
    ) -> None:
        super().__init__(scope, construct_id)
        for metric_name, state in JOB_OUTCOMES.items():
            count_log_lines(
                self, f"Count{metric_name}", log_groups["events"], metric_name, "job event", state
            )
        count_log_lines(
            self,
            f"Count{WEBHOOK_FAILURES}",
            log_groups["webhooks"],
            WEBHOOK_FAILURES,
            "webhook failed, dead-lettered",
        )
        # CloudWatch alarms publish as a service principal, which the SNS-managed key does not serve.
        self.key = kms.Key(self, "AlarmKey", enable_key_rotation=True, description="sdapi alarm topic")
        self.key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.topic = sns.Topic(
            self, "Alarms", master_key=self.key, enforce_ssl=True, display_name="sdapi alarms"
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(
            alarm_id: str, metric: cloudwatch.IMetric, threshold: float, description: str, periods: int = 1
        ) -> None:
            created = cloudwatch.Alarm(
                self,
                alarm_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)

        for name, queue in dead_letter_queues.items():
            alarm(
                f"Dlq{name}",
                queue.metric_approximate_number_of_messages_visible(period=FIVE_MIN, statistic="Maximum"),
                1,
                f"Messages in the {name} dead-letter queue",
            )
        alarm(
            "Api5xx",
            rest_api.metric_server_error(period=FIVE_MIN, statistic="Sum"),
            5,
            "API answered 5xx at least 5 times in 5 minutes",
        )
        for name, function in functions.items():
            alarm(
                f"Errors{name.capitalize()}",
                function.metric_errors(period=FIVE_MIN, statistic="Sum"),
                1,
                f"The {name} Lambda failed",
            )
        alarm("JobsFailed", app_metric("JobsFailed"), 5, "At least 5 jobs failed in 5 minutes")
        alarm("JobsTimedOut", app_metric("JobsTimedOut"), 1, "A job timed out")
        for pool in pools:
            tag = pool.pool.name
            alarm(
                f"OldestJob{tag}",
                pool.metric("ApproximateAgeOfOldestRequest", "Maximum"),
                config.oldest_job_alarm_s,
                f"{pool.endpoint_name}: oldest queued request is old",
                periods=3,
            )
            alarm(
                f"Backlog{tag}",
                pool.metric("HasBacklogWithoutCapacity", "Maximum"),
                1,
                f"{pool.endpoint_name}: backlog and no capacity for 15 minutes (quota? failing start?)",
                periods=15,
            )
            alarm(
                f"ModelErrors{tag}",
                pool.variant_metric("Invocation5XXErrors", "Sum", 300),
                1,
                f"{pool.endpoint_name}: the container answered 5xx",
            )
            alarm(
                f"InvocationFailures{tag}",
                pool.variant_metric("InvocationFailures", "Sum", 300),
                1,
                f"{pool.endpoint_name}: asynchronous invocations failed (timeout, container error)",
            )
            alarm(
                f"NotificationFailures{tag}",
                pool.variant_metric("NotificationFailures", "Sum", 300),
                1,
                f"{pool.endpoint_name}: SageMaker could not publish a result notification (jobs stay "
                "RUNNING until the sweeper fails them)",
            )

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{config.name_prefix}-overview"
        )
        width = 8
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests",
                width=width,
                left=[rest_api.metric_count(period=Duration.minutes(1), statistic="Sum")],
            ),
            cloudwatch.GraphWidget(
                title="API 4xx / 5xx",
                width=width,
                left=[
                    rest_api.metric_client_error(period=Duration.minutes(1), statistic="Sum"),
                    rest_api.metric_server_error(period=Duration.minutes(1), statistic="Sum"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="API latency p50/p99",
                width=width,
                left=[rest_api.metric_latency(statistic="p50"), rest_api.metric_latency(statistic="p99")],
            ),
        )
        for pool in pools:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{pool.pool.name}: queue depth / oldest job age (s)",
                    width=width,
                    left=[pool.metric("ApproximateBacklogSize", "Maximum")],
                    right=[pool.metric("ApproximateAgeOfOldestRequest", "Maximum")],
                ),
                cloudwatch.GraphWidget(
                    title=f"{pool.pool.name}: backlog per instance / no capacity",
                    width=width,
                    left=[pool.metric("ApproximateBacklogSizePerInstance")],
                    right=[pool.metric("HasBacklogWithoutCapacity", "Maximum")],
                ),
                cloudwatch.GraphWidget(
                    title=f"{pool.pool.name}: instances (reporting) and GPU use",
                    width=width,
                    left=[pool.instance_metric("CPUUtilization", "SampleCount").with_(label="instances")],
                    right=[pool.instance_metric("GPUUtilization", "Average")],
                ),
                cloudwatch.GraphWidget(
                    title=f"{pool.pool.name}: GPU latency (ms): model, processing, time in backlog",
                    width=width * 3,
                    left=[
                        pool.variant_metric("ModelLatency", "Average").with_(label="model latency (us)"),
                        pool.variant_metric("TotalProcessingTime", "Average"),
                        pool.variant_metric("TimeInBacklog", "Average"),
                    ],
                ),
            )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Job outcomes", width=width, left=[app_metric(n) for n in JOB_OUTCOMES]
            ),
            cloudwatch.GraphWidget(
                title="Webhook failures / webhook queue",
                width=width,
                left=[
                    app_metric(WEBHOOK_FAILURES),
                    dead_letter_queues["Webhooks"].metric_approximate_number_of_messages_visible(),
                ],
                right=[webhook_queue.metric_approximate_number_of_messages_visible()],
            ),
            cloudwatch.GraphWidget(
                title="Lambda errors",
                width=width,
                left=[f.metric_errors(period=FIVE_MIN) for f in functions.values()],
            ),
        )

    @property
    def dashboard_url(self) -> str:
        region = Stack.of(self).region
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )
