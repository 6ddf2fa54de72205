"""Tasks API (SD on EKS) through the real api handler (moto): seed 004 in both versions with image_link
fetched through the guard, caller ids (409 when taken), status route, errors."""

from __future__ import annotations

import copy

import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.ids import scoped_id
from tests.integration.api_support import PNG, Worker, api_env, other_key
from tests.seeds import seed_blocks


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def env(aws, api_key, httpserver):
    api, _, _ = api_env(aws, api_key, worker=False, allow_loopback_urls=True, allow_http_urls=True)
    httpserver.expect_request("/cat.png").respond_with_data(PNG, content_type="image/png")
    return api, aws, httpserver


def v1alpha2(server) -> dict:
    body = copy.deepcopy(seed_blocks("004")[0])
    body["task"]["content"]["alwayson_scripts"]["image_link"] = server.url_for("/cat.png")
    return body


def v1alpha1(server) -> dict:
    body = copy.deepcopy(seed_blocks("004")[1])
    body["alwayson_scripts"]["image_link"] = server.url_for("/cat.png")
    return body


def test_seed_004_v1alpha2(env):
    api, aws, server = env

    status, body, _ = api.call("POST", "/v1alpha2", v1alpha2(server))

    stored = scoped_id("alice", "test-i2i")
    assert status == 200, body
    assert body == {
        "id_task": "test-i2i",
        "id": "test-i2i",
        "runtime": "sdruntime",
        "output_location": f"s3://{aws.bucket}/output/{stored}",
    }
    record = JobsTable(aws.jobs_table).get(stored)
    assert record.task == "img2img"
    assert record.output_prefix == f"output/{stored}/"
    assert record.summary["init_image_count"] == 1

    status, again, _ = api.call("POST", "/v1alpha2", v1alpha2(server))
    assert status == 409
    assert again["error"]["type"] == "Conflict"

    status, state, _ = api.call("GET", "/v1alpha2/test-i2i")
    assert status == 200
    assert state["result"] is None
    assert state["status"] == "queued"
    assert state["context"] == ""
    Worker(aws.settings).finish(stored)
    state = api.call("GET", "/v1alpha2/test-i2i")[1]
    assert state["result"] is True
    assert state["image_url"] == [f"s3://{aws.bucket}/output/{stored}/0.png"]
    assert api.call("GET", "/v1alpha2/test-i2i", key=other_key(aws))[0] == 404


def test_seed_004_v1alpha1(env):
    api, aws, server = env

    status, body, _ = api.call("POST", "/v1alpha1", v1alpha1(server))

    stored = scoped_id("alice", "test-i2i")
    assert status == 200, body
    assert body == {
        "id_task": "test-i2i",
        "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors",
        "output_location": f"s3://{aws.bucket}/{stored}",
    }
    record = JobsTable(aws.jobs_table).get(stored)
    assert record.pool == "sd15"
    assert record.model == "v1-5-pruned-emaonly"


def test_errors_name_the_task_fields(env):
    api, aws, server = env
    body = v1alpha2(server)
    body["task"]["content"]["width"] = 500
    status, answer, _ = api.call("POST", "/v1alpha2", body)
    assert status == 400
    assert answer["error"]["fields"][0]["field"] == "task.content.width"

    body = v1alpha2(server)
    body["task"]["metadata"]["tasktype"] = "upscale"
    status, answer, _ = api.call("POST", "/v1alpha2", body)
    assert status == 400
    assert answer["error"]["fields"][0]["field"] == "task.metadata.tasktype"

    body = v1alpha2(server)
    body["task"]["content"]["alwayson_scripts"]["image_link"] = server.url_for("/missing.png")
    status, answer, _ = api.call("POST", "/v1alpha2", body)
    assert status == 400
    assert answer["error"]["fields"][0]["field"] == "task.content.alwayson_scripts.image_link"

    body = v1alpha1(server)
    body["alwayson_scripts"]["image_link"] = "https://169.254.169.254/latest/meta-data"
    status, answer, _ = api.call("POST", "/v1alpha1", body)
    assert status == 400
    assert answer["error"]["fields"][0]["field"] == "alwayson_scripts.image_link"

    assert api.call("POST", "/v1alpha2", v1alpha2(server), key=None)[0] == 401
    assert JobsTable(aws.jobs_table).get("test-i2i") is None


@pytest.mark.parametrize("prefix", ["a/./b", ".", "./", "a/..", "../etc", "a//b", "a/" + "x" * 600])
def test_prefixes_with_dot_or_empty_segments_are_refused_and_nothing_is_stored(env, prefix):
    api, aws, server = env
    body = v1alpha2(server)
    body["task"]["metadata"]["prefix"] = prefix

    status, answer, _ = api.call("POST", "/v1alpha2", body)

    assert status == 400, answer
    assert answer["error"]["fields"][0]["field"] == "task.metadata.prefix"
    assert JobsTable(aws.jobs_table).get("test-i2i") is None


def test_two_owners_may_use_the_same_task_id(env):
    api, aws, server = env
    api.call("POST", "/v1alpha2", v1alpha2(server))

    status, body, _ = api.call("POST", "/v1alpha2", v1alpha2(server), key=other_key(aws))

    assert status == 200, body
    assert body["id"] == "test-i2i"


def test_another_owners_task_id_reads_like_a_free_one(env):
    api, aws, server = env
    api.call("POST", "/v1alpha2", v1alpha2(server))
    other = other_key(aws)
    taken = api.call("GET", "/v1alpha2/test-i2i", key=other)
    free = api.call("GET", "/v1alpha2/never-used", key=other)

    assert (taken[0], taken[1]["error"]["type"]) == (free[0], free[1]["error"]["type"]) == (404, "NotFound")


def test_each_owner_reads_its_own_task_under_the_shared_id(env):
    api, aws, server = env
    first = v1alpha2(server)
    first["task"]["metadata"]["context"] = "alice's"
    second = v1alpha2(server)
    second["task"]["metadata"]["context"] = "mallory's"
    other = other_key(aws)
    api.call("POST", "/v1alpha2", first)
    api.call("POST", "/v1alpha2", second, key=other)

    contexts = [api.call("GET", "/v1alpha2/test-i2i", key=k)[1]["context"] for k in (api.key, other)]

    assert contexts == ["alice's", "mallory's"]
