"""`sdapi smoke --url URL --key KEY`: after a deploy (or against `make local`), one small txt2img request per
dialect (native, RunPod `runsync`, A1111 `txt2img`, v3 `text2img`, tasks `v1alpha2`), each followed to its
image, and a signed webhook round trip when the deployment can reach this machine (`--webhook-listen
HOST:PORT`, a URL the API may call). With `--sync-url` (the stack's `SyncUrl` output, the long-wait
function URL) the synchronous checks (A1111 `txt2img`, RunPod `runsync`) go there, as synchronous clients
should: they then get their dialect's answer even through a cold start, beyond the REST API's 29 s.
Prints a table of pass/fail and timings; exit status 1 if any check failed.

Requests are small (512², 8 steps) so a warm GPU answers in seconds; a pool at zero instances first waits
for its cold start, which `--timeout` must cover (default 900 s).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

PROMPT = "a lighthouse at dawn, smoke test"
SIZE = {"width": 512, "height": 512, "steps": 8}
POLL_S = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    seconds: float
    detail: str


class SmokeError(Exception):
    """A check's failure, with what was expected and what came back."""


class Smoke:
    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout_s: float,
        sync_url: str | None = None,
        client: httpx.Client | None = None,
    ):
        self.url = url.rstrip("/")
        self.sync_url = (sync_url or url).rstrip("/")
        """Where the synchronous calls go: the long-wait URL when given, else the REST API."""
        self.key = key
        self.timeout_s = timeout_s
        self.http = client or httpx.Client(timeout=httpx.Timeout(60.0, read=max(60.0, timeout_s)))

    # -- plumbing ------------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: Any = None, *, auth: str = "header", synchronous: bool = False
    ) -> httpx.Response:
        headers = {"x-api-key": self.key} if auth == "header" else {}
        basic = ("smoke", self.key) if auth == "basic" else None
        base = self.sync_url if synchronous else self.url
        return self.http.request(method, base + path, json=body, headers=headers, auth=basic)

    def _door(self) -> str:
        return "long-wait URL" if self.sync_url != self.url else "REST API"

    def _json(self, response: httpx.Response, *ok: int) -> dict[str, Any]:
        if response.status_code not in (ok or (200,)):
            raise SmokeError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def _until(self, read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool]) -> dict:
        deadline = time.monotonic() + self.timeout_s
        while True:
            body = read()
            if done(body):
                return body
            if time.monotonic() > deadline:
                raise SmokeError(f"not finished after {self.timeout_s:.0f} s: {json.dumps(body)[:300]}")
            time.sleep(POLL_S)

    def run(self, name: str, check: Callable[[], str]) -> Check:
        started = time.monotonic()
        try:
            detail = check()
            ok = True
        except (SmokeError, httpx.HTTPError, ValueError, KeyError) as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        return Check(name, ok, time.monotonic() - started, detail)

    # -- the checks ----------------------------------------------------------------------------------------

    def default_pool(self) -> str:
        return self._json(self._call("GET", "/v1/models"))["default_pool"]

    def native(self, webhook: dict[str, Any] | None = None) -> str:
        body = {"prompt": PROMPT, **SIZE, **({"webhook": webhook} if webhook else {})}
        job = self._json(self._call("POST", "/v1/jobs", body), 200, 201, 202)
        done = self._until(
            lambda: self._json(self._call("GET", f"/v1/jobs/{job['id']}")),
            lambda b: b["state"] in ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"),
        )
        if done["state"] != "COMPLETED" or not done["images"]:
            raise SmokeError(f"job {job['id']} ended {done['state']}: {done.get('error')}")
        return f"job {job['id']}: {len(done['images'])} image(s)"

    def runpod(self, pool: str) -> str:
        body = {
            "input": {
                "api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"},
                "payload": {"prompt": PROMPT, **SIZE},
            }
        }
        status = self._json(self._call("POST", f"/v2/{pool}/runsync", body, synchronous=True))
        terminal = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
        if status["status"] not in terminal:
            status = self._until(
                lambda: self._json(self._call("GET", f"/v2/{pool}/status/{status['id']}")),
                lambda b: b["status"] in terminal,
            )
        if status["status"] != "COMPLETED" or not status["output"]["images"]:
            raise SmokeError(f"job {status['id']} ended {status['status']}")
        images = len(status["output"]["images"])
        return f"job {status['id']} on {pool}: {images} image(s) ({self._door()})"

    def a1111(self) -> str:
        body = {"prompt": PROMPT, **SIZE}
        response = self._call("POST", "/sdapi/v1/txt2img", body, auth="basic", synchronous=True)
        body = self._json(response, 200, 202)
        if response.status_code == 202:  # outlived the synchronous wait: follow the job
            job_id = body["id"]
            body = self._until(
                lambda: self._json(self._call("GET", f"/sdapi/v1/jobs/{job_id}"), 200, 202),
                lambda b: "images" in b or b.get("status") in ("FAILED", "CANCELLED", "TIMED_OUT"),
            )
        if not body.get("images"):
            raise SmokeError(f"no images: {json.dumps(body)[:300]}")
        return f"{len(body['images'])} image(s) ({self._door()})"

    def v3(self) -> str:
        body = {
            "key": self.key,
            "prompt": PROMPT,
            "width": "512",
            "height": "512",
            "samples": "1",
            "num_inference_steps": "8",
        }
        answer = self._json(self._call("POST", "/api/v3/text2img", body, auth="none"))
        if answer.get("status") not in ("success", "processing"):
            raise SmokeError(f"v3 answered {json.dumps(answer)[:300]}")
        done = self._until(
            lambda: self._json(
                self._call("POST", f"/api/v3/fetch/{answer['id']}", {"key": self.key}, auth="none")
            ),
            lambda b: b["status"] in ("success", "failed", "error"),
        )
        if done["status"] != "success" or not done["output"]:
            raise SmokeError(f"v3 job {answer['id']} ended {done['status']}: {done.get('message')}")
        return f"v3 job {answer['id']}: {len(done['output'])} image link(s)"

    def tasks(self) -> str:
        task_id = f"smoke-{int(time.time() * 1000)}"
        metadata = {"id": task_id, "runtime": "sdruntime", "tasktype": "text-to-image", "prefix": "smoke"}
        body = {"task": {"metadata": metadata, "content": {"prompt": PROMPT, **SIZE}}}
        answer = self._json(self._call("POST", "/v1alpha2", body), 200, 202)
        done = self._until(  # the task's own status route: task ids are scoped to their owner
            lambda: self._json(self._call("GET", f"/v1alpha2/{task_id}")),
            lambda b: b["result"] is not None,
        )
        if done["result"] is not True:
            raise SmokeError(f"task {task_id} ended {done['status']}: {done.get('error')}")
        return f"task {task_id}: output at {answer['output_location']}"

    def webhook_round_trip(self, listen: str) -> str:
        host, _, port = listen.rpartition(":")
        received = Receiver.start(host, int(port))
        try:
            detail = self.native({"url": f"http://{listen}/smoke-hook", "events": ["completed"]})
            deadline = time.monotonic() + 120
            while not received.deliveries and time.monotonic() < deadline:
                time.sleep(0.5)
            if not received.deliveries:
                raise SmokeError("the job completed but no webhook arrived within 120 s")
            headers, payload = received.deliveries[0]
            if "webhook-signature" not in {k.lower() for k in headers}:
                raise SmokeError("the webhook arrived unsigned")
            return f"{detail}; webhook {payload.get('type', '?')} received, signed"
        finally:
            received.stop()


