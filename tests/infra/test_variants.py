"""A second synth (module scope) with every option on: two pools (one reading models from another bucket),
CORS, a custom domain, alarm e-mail, a usage-plan quota, gateway keys. cdk-nag must still pass."""

from __future__ import annotations

import pytest

from tests.infra.helpers import of_type, text
from tests.infra.synth import NO_BUNDLING, ROOT

CONTEXT = {
    **NO_BUNDLING,
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "name_prefix": "img",
    "models": [
        {"name": "xl", "family": "sdxl", "path": "xl"},
        {"name": "v15", "family": "sd15", "path": "v15"},
        {"name": "canny15", "family": "controlnet", "base": "sd15", "path": "canny15"},
    ],
    "default_model": "xl",
    "pools": [
        {"name": "xl", "models": ["xl"], "max_instances": 4},
        {
            "name": "sd15",
            "models": ["v15", "canny15"],
            "instance_type": "ml.g4dn.xlarge",
            "min_instances": 1,
            "model_data_url": "s3://shared-models-bucket/sd15/",
        },
    ],
    "default_pool": "xl",
    "cors_origins": ["https://app.example.com"],
    "domain_name": "api.example.com",
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "alarm_email": "ops@example.com",
    "quota_limit": 10000,
    "api_keys_required": True,
    "scale_in_idle_minutes": 30,
    "waf_rate_limit": 2000,
    "completion_reserved_concurrency": "null",
}


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build_app
    from infra.inference import DOCKERFILE

    image_directory = None
    if not (ROOT / DOCKERFILE).is_file():
        image_directory = tmp_path_factory.mktemp("image")
        (image_directory / DOCKERFILE).parent.mkdir(parents=True)
        (image_directory / DOCKERFILE).write_text("FROM scratch\n")
    app = cdk.App(context=CONTEXT, outdir=str(tmp_path_factory.mktemp("variant.out")))
    build_app(app, image_directory=image_directory)
    app.synth()  # with the AwsSolutions pack
    return Template.from_stack(app.node.find_child("Sdapi")).to_json()["Resources"]


def test_one_endpoint_per_pool_with_its_own_settings(resources):
    endpoints = {
        e["Properties"]["EndpointName"] for e in of_type(resources, "AWS::SageMaker::Endpoint").values()
    }
    assert endpoints == {"img-xl", "img-sd15"}
    targets = {
        t["Properties"]["ResourceId"]: t["Properties"]
        for t in of_type(resources, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    }
    assert targets["endpoint/img-xl/variant/AllTraffic"]["MaxCapacity"] == 4
    assert targets["endpoint/img-sd15/variant/AllTraffic"]["MinCapacity"] == 1
    types = {
        c["Properties"]["ProductionVariants"][0]["InstanceType"]
        for c in of_type(resources, "AWS::SageMaker::EndpointConfig").values()
    }
    assert types == {"ml.g5.xlarge", "ml.g4dn.xlarge"}
    idle = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateBacklogSize"
    ]
    assert {a["EvaluationPeriods"] for a in idle} == {30}


def test_external_model_bucket_is_read_only_under_its_prefix(resources):
    models = [m["Properties"] for m in of_type(resources, "AWS::SageMaker::Model").values()]
    uris = {text(m["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]["S3Uri"]) for m in models}
    assert '"s3://shared-models-bucket/sd15/"' in uris
    statements = [
        s
        for p in of_type(resources, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    reads = [s for s in statements if s.get("Sid") == "ReadModels" and "shared-models-bucket" in text(s)]
    assert len(reads) == 1
    assert text(reads[0]["Resource"]).endswith(':s3:::shared-models-bucket/sd15/*"]]}')


def test_catalog_routes_models_to_pools(resources):
    import json

    from sdapi.schema.catalog import Catalog

    env = next(iter(of_type(resources, "AWS::Lambda::Function").values()))["Properties"]["Environment"]
    catalog = Catalog.model_validate(json.loads(env["Variables"]["SDAPI_CATALOG"]))
    assert catalog.pool_for_model("canny15").endpoint_name == "img-sd15"
    assert catalog.pool_for_model("xl").endpoint_name == "img-xl"


def test_cors_domain_email_quota_and_gateway_keys(resources):
    methods = [m["Properties"] for m in of_type(resources, "AWS::ApiGateway::Method").values()]
    assert "OPTIONS" in {m["HttpMethod"] for m in methods}
    assert all(m.get("ApiKeyRequired") for m in methods if m["HttpMethod"] == "ANY")
    (domain,) = of_type(resources, "AWS::ApiGateway::DomainName").values()
    assert domain["Properties"]["DomainName"] == "api.example.com"
    (subscription,) = [
        s["Properties"]
        for s in of_type(resources, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "email"
    ]
    assert subscription["Endpoint"] == "ops@example.com"
    (plan,) = of_type(resources, "AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["Quota"] == {"Limit": 10000, "Period": "DAY"}


def test_a_waf_rate_limit_attaches_a_rate_based_web_acl_to_the_stage(resources):
    ((acl_id, acl),) = of_type(resources, "AWS::WAFv2::WebACL").items()
    (rule,) = acl["Properties"]["Rules"]
    assert rule["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": 2000,
    }
    assert rule["Action"] == {"Block": {}}
    (association,) = of_type(resources, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert "/stages/" in text(association["Properties"]["ResourceArn"])


def test_a_null_reserved_concurrency_reserves_none(resources):
    completion = next(
        f["Properties"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "sdapi.handlers.completion.handler"
    )
    assert "ReservedConcurrentExecutions" not in completion
