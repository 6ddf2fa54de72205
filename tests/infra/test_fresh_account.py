"""What a first deploy in a fresh account trips on, and alarms that can fire: each property this stack
sets for it, read from the default synth (and a synth with no pool served yet)."""

from __future__ import annotations

import pytest

from tests.infra.helpers import of_type, one, scaling_alarm, text
from tests.infra.synth import cdk_context


def alarms_on(resources: dict, metric: str) -> list[dict]:
    return [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
    ]


def dimension_names(alarm: dict) -> set[str]:
    return {d["Name"] for d in alarm["Dimensions"]}


def handler_props(resources: dict, name: str) -> dict:
    return next(
        f["Properties"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == f"sdapi.handlers.{name}.handler"
    )


# -- fresh-account fixes ----------------------------------------------------------------------------------


def test_the_scalable_target_names_no_service_linked_role(resources):
    """Application Auto Scaling creates its SageMaker service-linked role itself on first registration."""
    target = one(resources, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert "RoleARN" not in target


def test_the_container_gets_the_region(resources):
    env = one(resources, "AWS::SageMaker::Model")["PrimaryContainer"]["Environment"]
    assert env["AWS_DEFAULT_REGION"] == {"Ref": "AWS::Region"}
    assert env["AWS_REGION"] == {"Ref": "AWS::Region"}


def test_the_sagemaker_role_trusts_only_this_account_s_sagemaker(resources):
    role_id = one(resources, "AWS::SageMaker::Model")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    (statement,) = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_endpoint_runs_on_a_gpu_ami_whose_driver_runs_cuda_12(resources):
    (variant,) = one(resources, "AWS::SageMaker::EndpointConfig")["ProductionVariants"]
    assert variant["InferenceAmiVersion"] == "al2-ami-sagemaker-inference-gpu-3-1"


def test_the_image_s_cuda_is_what_docs_deploy_names(resources):
    from tests.infra.synth import ROOT

    dockerfile = (ROOT / "inference_container" / "Dockerfile").read_text()
    base = next(line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM "))
    assert base in (ROOT / "docs" / "deploy.md").read_text()


def test_retained_tables_have_deletion_protection(resources):
    tables = of_type(resources, "AWS::DynamoDB::Table")
    retained = [t for t in tables.values() if t.get("DeletionPolicy") == "Retain"]
    assert [t["Properties"].get("DeletionProtectionEnabled") for t in retained] == [True, True]


def test_completion_and_events_have_reserved_concurrency(resources):
    reserved = {
        name: handler_props(resources, name).get("ReservedConcurrentExecutions")
        for name in ("completion", "events", "api")
    }
    assert reserved == {"completion": 5, "events": 2, "api": None}


def test_there_is_no_waf_unless_asked(resources):
    assert of_type(resources, "AWS::WAFv2::WebACL") == {}


# -- alarms that can fire ---------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["Invocation5XXErrors", "InvocationFailures", "NotificationFailures"])
def test_variant_metrics_alarm_with_endpoint_and_variant(resources, metric):
    (alarm,) = alarms_on(resources, metric)
    assert alarm["Dimensions"] == [
        {"Name": "EndpointName", "Value": "sdapi-default"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]


@pytest.mark.parametrize("metric", ["ApproximateAgeOfOldestRequest", "HasBacklogWithoutCapacity"])
def test_backlog_metrics_alarm_with_the_endpoint_only(resources, metric):
    for alarm in alarms_on(resources, metric):
        assert dimension_names(alarm) == {"EndpointName"}


def test_failure_alarms_page_the_alarm_topic(resources):
    paging = [
        a
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] in ("InvocationFailures", "NotificationFailures")
    ]
    assert len(paging) == 2
    assert not any(scaling_alarm(resources, a) for a in paging)


def test_dashboard_latencies_carry_the_variant(resources):
    body = text(one(resources, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    expected = ["ModelLatency", "EndpointName", "sdapi-default", "VariantName", "AllTraffic"]
    assert '\\",\\"'.join(expected) in body


def test_an_endpoint_metric_refuses_a_variant_level_name(stack):
    (pool,) = stack.pools
    with pytest.raises(ValueError, match="variant_metric"):
        pool.metric("ModelLatency")


# -- body size ----------------------------------------------------------------------------------------------


def test_the_largest_allowed_body_fits_in_a_lambda_event_even_base64_encoded(resources):
    import json

    from sdapi.config import LAMBDA_EVENT_BYTES

    env = handler_props(resources, "api")["Environment"]["Variables"]
    limit = json.loads(env["SDAPI_LIMITS"])["max_body_bytes"]
    assert limit * 4 / 3 + 512 * 1024 < LAMBDA_EVENT_BYTES


def test_a_body_limit_above_what_lambda_accepts_is_refused():
    from pydantic import ValidationError

    from sdapi.config import Limits

    with pytest.raises(ValidationError, match="max_body_bytes"):
        Limits(max_body_bytes=6 * 1024 * 1024)


# -- staged first deploy ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def storage_only(tmp_path_factory, image_directory):
    """The first deploy of `make deploy` in an empty account: no pool has staged models yet."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build_app

    app = cdk.App(
        context={**cdk_context(), "serving_pools": "-"}, outdir=str(tmp_path_factory.mktemp("first.out"))
    )
    build_app(app, image_directory=image_directory)
    app.synth()  # with the AwsSolutions pack
    return Template.from_stack(app.node.find_child("Sdapi")).to_json()


@pytest.mark.parametrize(
    "kind",
    [
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    ],
)
def test_a_first_deploy_without_models_creates_no_endpoint(storage_only, kind):
    assert of_type(storage_only["Resources"], kind) == {}


def test_a_first_deploy_without_models_needs_no_image(storage_only):
    assert "container-assets" not in text(storage_only)


def test_a_first_deploy_still_tells_where_to_stage_the_models(storage_only):
    outputs = storage_only["Outputs"]
    assert text(outputs["ModelDataUrlDefault"]["Value"]).endswith('"/models/default/"]]}')
    assert "not deployed until its models are staged" in outputs["EndpointNameDefault"]["Description"]


def test_a_first_deploy_keeps_the_bucket_tables_and_api(storage_only):
    kinds = {r["Type"] for r in storage_only["Resources"].values()}
    assert {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::ApiGateway::RestApi"} <= kinds