class Receiver:
    """A one-route HTTP server that records webhook deliveries (headers, JSON body)."""

    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.deliveries: list[tuple[dict[str, str], dict[str, Any]]] = []

    @classmethod
    def start(cls, host: str, port: int) -> Receiver:
        receiver: Receiver

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b"{}"
                receiver.deliveries.append((dict(self.headers.items()), json.loads(data or b"{}")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        receiver = cls(ThreadingHTTPServer((host, port), Handler))
        threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
        return receiver

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_all(smoke: Smoke, *, webhook_listen: str | None) -> list[Check]:
    checks = []
    pool = smoke.run("models", lambda: smoke.default_pool())
    checks.append(pool)
    pool_name = pool.detail if pool.ok else "default"
    checks.append(smoke.run("native", smoke.native))
    checks.append(smoke.run("runpod runsync", lambda: smoke.runpod(pool_name)))
    checks.append(smoke.run("a1111 txt2img", smoke.a1111))
    checks.append(smoke.run("v3 text2img", smoke.v3))
    checks.append(smoke.run("tasks v1alpha2", smoke.tasks))
    if webhook_listen:
        checks.append(smoke.run("webhook", lambda: smoke.webhook_round_trip(webhook_listen)))
    else:
        checks.append(
            Check("webhook", True, 0.0, "skipped: no --webhook-listen HOST:PORT reachable from the API")
        )
    return checks


def table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'check'.ljust(width)}  result  seconds  detail"]
    for c in checks:
        result = "pass" if c.ok else "FAIL"
        lines.append(f"{c.name.ljust(width)}  {result:<6}  {c.seconds:7.1f}  {c.detail}")
    return "\n".join(lines)


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    smoke = commands.add_parser(
        "smoke", parents=parents, help="one request per dialect and a webhook round trip; a pass/fail table"
    )
    smoke.add_argument("--timeout", type=float, default=900.0, help="seconds each check may take")
    smoke.add_argument(
        "--sync-url",
        metavar="URL",
        help="the stack's SyncUrl output: the synchronous checks (A1111 txt2img, RunPod runsync) go there",
    )
    smoke.add_argument(
        "--webhook-listen",
        metavar="HOST:PORT",
        help="listen here for the webhook check (the API must be able to reach it)",
    )


def command(args: argparse.Namespace) -> int:
    if not args.key:
        raise SystemExit("sdapi smoke needs --key (or SDAPI_KEY)")
    runner = Smoke(args.url, args.key, timeout_s=args.timeout, sync_url=args.sync_url)
    checks = run_all(runner, webhook_listen=args.webhook_listen)
    print(table(checks))
    return 0 if all(c.ok for c in checks) else 1
