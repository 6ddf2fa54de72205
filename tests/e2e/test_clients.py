"""Real third-party clients pointed at the local stack: `webuiapi` (A1111) and `runpod` (endpoint client),
and the project's own `sdapi` command-line client."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_webuiapi_txt2img(stack):
    import webuiapi

    # given the A1111 client, pointed at the stack with the key as the Basic-auth password
    host, port = stack.url.removeprefix("http://").split(":")
    api = webuiapi.WebUIApi(host=host, port=int(port), username="local", password=stack.key)

    # when it generates with its own defaults plus a few options
    result = api.txt2img(
        prompt="a lighthouse at dusk", seed=1234, steps=8, width=512, height=512, cfg_scale=6
    )

    # then it gets PIL images and the parsed info back
    assert len(result.images) == 1
    assert result.images[0].size == (512, 512)
    assert result.info["seed"] == 1234
    assert result.info["prompt"] == "a lighthouse at dusk"


@pytest.fixture
def runpod_client(stack, monkeypatch):
    import runpod

    monkeypatch.setattr(runpod, "api_key", stack.key)
    monkeypatch.setattr(runpod, "endpoint_url_base", f"{stack.url}/v2")
    return runpod


def test_runpod_endpoint_run_sync(runpod_client):
    endpoint = runpod_client.Endpoint("sdxl")

    output = endpoint.run_sync({"input": {"prompt": "a red bicycle", "steps": 6, "seed": 7}}, timeout=400)

    assert isinstance(output, dict), output
    assert len(output["images"]) == 1
    assert '"seed": 7' in output["info"]


def test_runpod_endpoint_run_then_output(runpod_client):
    endpoint = runpod_client.Endpoint("sd15")

    job = endpoint.run(
        {
            "input": {
                "prompt": "a blue boat",
                "steps": 4,
                "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"},
            }
        }
    )
    assert job.status() in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    output = job.output(timeout=400)

    assert job.status() == "COMPLETED"
    assert len(output["images"]) == 1


def test_sdapi_cli_generate_status_and_load(stack, tmp_path):
    env = {"SDAPI_URL": stack.url, "SDAPI_KEY": stack.key, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "sdapi.cli.client"]

    generated = subprocess.run(
        [
            *cli,
            "generate",
            "a small house",
            "--steps",
            "4",
            "--width",
            "256",
            "--height",
            "256",
            "--out",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert generated.returncode == 0, generated.stderr
    images = sorted(tmp_path.glob("*.png"))
    assert len(images) == 1
    assert images[0].read_bytes().startswith(b"\x89PNG")
    job_id = generated.stdout.strip().splitlines()[0].split()[-1]

    status = subprocess.run([*cli, "status", job_id], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "completed" in status.stdout.lower()

    load = subprocess.run([*cli, "load"], env=env, capture_output=True, text=True, timeout=60)
    assert load.returncode == 0, load.stderr
    assert "sdxl" in load.stdout
