"""The staged first deploy: `make deploy` deploys an endpoint only for pools whose models are staged, and
prints the next step (moto for CloudFormation and S3)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from infra.deploy_plan import main
from tests.infra.synth import ROOT

REGION = "us-east-1"


class FakeLambda:
    """get_account_settings with a chosen account concurrency quota."""

    def __init__(self, quota: int):
        self.quota = quota

    def get_account_settings(self):
        return {"AccountLimit": {"ConcurrentExecutions": self.quota}}


class Clients:
    """boto3-like `client(name)` over moto, with the Lambda account settings faked."""

    def __init__(self, quota: int = 1000):
        self.quota = quota

    def client(self, name: str):
        if name == "lambda":
            return FakeLambda(self.quota)
        return boto3.client(name, region_name=REGION)


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        yield


def deployed_stack(bucket: str = "sdapi-bucket") -> str:
    """A stack named Sdapi with the BucketName output, as the first deploy leaves it."""
    s3 = boto3.client("s3", region_name=REGION)
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}}},
        "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Sdapi", TemplateBody=json.dumps(template)
    )
    s3.head_bucket(Bucket=bucket)
    return bucket


def stage_default_pool(bucket: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=bucket, Key="models/default/catalog.json", Body=b"[]")
    s3.put_object(Bucket=bucket, Key="models/default/sd_xl_base_1.0/model_index.json", Body=b"{}")


def run(capsys, command: str, clients: Clients | None = None) -> tuple[str, str]:
    assert main([command, "--cdk-json", str(ROOT / "cdk.json")], clients=clients or Clients()) == 0
    captured = capsys.readouterr()
    return captured.out.strip(), captured.err


def test_an_empty_account_deploys_no_endpoint(aws, capsys):
    out, err = run(capsys, "context")
    assert out == "-c serving_pools=-"
    assert "pool default: no endpoint this time" in err


def test_a_deployed_stack_without_models_still_deploys_no_endpoint(aws, capsys):
    deployed_stack()
    out, _ = run(capsys, "context")
    assert out == "-c serving_pools=-"


def test_staged_models_deploy_the_endpoint(aws, capsys):
    stage_default_pool(deployed_stack())
    out, _ = run(capsys, "context")
    assert out == "-c serving_pools=default"


def test_a_catalog_without_the_model_files_is_not_staged(aws, capsys):
    bucket = deployed_stack()
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key="models/default/catalog.json", Body=b"[]"
    )
    out, _ = run(capsys, "context")
    assert out == "-c serving_pools=-"


def test_after_the_first_deploy_the_next_step_is_staging(aws, capsys):
    deployed_stack("my-bucket")
    out, _ = run(capsys, "next")
    assert "python -m infra.stage_models --bucket my-bucket --pool default" in out
    assert "then run `make deploy` again" in out


def test_after_the_serving_deploy_the_next_step_is_a_key_and_smoke(aws, capsys):
    stage_default_pool(deployed_stack())
    out, _ = run(capsys, "next")
    assert "sdapi-keys create" in out


def test_a_small_concurrency_quota_turns_the_reservations_off(aws, capsys):
    out, err = run(capsys, "context", Clients(quota=10))
    assert "completion_reserved_concurrency=null" in out
    assert "concurrency quota is too small" in err


def test_a_small_concurrency_quota_also_turns_the_long_wait_reservation_off(aws, capsys):
    out, _ = run(capsys, "context", Clients(quota=10))
    assert "sync_url_reserved_concurrency=null" in out


def test_after_the_serving_deploy_the_long_wait_url_is_named_for_synchronous_calls():
    from infra.config import DeployConfig
    from infra.deploy_plan import PoolPlan, next_steps

    outputs = {"SyncUrl": "https://abc.lambda-url.eu-west-1.on.aws/"}
    text = next_steps([PoolPlan("default", ())], outputs, DeployConfig())
    assert "the long-wait URL https://abc.lambda-url.eu-west-1.on.aws/" in text


def test_without_a_function_url_no_long_wait_url_is_named():
    from infra.config import DeployConfig
    from infra.deploy_plan import PoolPlan, next_steps

    text = next_steps([PoolPlan("default", ())], {"ApiUrl": "https://api"}, DeployConfig())
    assert "long-wait" not in text


def test_the_printed_context_synthesizes(aws, capsys):
    """What `context` prints is what the config accepts (comma list, '-' for none)."""
    from infra.config import DeployConfig

    out, _ = run(capsys, "context")
    key, _, value = out.split(" ")[1].partition("=")
    assert DeployConfig.from_context({key: value}).serving_pools == ()
