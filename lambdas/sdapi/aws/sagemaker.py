"""SageMaker adapters: `Enqueuer` (sagemaker-runtime InvokeEndpointAsync) and `EndpointInfo`
(sagemaker DescribeEndpoint)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from sdapi.aws.clients import client
from sdapi.errors import UpstreamUnavailable


class SageMakerRuntime:
    """Queues jobs on a pool's async endpoint. Inputs live in `bucket` (the job JSON written at submit)."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    def invoke_async(
        self, endpoint: str, input_key: str, inference_id: str, timeout_s: int, ttl_s: int
    ) -> str:
        """InvokeEndpointAsync; returns SageMaker's OutputLocation. Raises UpstreamUnavailable on failure."""
        try:
            response = client("sagemaker-runtime").invoke_endpoint_async(
                EndpointName=endpoint,
                InputLocation=f"s3://{self.bucket}/{input_key}",
                InferenceId=inference_id,
                ContentType="application/json",
                Accept="application/json",
                InvocationTimeoutSeconds=max(1, min(3600, int(timeout_s))),
                RequestTTLSeconds=max(60, min(21600, int(ttl_s))),
            )
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(
                f"the inference endpoint {endpoint} did not accept the job: {error}"
            ) from error
        return str(response.get("OutputLocation", ""))


class SageMaker:
    """Reads endpoint status (instance counts for load reports)."""

    def instance_count(self, endpoint: str) -> int | None:
        """Sum of `CurrentInstanceCount` over the endpoint's variants; None when it cannot be read."""
        try:
            response = client("sagemaker").describe_endpoint(EndpointName=endpoint)
        except (ClientError, BotoCoreError):
            return None
        variants = response.get("ProductionVariants") or []
        return sum(int(v.get("CurrentInstanceCount", 0) or 0) for v in variants)
