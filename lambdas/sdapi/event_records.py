"""The records the event-driven Lambdas receive, as Powertools parser models.

Each handler gives its `BatchProcessor` one of these as `model=`, so every record of a batch is validated
into a typed record before the service sees it, and partial batch failures work as before (a record that
cannot be validated, or whose handling raises, is reported in `batchItemFailures`):

- `CompletionRecord`: an SQS message holding SageMaker's async-inference notification inside SNS's envelope
  (the success and error topics deliver to the completion queue without raw delivery); a raw-delivery body
  is accepted as well. Anything else (SageMaker's text test notification, garbage) stays text, and
  `notification` is None: the completion service acknowledges it.
- `WebhookRecord`: an SQS message holding a `WebhookMessage`.
- The jobs table's stream records are Powertools' own `DynamoDBStreamRecordModel` (images deserialized).
"""

from __future__ import annotations

import base64

from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamRecordModel,
    SnsNotificationModel,
    SqsRecordModel,
)
from pydantic import BaseModel, ConfigDict, Field, Json

from sdapi.webhooks.message import WebhookMessage

__all__ = [
    "AsyncNotification",
    "CompletionRecord",
    "DynamoDBStreamRecordModel",
    "ResponseBody",
    "ResponseParameters",
    "SageMakerSnsNotification",
    "WebhookRecord",
]


class ResponseBody(BaseModel):
    """The container's answer carried inline in the notification (`IncludeInferenceResponseIn`)."""

    model_config = ConfigDict(extra="allow")

    content: str = Field(default="", description="The answer, encoded as `encoding` says.")
    encoding: str = Field(default="UTF-8", description="`BASE64` or a text encoding.")

    def data(self) -> bytes:
        if self.encoding.upper() == "BASE64":
            return base64.b64decode(self.content)
        return self.content.encode("utf-8")


class ResponseParameters(BaseModel):
    """Where SageMaker wrote the container's answer (or failure), and the answer itself when inline."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    content_type: str | None = Field(default=None, alias="contentType", description="The answer's type.")
    output_location: str | None = Field(
        default=None, alias="outputLocation", description="S3 URI of a successful answer."
    )
    failure_location: str | None = Field(
        default=None, alias="failureLocation", description="S3 URI of a failed invocation's answer."
    )
    response_body: ResponseBody | None = Field(
        default=None, alias="responseBody", description="The answer inline (at most 128 KB)."
    )


class AsyncNotification(BaseModel):
    """SageMaker's asynchronous-inference notification (the SNS message)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    invocation_status: str | None = Field(
        default=None, alias="invocationStatus", description="`Completed` or `Failed`."
    )
    inference_id: str | None = Field(
        default=None, alias="inferenceId", description="The job id and attempt (`parse_inference_id`)."
    )
    failure_reason: str | None = Field(
        default=None, alias="failureReason", description="SageMaker's reason for a failed invocation."
    )
    event_name: str | None = Field(
        default=None, alias="eventName", description="`InferenceResult`, or `TestNotification`."
    )
    response_parameters: ResponseParameters = Field(
        default_factory=ResponseParameters,
        alias="responseParameters",
        description="Where the answer is, and the answer when inline.",
    )
    response_body: ResponseBody | None = Field(
        default=None, alias="responseBody", description="The answer inline, where placed at the top level."
    )

    @property
    def is_result(self) -> bool:
        """False for SageMaker's test notification (or anything that is not an invocation result)."""
        return bool(self.inference_id) and self.invocation_status in ("Completed", "Failed")

    @property
    def inline(self) -> ResponseBody | None:
        return self.response_parameters.response_body or self.response_body


class SageMakerSnsNotification(SnsNotificationModel):
    """SNS's envelope around a SageMaker notification; a message that is not one stays text."""

    Message: Json[AsyncNotification] | str = Field(  # type: ignore[assignment]
        union_mode="left_to_right", description="SageMaker's notification, or any other text."
    )


class CompletionRecord(SqsRecordModel):
    """One message of the completion queue."""

    body: Json[SageMakerSnsNotification] | Json[AsyncNotification] | str = Field(  # type: ignore[assignment]
        union_mode="left_to_right",
        description="SNS's envelope around the notification, a raw-delivery notification, or other text.",
    )

    @property
    def notification(self) -> AsyncNotification | None:
        """The SageMaker notification this message carries; None when it carries none."""
        body = self.body.Message if isinstance(self.body, SageMakerSnsNotification) else self.body
        return body if isinstance(body, AsyncNotification) else None


class WebhookRecord(SqsRecordModel):
    """One message of the webhook queue."""

    body: Json[WebhookMessage] = Field(description="The webhook to deliver.")  # type: ignore[assignment]
