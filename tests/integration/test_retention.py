"""Retention: a job past its retention, or whose outputs expired, reads as gone (410 or the dialect's
equivalent), never as a 500 or as a silent 404."""

from __future__ import annotations

import time

import boto3
import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.ids import new_id
from tests.integration.api_support import Api, Worker, api_env

DAY = 86400


@pytest.fixture
def env(aws, api_key):
    api, worker, _ = api_env(aws, api_key, job_retention_days=7)
    return api, worker, aws


def completed_job(api: Api, worker: Worker) -> str:
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "a lighthouse", "width": 64, "height": 64})
    assert status == 202
    worker.finish_all()
    return body["id"]


def test_a_job_past_its_retention_is_gone_in_native_and_runpod(env):
    api, worker, aws = env
    job_id = completed_job(api, worker)
    JobsTable(aws.jobs_table).update(job_id, {"expires_at": int(time.time()) - 1})  # TTL not yet applied

    status, body, _ = api.call("GET", f"/v1/jobs/{job_id}")
    assert status == 410
    assert "expired" in str(body)
    status, body, _ = api.call("GET", f"/v2/sdxl/status/{job_id}")
    assert status == 410
    assert "expired" in str(body)


def test_a_job_whose_item_was_removed_by_ttl_is_gone_not_missing(env):
    api, _, _ = env
    old_id = new_id(time.time() - 30 * DAY)

    status, body, _ = api.call("GET", f"/v1/jobs/{old_id}")
    assert status == 410
    assert "kept 7 days" in str(body)
    status, body, _ = api.call("POST", f"/api/v3/fetch/{old_id}", {"key": api.key})
    assert status == 410
    assert body["status"] == "error"
    assert "expired" in body["message"]


def test_a_recent_unknown_id_is_still_404(env):
    api, _, _ = env
    assert api.call("GET", f"/v1/jobs/{new_id()}")[0] == 404


def test_outputs_deleted_by_the_bucket_lifecycle_read_as_gone(env):
    api, worker, aws = env
    job_id = completed_job(api, worker)
    s3 = boto3.client("s3")
    for item in s3.list_objects_v2(Bucket=aws.bucket, Prefix=f"outputs/{job_id}/")["Contents"]:
        s3.delete_object(Bucket=aws.bucket, Key=item["Key"])

    status, body, _ = api.call("GET", f"/v1/jobs/{job_id}?base64=true")
    assert status == 410
    assert "expired" in str(body)
    status, body, _ = api.call("GET", f"/v2/sdxl/status/{job_id}")
    assert status == 410
    assert "expired" in str(body)
