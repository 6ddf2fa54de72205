"""v3 API through the real api handler (moto): seed 003 with its URL fetched through the guard (local
server on 127.0.0.1), processing/fetch/success/failed bodies, system_load, errors in v3 shapes."""

from __future__ import annotations

import pytest

from sdapi.aws.jobs_table import JobsTable
from sdapi.ids import new_id
from tests.integration.api_support import PNG, PNG_B64, Worker, api_env, api_for
from tests.seeds import seed_blocks


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def env(aws, api_key, httpserver):
    api, worker, _ = api_env(aws, api_key, worker=False, allow_loopback_urls=True, allow_http_urls=True)
    httpserver.expect_request("/cat.png").respond_with_data(PNG, content_type="image/png")
    httpserver.expect_request("/mask.png").respond_with_data(PNG, content_type="image/png")
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    return api, worker, aws, httpserver


def seed_body(httpserver, key: str) -> dict:
    body = dict(next(b for b in seed_blocks("003") if isinstance(b, dict) and "init_image" in b))
    return dict(body, key=key, init_image=httpserver.url_for("/cat.png"))


def test_seed_003_img2img_is_processing_then_fetch_gives_success(env):
    api, worker, aws, server = env

    status, body, _ = api.call(
        "POST", "/api/v3/img2img", seed_body(server, api.key), key=None, host="sd.example.com"
    )

    assert status == 200, body
    assert body["status"] == "processing", body
    assert isinstance(body["id"], int)
    assert body["output"] == []
    assert body["eta"] > 0
    assert body["fetch_result"] == f"https://sd.example.com/api/v3/fetch/{body['id']}"
    assert len(body["future_links"]) == 1
    assert f"outputs/{body['id']}/0.png" in body["future_links"][0]
    assert body["meta"]["W"] == 512
    assert body["meta"]["prompt"] == "a cat sitting on a bench"
    record = JobsTable(aws.jobs_table).get(str(body["id"]))
    assert record.task == "img2img"
    assert record.summary["init_image_count"] == 1

    fetched = api.call("POST", f"/api/v3/fetch/{body['id']}", {"key": api.key}, key=None)[1]
    assert fetched["status"] == "processing"
    worker.finish_all()
    status, done, _ = api.call("POST", f"/api/v3/fetch/{body['id']}", {"key": api.key}, key=None)
    expected = next(b for b in seed_blocks("003") if isinstance(b, dict) and b.get("status") == "success")
    assert status == 200
    assert set(expected) <= set(done)
    assert done["status"] == "success"
    assert done["output"][0].startswith("http")
    assert done["id"] == body["id"]


def test_text2img_answers_success_when_the_job_finishes_within_the_wait(env):
    _, worker, aws, _ = env
    worker.enabled = True
    api = api_for(aws.settings.model_copy(update={"v3_wait_s": 1.0}), worker, env[0].key)

    status, body, _ = api.call(
        "POST",
        "/api/v3/text2img",
        {"key": api.key, "prompt": "x", "width": "64", "height": "64", "base64": "yes"},
        key=None,
    )

    assert status == 200
    assert body["status"] == "success"
    assert body["output"] == [PNG_B64]


def test_inpaint_fetches_both_urls(env):
    api, _, aws, server = env
    body = {
        "key": api.key,
        "prompt": "x",
        "init_image": server.url_for("/cat.png"),
        "mask_image": server.url_for("/mask.png"),
    }
    status, answer, _ = api.call("POST", "/api/v3/inpaint", body, key=None)
    assert status == 200
    assert answer["status"] == "processing"
    assert JobsTable(aws.jobs_table).get(str(answer["id"])).task == "inpaint"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/cat.png", "private"),
        ("/page.html", "not an image"),
        ("/missing.png", "404"),
    ],
)
def test_bad_image_urls_are_400_naming_init_image(env, url, reason):
    api, _, aws, server = env
    body = {"key": api.key, "prompt": "x", "init_image": server.url_for(url) if url.startswith("/") else url}
    status, answer, _ = api.call("POST", "/api/v3/img2img", body, key=None)
    assert status == 400
    assert answer["status"] == "error"
    assert list(answer["messege"]) == ["init_image"]
    assert JobsTable(aws.jobs_table).queued("sdxl") == []


def test_validation_errors_use_messege(env):
    api, _, _, _ = env
    status, body, _ = api.call(
        "POST", "/api/v3/text2img", {"key": api.key, "width": "2048", "samples": 9}, key=None
    )
    assert status == 400
    assert set(body["messege"]) == {"width", "samples"}
    status, body, _ = api.call("POST", "/api/v3/text2img", {"key": api.key, "width": "1004"}, key=None)
    assert status == 400
    assert list(body["messege"]) == ["width"]
    status, body, _ = api.call(
        "POST", "/api/v3/text2img", {"key": api.key, "num_inference_steps": 500}, key=None
    )
    assert status == 400
    assert "num_inference_steps" in body["messege"]


def test_failed_jobs_system_load_and_keys(env):
    api, _, aws, _ = env
    answer = api.call("POST", "/api/v3/text2img", {"key": api.key, "prompt": "x"}, key=None)[1]
    Worker(aws.settings, fail_with="out of memory").finish(str(answer["id"]))
    failed = api.call("POST", f"/api/v3/fetch/{answer['id']}", {"key": api.key}, key=None)[1]
    assert failed == {"status": "failed", "id": answer["id"], "message": "out of memory"}

    load = api.call("POST", "/api/v3/system_load", {"key": api.key}, key=None)[1]
    assert load["status"] == "ok"
    assert isinstance(load["queue_num"], int)
    assert "queue_time" in load

    status, body, _ = api.call("POST", "/api/v3/system_load", {"key": "wrong"}, key=None)
    assert status == 401
    assert body == {"status": "error", "message": "invalid or missing API key"}
    status, body, _ = api.call("POST", f"/api/v3/fetch/{new_id()}", {"key": api.key}, key=None)
    assert status == 404
    assert body["status"] == "error"
