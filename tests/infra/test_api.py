"""REST API: proxy to the api Lambda, throttling, access logs, usage plan, validator, CORS off, outputs."""

from __future__ import annotations

from tests.infra.helpers import of_type, one, scaling_alarm, text


def test_every_route_proxies_to_the_api_lambda(resources):
    methods = [m["Properties"] for m in of_type(resources, "AWS::ApiGateway::Method").values()]
    assert {m["HttpMethod"] for m in methods} == {"ANY"}  # no OPTIONS: CORS is off by default
    assert len(methods) == 2  # "/" and "/{proxy+}" (so /openapi.json and /docs reach the Lambda too)
    assert one(resources, "AWS::ApiGateway::Resource")["PathPart"] == "{proxy+}"
    for method in methods:
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert "sdapi" not in text(method.get("AuthorizationType", "NONE")).lower()
        assert "RequestValidatorId" in method
    (alias,) = of_type(resources, "AWS::Lambda::Alias")  # the api function's SnapStart alias
    assert all(alias in text(m["Integration"]["Uri"]) for m in methods)


def test_stage_is_throttled_and_access_logged(resources):
    stage = one(resources, "AWS::ApiGateway::Stage")
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 20
    assert settings["ThrottlingBurstLimit"] == 40
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert "requestId" in stage["AccessLogSetting"]["Format"]
    assert stage["TracingEnabled"] is True


def test_usage_plan_and_validator_exist(resources):
    plan = one(resources, "AWS::ApiGateway::UsagePlan")
    assert plan["Throttle"] == {"BurstLimit": 40, "RateLimit": 20}
    assert plan["ApiStages"]
    validator = one(resources, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestParameters"] is True


def test_outputs_have_stable_names(template):
    outputs = template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "BucketName",
        "JobsTableName",
        "KeysTableName",
        "EventsTopicArn",
        "SuccessTopicArn",
        "ErrorTopicArn",
        "AlarmTopicArn",
        "DashboardUrl",
        "EndpointName",
        "EndpointNameDefault",
        "ModelDataUrlDefault",
        "WebhookQueueUrl",
    } <= set(outputs)
    assert outputs["EndpointName"]["Value"] == "sdapi-default"


def test_dashboard_and_alarms_cover_the_flow(resources):
    body = text(one(resources, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for metric in (
        "5XXError",
        "4XXError",
        "ApproximateBacklogSize",
        "ApproximateAgeOfOldestRequest",
        "ApproximateBacklogSizePerInstance",
        "CPUUtilization",
        "JobsCompleted",
        "WebhooksFailed",
        "ModelLatency",
    ):
        assert metric in body, metric
    paging = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if not scaling_alarm(resources, a)
    ]
    names = {a["MetricName"] for a in paging}
    assert {
        "ApproximateNumberOfMessagesVisible",
        "5XXError",
        "ApproximateAgeOfOldestRequest",
        "Errors",
        "JobsFailed",
    } <= names
    alarm_topic = {"Ref": next(k for k in of_type(resources, "AWS::SNS::Topic") if "Alarms" in k)}
    assert all(a["AlarmActions"] == [alarm_topic] for a in paging)
    dlq_alarms = [a for a in paging if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert len(dlq_alarms) == 3


def test_job_outcomes_and_webhook_failures_are_counted_from_log_lines(resources):
    filters = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
        for f in of_type(resources, "AWS::Logs::MetricFilter").values()
    }
    assert set(filters) == {"JobsCompleted", "JobsFailed", "JobsTimedOut", "JobsCancelled", "WebhooksFailed"}
    assert (
        filters["JobsTimedOut"]["FilterPattern"] == '{ ($.message = "job event") && ($.state = "TIMED_OUT") }'
    )
    assert filters["WebhooksFailed"]["FilterPattern"] == '{ $.message = "webhook failed, dead-lettered" }'
    events_logs = next(
        v["Properties"]["LoggingConfig"]["LogGroup"]
        for v in of_type(resources, "AWS::Lambda::Function").values()
        if v["Properties"]["Handler"] == "sdapi.handlers.events.handler"
    )
    assert filters["JobsCompleted"]["LogGroupName"] == events_logs
