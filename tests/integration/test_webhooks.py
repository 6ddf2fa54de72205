"""Webhook delivery end to end: a job's state change → stream → events handler → webhook queue → webhook
handler → a real HTTP receiver (pytest-httpserver), against moto."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks import Webhook
from werkzeug import Request, Response

from sdapi.aws.jobs_table import JobsTable
from sdapi.errors import UrlRefused
from sdapi.schema.job import JobState
from tests.integration.events_harness import Pipeline, manifest, notification, webhook_settings

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


@pytest.fixture
def settings(catalog):
    return webhook_settings(catalog, webhook_max_attempts=3)


@pytest.fixture
def submit(service, make_job, api_key, aws):
    """Submit a job with a webhook and finish it (COMPLETED with one PNG in S3)."""
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")

    def run(url: str, *, finish: str = "completed", **fields):
        job = make_job(
            key_id=api_key.principal.key_id, webhook={"url": url, **fields.pop("hook", {})}, **fields
        )
        record = service.submit(job)
        s3.put_object(Bucket=aws.bucket, Key=f"{job.output.prefix}0.png", Body=PNG)
        return record

    return run


def finish(pipeline: Pipeline, job_id: str, status: str = "Completed") -> None:
    if status == "Completed":
        pipeline.complete(
            [notification(job_id, manifest=manifest(job_id) | {"images": [f"outputs/{job_id}/0.png"]})]
        )
    else:
        pipeline.complete([notification(job_id, status="Failed", failureReason="CUDA out of memory")])


def requests_to(httpserver, path: str | None = None) -> list[Request]:
    """The requests the server logged (to `path` only, when given: a slow delivery of an earlier test may
    still arrive late on the shared server)."""
    return [request for request, _ in httpserver.log if path is None or request.path == path]


def test_given_a_completed_runpod_job_then_its_status_body_arrives_signed(
    pipeline, submit, httpserver, api_key
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    record = submit(httpserver.url_for("/hook"), dialect="runpod")
    finish(pipeline, record.id)
    pipeline.deliver()

    [request] = requests_to(httpserver)
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert request.headers["webhook-id"] == f"{record.id}.completed.0"
    assert payload["id"] == record.id
    assert payload["status"] == "COMPLETED"
    assert base64.b64decode(payload["output"]["images"][0]) == PNG
    assert JobsTable(pipeline.resources.jobs_table).get(record.id).webhook_status == "delivered"


def test_given_a_v3_job_then_the_fetch_body_arrives_with_its_track_id(pipeline, submit, httpserver, api_key):
    httpserver.expect_request("/v3").respond_with_data("ok")
    record = submit(httpserver.url_for("/v3"), dialect="v3", track_id="order-77")
    finish(pipeline, record.id)
    pipeline.deliver()

    [request] = requests_to(httpserver)
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["status"] == "success"
    assert payload["id"] == int(record.id)
    assert payload["track_id"] == "order-77"
    assert len(payload["output"]) == 1
    assert payload["output"][0].startswith("http")


def test_given_a_v3_job_that_asked_for_base64_then_the_webhook_carries_the_images_inline(
    pipeline, submit, httpserver, api_key
):
    httpserver.expect_request("/v3").respond_with_data("ok")
    record = submit(httpserver.url_for("/v3"), dialect="v3", request={"base64": "yes"})
    finish(pipeline, record.id)
    pipeline.deliver()

    [request] = requests_to(httpserver)
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert [base64.b64decode(image) for image in payload["output"]] == [PNG]


def test_given_a_failed_task_job_then_the_notification_carries_its_context(
    pipeline, submit, httpserver, api_key, make_job
):
    httpserver.expect_request("/tasks").respond_with_data("ok")
    record = submit(httpserver.url_for("/tasks"), dialect="tasks", context={"batch": 9})
    finish(pipeline, record.id, status="Failed")
    pipeline.deliver()

    [request] = requests_to(httpserver)
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["id"] == record.id
    assert payload["result"] is False
    assert payload["context"] == {"batch": 9}
    assert payload["output_url"].startswith("s3://")
    assert request.headers["webhook-id"] == f"{record.id}.failed.0"


def test_given_a_native_job_then_the_body_is_type_timestamp_data(pipeline, submit, httpserver, api_key):
    httpserver.expect_request("/native").respond_with_data("ok")
    record = submit(httpserver.url_for("/native"), dialect="native")
    finish(pipeline, record.id)
    pipeline.deliver()

    [request] = requests_to(httpserver)
    payload = Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["type"] == "job.completed"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"]["id"] == record.id


def test_given_native_subscriptions_then_started_and_progress_are_delivered_too(
    pipeline, submit, httpserver, api_key
):
    httpserver.expect_request("/all").respond_with_data("ok")
    record = submit(
        httpserver.url_for("/all"), hook={"events": ["queued", "started", "progress", "completed"]}
    )
    table = JobsTable(pipeline.resources.jobs_table)
    table.transition(
        record.id, JobState.IN_PROGRESS, expected=[JobState.QUEUED], updates={"started_at": time.time()}
    )
    table.update(record.id, {"progress_step": 5})
    finish(pipeline, record.id)
    pipeline.deliver()

    ids = [r.headers["webhook-id"] for r in requests_to(httpserver)]
    assert sorted(ids) == sorted(
        [
            f"{record.id}.queued.0",
            f"{record.id}.started.0",
            f"{record.id}.progress.0.5",
            f"{record.id}.completed.0",
        ]
    )
    types = {json.loads(r.get_data())["type"] for r in requests_to(httpserver)}
    assert types == {"job.queued", "job.started", "job.progress", "job.completed"}


def test_given_a_500_then_it_is_retried_with_the_same_webhook_id(pipeline, submit, httpserver, api_key):
    httpserver.expect_ordered_request("/flaky").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("ok")
    record = submit(httpserver.url_for("/flaky"))
    finish(pipeline, record.id)
    pipeline.pump_stream()
    pipeline.pump_webhooks()

    [(retry, delay_s)] = pipeline.release_delayed()
    assert retry["delivery"] == 2
    assert retry["last_error"] == "HTTP 500"
    assert 5 <= delay_s <= 10
    assert JobsTable(pipeline.resources.jobs_table).get(record.id).webhook_status == "pending"
    pipeline.pump_webhooks()

    first, second = requests_to(httpserver)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"{record.id}.completed.0"
    for request in (first, second):
        Webhook(api_key.webhook_secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert JobsTable(pipeline.resources.jobs_table).get(record.id).webhook_status == "delivered"


def test_given_429_with_retry_after_then_the_retry_waits_that_long(pipeline, submit, httpserver):
    httpserver.expect_request("/busy").respond_with_response(
        Response("slow down", 429, {"Retry-After": "120"})
    )
    record = submit(httpserver.url_for("/busy"))
    finish(pipeline, record.id)
    pipeline.pump_stream()
    pipeline.pump_webhooks()

    [(retry, delay_s)] = pipeline.release_delayed()
    assert retry["delivery"] == 2
    assert retry["last_error"] == "HTTP 429"
    assert 118 <= delay_s <= 120


def test_given_a_receiver_that_times_out_then_it_is_retried(pipeline, submit, httpserver):
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    record = submit(httpserver.url_for("/slow"))
    finish(pipeline, record.id)
    pipeline.pump_stream()
    pipeline.pump_webhooks()

    [(retry, _)] = pipeline.release_delayed()
    assert retry["delivery"] == 2
    assert "Timeout" in retry["last_error"], retry["last_error"]


def test_given_a_400_then_it_fails_at_once_into_the_dlq(pipeline, submit, httpserver):
    httpserver.expect_request("/bad").respond_with_data("no", status=400)
    record = submit(httpserver.url_for("/bad"))
    finish(pipeline, record.id)
    pipeline.deliver()

    assert len(requests_to(httpserver, "/bad")) == 1
    [dead] = pipeline.dead_letters()
    assert dead["webhook_id"] == f"{record.id}.completed.0"
    assert dead["last_error"] == "HTTP 400"
    stored = JobsTable(pipeline.resources.jobs_table).get(record.id)
    assert stored.webhook_status == "failed"
    assert stored.webhook_error == "HTTP 400"


def test_given_410_then_retries_stop(pipeline, submit, httpserver):
    httpserver.expect_request("/gone").respond_with_data("unsubscribed", status=410)
    record = submit(httpserver.url_for("/gone"))
    finish(pipeline, record.id)
    pipeline.deliver()

    assert len(requests_to(httpserver)) == 1
    assert pipeline.release_delayed() == []
    stored = JobsTable(pipeline.resources.jobs_table).get(record.id)
    assert stored.webhook_status == "failed"
    assert "410" in stored.webhook_error


def test_given_a_redirect_then_it_is_not_followed(pipeline, submit, httpserver):
    httpserver.expect_request("/moved").respond_with_response(
        Response("", 302, {"Location": httpserver.url_for("/elsewhere")})
    )
    httpserver.expect_request("/elsewhere").respond_with_data("should never be called")
    record = submit(httpserver.url_for("/moved"))
    finish(pipeline, record.id)
    pipeline.deliver()

    assert [r.path for r in requests_to(httpserver)] == ["/moved"]
    stored = JobsTable(pipeline.resources.jobs_table).get(record.id)
    assert stored.webhook_status == "failed"
    assert "redirects are not followed" in stored.webhook_error


def test_when_the_last_try_fails_then_the_message_is_dead_lettered(pipeline, submit, httpserver):
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    record = submit(httpserver.url_for("/down"))
    finish(pipeline, record.id)
    pipeline.deliver()

    assert len(requests_to(httpserver)) == 3, "webhook_max_attempts=3"
    [dead] = pipeline.dead_letters()
    assert dead["delivery"] == 3
    assert dead["job_id"] == record.id
    assert "gave up after 3 attempts" in dead["last_error"]
    stored = JobsTable(pipeline.resources.jobs_table).get(record.id)
    assert stored.webhook_status == "failed"
    assert "HTTP 503" in stored.webhook_error


def test_duplicate_completion_notifications_deliver_one_webhook(pipeline, submit, httpserver):
    httpserver.expect_request("/once").respond_with_data("ok")
    record = submit(httpserver.url_for("/once"))
    body = notification(record.id, manifest=manifest(record.id))
    assert pipeline.complete([body, body]) == {"batchItemFailures": []}
    pipeline.complete([body])
    pipeline.deliver()

    assert len(requests_to(httpserver)) == 1


def test_a_redelivered_webhook_message_is_not_posted_twice(pipeline, submit, httpserver):
    httpserver.expect_request("/dedupe").respond_with_data("ok")
    record = submit(httpserver.url_for("/dedupe"))
    finish(pipeline, record.id)
    pipeline.pump_stream()
    [message] = pipeline.receive(pipeline.resources.webhook_queue_url)
    pipeline.sqs.send_message(QueueUrl=pipeline.resources.webhook_queue_url, MessageBody=message["Body"])
    pipeline.sqs.change_message_visibility(
        QueueUrl=pipeline.resources.webhook_queue_url,
        ReceiptHandle=message["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    pipeline.deliver()

    assert len(requests_to(httpserver)) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "ftp://x.io/",
    ],
)
def test_webhook_urls_to_private_addresses_are_refused_at_submit(submit, url):
    with pytest.raises(UrlRefused) as refused:
        submit(url)
    assert refused.value.field_name == "webhook.url"


def test_a_webhook_url_that_turned_private_is_refused_at_delivery(pipeline, submit, httpserver):
    httpserver.expect_request("/fine").respond_with_data("ok")
    record = submit(httpserver.url_for("/fine"))
    JobsTable(pipeline.resources.jobs_table).update(record.id, {"webhook_url": "http://10.1.2.3/hook"})
    finish(pipeline, record.id)
    pipeline.deliver()

    assert requests_to(httpserver) == []
    stored = JobsTable(pipeline.resources.jobs_table).get(record.id)
    assert stored.webhook_status == "failed"
    assert "private" in stored.webhook_error
    [dead] = pipeline.dead_letters()
    assert dead["delivery"] == 1
