"""Native API through the real api handler (moto): submit, read, cancel, load, models, uploads, errors."""

from __future__ import annotations

import boto3
import pytest
import requests

from sdapi.ids import new_id
from tests.integration.api_support import (
    PNG,
    PNG_B64,
    api_env,
    other_key,
)


@pytest.fixture
def env(aws, api_key):
    api, worker, _ = api_env(aws, api_key)
    return api, worker, aws


def test_submit_then_read_then_images_inline(env):
    api, worker, aws = env

    status, body, headers = api.call(
        "POST", "/v1/jobs", {"prompt": "a cat", "seed": 5, "width": 64, "height": 64}
    )

    assert status == 202
    assert body["state"] == "QUEUED"
    assert headers["Location"] == f"/v1/jobs/{body['id']}"
    stored = boto3.client("s3").get_object(Bucket=aws.bucket, Key=f"inputs/{body['id']}.json")["Body"].read()
    assert b'"seed":5' in stored.replace(b" ", b"")
    worker.finish_all()
    status, view, _ = api.call("GET", f"/v1/jobs/{body['id']}")
    assert status == 200
    assert view["state"] == "COMPLETED"
    assert view["images"][0].startswith("http")
    assert view["progress"]["fraction"] == 1.0
    assert view["info"]["seed"] == 5
    status, inline, _ = api.call("GET", f"/v1/jobs/{body['id']}?base64=true")
    assert inline["images"] == [PNG_B64]


def test_cancel_and_owner_checks(env):
    api, _, aws = env
    _, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x"})

    assert api.call("GET", f"/v1/jobs/{body['id']}", key=other_key(aws))[0] == 404
    assert api.call("DELETE", f"/v1/jobs/{body['id']}", key=other_key(aws))[0] == 404
    status, cancelled, _ = api.call("DELETE", f"/v1/jobs/{body['id']}")
    assert status == 200
    assert cancelled["state"] == "CANCELLED"
    status, error, _ = api.call("GET", f"/v1/jobs/{new_id()}")
    assert status == 404
    assert error["error"]["type"] == "NotFound"


def test_missing_or_wrong_key_is_401(env):
    api, _, _ = env
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x"}, key=None)
    assert status == 401
    assert body["error"]["type"] == "Unauthorized"
    assert api.call("GET", "/v1/models", key="sd_wrong")[0] == 401
    assert api.call("POST", "/v1/jobs", {"colour": 1}, key=None)[0] == 401  # auth before schema details
    bearer = api.call("GET", "/v1/models", key=None, headers={"Authorization": f"Bearer {api.key}"})
    assert bearer[0] == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"width": 513}, "width"),
        ({"sampler": "Euler Turbo"}, "sampler"),
        ({"model": "dreamshaper_8"}, "model"),
        ({"init_images": ["bm90IGFuIGltYWdl"]}, "init_images[0]"),
        (
            {
                "model": "v1-5-pruned-emaonly",
                "controlnet": [{"model": "control_v11p_sd15_canny", "image": PNG_B64}],
                "init_images": [PNG_B64],
                "vae": "sdxl_vae",
            },
            "vae",
        ),
    ],
)
def test_bad_requests_are_400_naming_the_field_and_nothing_is_queued(env, payload, field):
    api, _, aws = env
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x", **payload})
    assert status == 400, body
    assert field in [f["field"] for f in body["error"]["fields"]]
    assert boto3.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="inputs/").get("KeyCount", 0) == 0


def test_schema_errors_are_422(env):
    api, _, _ = env
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x", "colour": "blue"})
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "colour"
    status, body, _ = api.call("POST", "/v1/jobs", raw=b"{not json")
    assert status == 422


def test_idempotency_key_returns_the_first_job(env):
    api, _, _ = env
    first = api.call("POST", "/v1/jobs", {"prompt": "x"}, headers={"Idempotency-Key": "abc"})[1]
    again = api.call("POST", "/v1/jobs", {"prompt": "x"}, headers={"Idempotency-Key": "abc"})[1]
    assert first["id"] == again["id"]


def test_upload_then_use_the_reference(env):
    api, _, aws = env
    status, upload, _ = api.call("POST", "/v1/uploads", {"content_type": "image/png"})
    assert status == 201
    assert upload["method"] == "PUT"
    assert upload["reference"].startswith("s3://")
    put = requests.put(upload["url"], data=PNG, headers={"Content-Type": "image/png"}, timeout=5)
    assert put.status_code == 200
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x", "init_images": [upload["reference"]]})
    assert status == 202
    assert body["task"] == "img2img"
    stolen = api.call("POST", "/v1/jobs", {"init_images": [upload["reference"]]}, key=other_key(aws))
    assert stolen[0] == 400
    assert stolen[1]["error"]["fields"][0]["field"] == "init_images[0]"


def test_load_and_models(env):
    api, _, _ = env
    api.call("POST", "/v1/jobs", {"prompt": "x"})
    status, load, _ = api.call("GET", "/v1/system/load")
    assert status == 200
    assert {p["pool"] for p in load["pools"]} == {"sdxl", "sd15"}
    assert next(p for p in load["pools"] if p["pool"] == "sdxl")["queued"] == 1
    assert "queue_time_s" in load
    status, models, _ = api.call("GET", "/v1/models")
    assert status == 200
    assert models["default_pool"] == "sdxl"
    assert "control_v11p_sd15_canny" in {m["name"] for m in models["models"]}


def test_body_over_the_limit_is_413(env):
    api, _, _ = env
    status, body, _ = api.call("POST", "/v1/jobs", raw=b'{"prompt": "' + b"x" * 7_000_000 + b'"}')
    assert status == 413
    assert body["error"]["type"] == "PayloadTooLarge"


def test_unknown_route_is_404_in_the_dialect_shape(env):
    api, _, _ = env
    status, body, _ = api.call("GET", "/v1/nothing")
    assert status == 404
    assert body["error"]["type"] == "NotFound"


def test_a_failing_aws_dependency_is_a_503_that_names_no_internal_resource(env):
    # Given SageMaker refuses the job with an error naming the endpoint and the account,
    from sdapi.errors import UpstreamUnavailable

    class RefusingEndpoint:
        def invoke_async(self, *args, **kwargs):
            raise UpstreamUnavailable("AccessDenied: arn:aws:iam::123456789012:role/x on endpoint sdapi-sdxl")

    api, _, _ = env
    api.service.enqueuer = RefusingEndpoint()

    # when a job is submitted,
    status, body, _ = api.call("POST", "/v1/jobs", {"prompt": "x"})

    # then the caller gets a 503 that says to retry, and nothing of the AWS detail.
    assert status == 503
    assert "try again" in body["error"]["message"]
    assert "123456789012" not in str(body)
    assert "sdapi-sdxl" not in str(body)
