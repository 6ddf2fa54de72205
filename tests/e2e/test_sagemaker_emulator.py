"""The SageMaker async emulator answers the real boto3 calls and does what SageMaker does afterwards."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from pytest_httpserver import HTTPServer

from local.moto_server import MotoServer
from local.sagemaker_emulator import EndpointConfig, SageMakerEmulator

pytestmark = pytest.mark.e2e

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    server = MotoServer()
    url = server.start()
    session = boto3.session.Session(region_name=REGION)
    s3 = session.client("s3", endpoint_url=url)
    sns = session.client("sns", endpoint_url=url)
    sqs = session.client("sqs", endpoint_url=url)
    s3.create_bucket(Bucket="bkt")
    queue_url = sqs.create_queue(QueueName="notes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topics = {}
    for kind in ("ok", "err"):
        arn = sns.create_topic(Name=kind)["TopicArn"]
        sns.subscribe(
            TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )
        topics[kind] = arn
    yield {"url": url, "s3": s3, "sqs": sqs, "queue_url": queue_url, "topics": topics, "session": session}
    server.stop()


@pytest.fixture
def emulator(aws, httpserver: HTTPServer):
    emulator = SageMakerEmulator(
        [
            EndpointConfig(
                name="ep",
                container_url=httpserver.url_for("").rstrip("/"),
                bucket="bkt",
                success_topic_arn=aws["topics"]["ok"],
                error_topic_arn=aws["topics"]["err"],
            )
        ],
        aws["url"],
    )
    url = emulator.start()
    yield url
    emulator.stop()


def _notification(aws, timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], WaitTimeSeconds=1).get("Messages", [])
        if got:
            return json.loads(got[0]["Body"])
    raise AssertionError("no SageMaker notification arrived")


def test_given_an_input_object_when_invoked_async_then_output_and_success_notification(
    aws, emulator, httpserver
):
    # given: a model server that answers the job and an input object in S3
    httpserver.expect_request("/invocations", method="POST", data=b'{"job": 1}').respond_with_json(
        {"done": True}
    )
    aws["s3"].put_object(Bucket="bkt", Key="inputs/1.json", Body=b'{"job": 1}')
    runtime = aws["session"].client("sagemaker-runtime", endpoint_url=emulator)

    # when: the unchanged boto3 call is made
    answer = runtime.invoke_endpoint_async(
        EndpointName="ep",
        InputLocation="s3://bkt/inputs/1.json",
        InferenceId="job-1",
        ContentType="application/json",
        InvocationTimeoutSeconds=60,
        RequestTTLSeconds=600,
    )

    # then: botocore parses SageMaker's answer, the output lands there and the notification follows
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert answer["InferenceId"] == "job-1"
    assert answer["OutputLocation"].startswith("s3://bkt/async-output/")
    assert answer["FailureLocation"].startswith("s3://bkt/async-failure/")
    note = _notification(aws)
    assert note["invocationStatus"] == "Completed"
    assert note["inferenceId"] == "job-1"
    assert note["requestParameters"]["endpointName"] == "ep"
    assert note["requestParameters"]["inputLocation"] == "s3://bkt/inputs/1.json"
    assert note["responseParameters"]["outputLocation"] == answer["OutputLocation"]
    assert json.loads(note["responseParameters"]["responseBody"]["content"]) == {"done": True}
    key = answer["OutputLocation"].removeprefix("s3://bkt/")
    assert json.loads(aws["s3"].get_object(Bucket="bkt", Key=key)["Body"].read()) == {"done": True}


def test_given_a_failing_model_when_invoked_then_failure_object_and_error_notification(
    aws, emulator, httpserver
):
    httpserver.expect_request("/invocations", method="POST").respond_with_json(
        {"error": "bad job", "type": "InvalidJob"}, status=400
    )
    aws["s3"].put_object(Bucket="bkt", Key="inputs/2.json", Body=b"{}")
    runtime = aws["session"].client("sagemaker-runtime", endpoint_url=emulator)

    answer = runtime.invoke_endpoint_async(
        EndpointName="ep", InputLocation="s3://bkt/inputs/2.json", InferenceId="j2"
    )

    note = _notification(aws)
    assert note["invocationStatus"] == "Failed"
    assert "(400)" in note["failureReason"]
    assert "bad job" in note["failureReason"]
    assert note["responseParameters"]["failureLocation"] == answer["FailureLocation"]
    key = answer["FailureLocation"].removeprefix("s3://bkt/")
    assert json.loads(aws["s3"].get_object(Bucket="bkt", Key=key)["Body"].read())["type"] == "InvalidJob"


def test_given_an_unknown_endpoint_when_invoked_then_botocore_raises_validation_error(aws, emulator):
    runtime = aws["session"].client("sagemaker-runtime", endpoint_url=emulator)
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint_async(EndpointName="nope", InputLocation="s3://bkt/x.json")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "nope" in caught.value.response["Error"]["Message"]


def test_describe_endpoint_reports_one_instance(aws, emulator):
    sagemaker = aws["session"].client("sagemaker", endpoint_url=emulator)
    described = sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    with pytest.raises(ClientError):
        sagemaker.describe_endpoint(EndpointName="nope")
