"""`private_egress: true`: the inference endpoints run in a VPC whose only ways out are the S3 and DynamoDB
gateway endpoints (no internet gateway, no NAT), with a synth of its own; cdk-nag must still pass."""

from __future__ import annotations

import pytest

from tests.infra.helpers import of_type, text
from tests.infra.synth import cdk_context


@pytest.fixture(scope="module")
def private(tmp_path_factory) -> dict:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import STACK_NAME, build_app

    app = cdk.App(
        context={**cdk_context(), "private_egress": True}, outdir=str(tmp_path_factory.mktemp("cdk.out"))
    )
    image = tmp_path_factory.mktemp("image")
    (image / "inference_container").mkdir()
    (image / "inference_container" / "Dockerfile").write_text("FROM scratch\n")
    build_app(app, image_directory=image)
    app.synth()  # raises on any unacknowledged cdk-nag finding
    return Template.from_stack(app.node.find_child(STACK_NAME)).to_json()["Resources"]


def test_there_is_no_internet_route(private):
    assert of_type(private, "AWS::EC2::InternetGateway") == {}
    assert of_type(private, "AWS::EC2::NatGateway") == {}


def test_s3_and_dynamodb_are_reached_through_gateway_endpoints(private):
    endpoints = list(of_type(private, "AWS::EC2::VPCEndpoint").values())

    names = [text(e["Properties"]["ServiceName"]) for e in endpoints]
    services = sorted(s for s in ("s3", "dynamodb") for name in names if f'.{s}"' in name)

    assert [e["Properties"]["VpcEndpointType"] for e in endpoints] == ["Gateway", "Gateway"]
    assert services == ["dynamodb", "s3"]


def test_every_model_runs_in_the_vpc(private):
    models = of_type(private, "AWS::SageMaker::Model").values()

    assert [("VpcConfig" in m["Properties"]) for m in models] == [True] * len(models)


def test_the_security_group_takes_no_ingress(private):
    [group] = of_type(private, "AWS::EC2::SecurityGroup").values()

    assert "SecurityGroupIngress" not in group["Properties"]


def test_without_the_option_there_is_no_vpc(resources):
    assert of_type(resources, "AWS::EC2::VPC") == {}
