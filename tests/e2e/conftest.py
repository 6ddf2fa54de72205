"""One local stack for the whole e2e group, started as a subprocess (`python -m local`) on free ports.

A subprocess keeps the handlers' import-time environment away from the other test modules. The dev key, its
webhook secret and the port are fixed through the documented environment variables, loopback URLs are allowed
(pytest-httpserver serves init images and receives webhooks on 127.0.0.1), and the tiny models come from the
usual cache (`SDAPI_LOCAL_CACHE` if set, else ~/.cache/sdapi), so only the first run builds them.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from local.settings import LocalEnvironment
from local.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = "sd_e2e_dev_key_0123456789abcdefghijklmnopqrstuvwxyz"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"e2e-webhook-secret-32-bytes-long").decode()
START_TIMEOUT_S = float(os.environ.get("SDAPI_E2E_START_TIMEOUT_S", "300"))


@dataclass
class Stack:
    url: str
    key: str
    webhook_secret: str
    log_path: Path
    pid: int = 0
    """Of the `python -m local` process."""
    sync_url: str = ""
    """The long-wait URL (the function URL's stand-in)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    def post(
        self, path: str, body: Any = None, *, anonymous: bool = False, **kwargs: Any
    ) -> requests.Response:
        """POST JSON with the dev key in `x-api-key` (`anonymous`: none, e.g. v3 puts it in the body)."""
        headers = {**({} if anonymous else self.headers), **kwargs.pop("headers", {})}
        return requests.post(
            self.url + path, json=body, headers=headers, timeout=kwargs.pop("timeout", 60), **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait(self, fetch, done, timeout_s: float = 420.0, interval_s: float = 0.5) -> Any:
        """Call `fetch()` until `done(result)`; fail with the stack's log tail on timeout."""
        deadline = time.monotonic() + timeout_s
        result = None
        while time.monotonic() < deadline:
            result = fetch()
            if done(result):
                return result
            time.sleep(interval_s)
        raise AssertionError(
            f"timed out waiting; last answer: {result!r}\n--- stack log ---\n{self.log_tail()}"
        )


def _answering(url: str) -> bool:
    try:
        requests.get(url + "/openapi.json", timeout=2)
        return True
    except requests.RequestException:
        return False


@contextmanager
def local_stack(**settings: Any) -> Iterator[Stack]:
    """A `python -m local` subprocess on free ports with the dev key fixed, loopback URLs allowed, and any
    other `LocalEnvironment` settings given; stopped on exit."""
    port, sync_port = free_port(), free_port()
    log_file = tempfile.NamedTemporaryFile(prefix="sdapi-local-", suffix=".log", delete=False)  # noqa: SIM115
    env = dict(os.environ)
    local = LocalEnvironment(
        port=port,
        sync_url_port=sync_port,
        local_key=KEY,
        local_webhook_secret=WEBHOOK_SECRET,
        allow_loopback_urls=True,
        allow_http_urls=True,
        **settings,
    )
    env.update(local.to_env(exclude_unset=True))
    env.update({"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "local", "--sweep-interval", "2", "--sync-wait", "300"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    running = Stack(
        url=f"http://127.0.0.1:{port}",
        key=KEY,
        webhook_secret=WEBHOOK_SECRET,
        log_path=Path(log_file.name),
        pid=proc.pid,
        sync_url=f"http://127.0.0.1:{sync_port}",
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answering(running.url):
            if proc.poll() is not None:
                pytest.fail(f"the local stack exited with {proc.returncode}\n{running.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the local stack did not answer within {START_TIMEOUT_S:.0f} s\n{running.log_tail()}"
                )
            time.sleep(0.5)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log_file.close()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with local_stack() as running:
        yield running


@pytest.fixture(scope="session")
def png_b64() -> str:
    """A small real PNG (gradient with a square, so canny finds edges), base64 without a data: prefix."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 128))
    pixels = image.load()
    for x in range(96):
        for y in range(128):
            pixels[x, y] = (x * 2, y * 2, 128)
    ImageDraw.Draw(image).rectangle((24, 32, 72, 96), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def is_png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def b64_png(value: str) -> bool:
    return is_png(base64.b64decode(value.split(",", 1)[-1]))


def v3_finished(stack: Stack, request: dict, route: str = "text2img") -> dict:
    """Send a v3 request (the stack's key added) and return its `fetch` answer once the job has ended."""
    answer = stack.post(f"/api/v3/{route}", {"key": stack.key, **request}, anonymous=True)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["id"]
    return stack.wait(
        lambda: stack.post(f"/api/v3/fetch/{job_id}", {"key": stack.key}, anonymous=True).json(),
        lambda body: body["status"] in ("success", "failed", "error"),
    )
