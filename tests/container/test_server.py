"""The SageMaker HTTP contract on a real server (127.0.0.1, port 0), and the `serve` entrypoint with
SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from inference_container.config import ContainerConfig
from inference_container.server import InferenceServer
from sdapi.schema.manifest import InvocationError, Manifest
from tests.container.conftest import BUCKET, TABLE, make_job, put_job_item

pytestmark = pytest.mark.container

REPO = Path(__file__).resolve().parents[2]


def call(url: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(f"{url}/ping")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise AssertionError("server never became healthy")


def test_ping_and_invocations(aws, model_root):
    s3, dynamodb = aws
    config = ContainerConfig(
        model_root=model_root,
        bucket=BUCKET,
        jobs_table=TABLE,
        host="127.0.0.1",
        port=0,
        default_model="v1-5-pruned-emaonly",
        progress_interval_s=0,
    )
    server = InferenceServer(config, s3=s3, dynamodb=dynamodb)
    url = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        # given the server is up but the default model is not loaded yet
        assert call(f"{url}/ping")[0] == 503
        status, body = call(f"{url}/invocations", b"{}")
        assert status == 503
        assert InvocationError.model_validate(body).type == "NotReady"

        # when the model has loaded and warmed
        server.start_loading()
        wait_healthy(url)

        # then a job runs and answers its manifest
        job = make_job("3001", steps=2)
        put_job_item(dynamodb, job)
        status, body = call(f"{url}/invocations", job.model_dump_json().encode())
        assert status == 200, body
        manifest = Manifest.model_validate(body)
        assert manifest.images == ["outputs/3001/0.png"]
        assert s3.head_object(Bucket=BUCKET, Key="outputs/3001/0.png")["ContentType"] == "image/png"

        # a body that is not a job is a 400 the completion path can read
        status, body = call(f"{url}/invocations", b'{"id": "3002", "task": "paint"}')
        assert status == 400
        error = InvocationError.model_validate(body)
        assert error.type == "InvalidJob"
        assert error.job_id == "3002"
        assert "task" in error.error

        # a job the container cannot serve is a 400 naming the reason; the server keeps serving
        bad = make_job("3003", sampler="DPM fast")
        put_job_item(dynamodb, bad)
        status, body = call(f"{url}/invocations", bad.model_dump_json().encode())
        assert status == 400
        assert InvocationError.model_validate(body).job_id == "3003"
        assert "no diffusers counterpart" in body["error"]
        assert call(f"{url}/ping")[0] == 200
        assert call(f"{url}/nowhere")[0] == 404
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_env(port: int, model_root: Path, default_model: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHON": sys.executable,
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SDAPI_BIND_HOST": "127.0.0.1",
        "SDAPI_MODEL_ROOT": str(model_root),
        "SDAPI_DEFAULT_MODEL": default_model,
        "SDAPI_DEVICE": "cpu",
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambdas"), str(REPO)]),
    }


def run_serve_until_exit(env: dict[str, str]) -> tuple[int, list[str]]:
    """Run the `serve` entrypoint until it exits by itself; (status, log lines)."""
    result = subprocess.run(
        [str(REPO / "inference_container" / "serve")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, (result.stdout + result.stderr).splitlines()


def test_the_serve_entrypoint_becomes_healthy_and_stops_on_sigterm(model_root):
    serve = REPO / "inference_container" / "serve"
    assert os.access(serve, os.X_OK)
    port = free_port()
    env = serve_env(port, model_root, "v1-5-pruned-emaonly")
    process = subprocess.Popen(
        [str(serve)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"stopped" in process.stdout.read()


def test_an_empty_model_root_exits_non_zero_with_one_line(tmp_path):
    """Given no models staged, when the container starts, then it exits 1 at once (SageMaker fails the
    instance instead of waiting out the health check) and one log line says why."""
    status, lines = run_serve_until_exit(serve_env(free_port(), tmp_path, "v1-5-pruned-emaonly"))
    assert status == 1
    failures = [line for line in lines if "start-up failed" in line]
    assert len(failures) == 1
    assert "no models under" in failures[0]


def test_a_default_model_that_cannot_load_exits_non_zero(tmp_path):
    """Given a catalog whose default model's folder holds no loadable model, when the container starts,
    then it exits 1 with one line naming the failure."""
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model_index.json").write_text("{not json")
    entry = {"name": "broken", "family": "sd15", "path": "broken"}
    (tmp_path / "catalog.json").write_text(json.dumps([entry]))
    status, lines = run_serve_until_exit(serve_env(free_port(), tmp_path, "broken"))
    assert status == 1
    assert len([line for line in lines if "start-up failed, exiting" in line]) == 1
