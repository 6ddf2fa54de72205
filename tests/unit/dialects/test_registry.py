"""The dialect registry: which path prefix speaks which dialect, and what each entry renders."""

from __future__ import annotations

import pytest

from sdapi.dialects import registry
from sdapi.dialects.common import Outputs, WebhookEvent
from sdapi.errors import InvalidRequest
from sdapi.schema.job import Dialect, JobState
from tests.unit.dialects.support import ctx, record_for


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/v1/jobs", Dialect.NATIVE),
        ("/v2/sdxl/run", Dialect.RUNPOD),
        ("/sdapi/v1/txt2img", Dialect.A1111),
        ("/api/v3/text2img", Dialect.V3),
        ("/v1alpha1", Dialect.TASKS),
        ("/v1alpha2/task-1", Dialect.TASKS),
        ("/docs", Dialect.NATIVE),
        ("/nowhere", Dialect.NATIVE),
    ],
)
def test_a_path_speaks_the_dialect_of_its_prefix(path, dialect):
    assert registry.for_path(path).dialect == dialect


def test_the_tasks_prefix_wins_over_the_shorter_native_one():
    # Given "/v1alpha2" also starts with "/v1", when it is looked up, then the longer prefix decides.
    assert registry.for_path("/v1alpha2").dialect == Dialect.TASKS


def test_only_v3_carries_the_key_in_the_body():
    carriers = [entry.dialect for entry in registry.ENTRIES if entry.key_in_body]

    assert carriers == [Dialect.V3]


def test_every_job_dialect_has_an_entry():
    assert {registry.for_dialect(d).dialect for d in Dialect} == set(Dialect)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/v1/jobs", 422), ("/sdapi/v1/txt2img", 422), ("/v2/sdxl/run", 400), ("/api/v3/text2img", 400)],
)
def test_schema_mismatches_answer_the_dialects_status(path, status):
    errors = [{"loc": ("body", "width"), "msg": "Input should be a valid integer", "type": "int_parsing"}]

    rendered_status, _ = registry.for_path(path).validation_body(errors, None)

    assert rendered_status == status


def test_errors_render_in_the_dialect_of_the_path():
    error = InvalidRequest.field("width", "must be a multiple of 8")

    _, native = registry.for_path("/v1/jobs").error_body(error)
    _, v3 = registry.for_path("/api/v3/text2img").error_body(error)

    assert native["error"]["fields"] == [{"field": "width", "reason": "must be a multiple of 8"}]
    assert v3["messege"] == {"width": ["must be a multiple of 8"]}


class FixedOutputs:
    bucket = "bucket-1"

    def outputs(self, record, *, base64):
        return Outputs(["BASE64" if base64 else "https://example.com/0.png"])


def v3_job(**fields):
    from sdapi.dialects import v3

    request = v3.V3Request(prompt="a cat", track_id=42, **fields)
    return v3.to_job(request, "text2img", ctx())


def test_a_v3_webhook_body_is_the_fetch_answer_with_the_track_id():
    # Given a completed v3 job that asked for URLs,
    record = record_for(v3_job(), state=JobState.COMPLETED, track_id="42", outputs=["outputs/1/0.png"])

    # when its webhook body is rendered through the registry,
    body = registry.for_dialect(Dialect.V3).webhook_body(
        record, WebhookEvent("completed", 0.0), FixedOutputs()
    )

    # then it is the success answer with the image URLs and the track id.
    assert body["status"] == "success"
    assert body["output"] == ["https://example.com/0.png"]
    assert body["track_id"] == "42"


def test_a_queued_v3_job_notifies_processing_without_a_fetch_url():
    record = record_for(v3_job())

    body = registry.for_dialect(Dialect.V3).webhook_body(record, WebhookEvent("queued", 0.0), FixedOutputs())

    assert body["status"] == "processing"
    assert body["fetch_result"] == ""


def test_a_native_webhook_body_wraps_the_job_view_with_its_event():
    record = record_for(
        v3_job(), dialect=Dialect.NATIVE, state=JobState.COMPLETED, outputs=["outputs/1/0.png"]
    )

    body = registry.for_dialect(Dialect.NATIVE).webhook_body(
        record, WebhookEvent("completed", 1_763_700_000.0), FixedOutputs()
    )

    assert body["type"] == "job.completed"
    assert body["timestamp"] == "2025-11-21T04:40:00.000Z"
    assert body["data"]["images"] == ["https://example.com/0.png"]


def test_a_task_webhook_body_names_the_outputs_in_the_bucket():
    record = record_for(
        v3_job(), dialect=Dialect.TASKS, state=JobState.COMPLETED, outputs=["outputs/1/0.png"]
    )

    body = registry.for_dialect(Dialect.TASKS).webhook_body(
        record, WebhookEvent("completed", 0.0), FixedOutputs()
    )

    assert body["image_url"] == ["s3://bucket-1/outputs/1/0.png"]
