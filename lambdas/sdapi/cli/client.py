"""`sdapi`: a command-line client for any deployment (local or AWS), through the native API.

    sdapi generate "a prompt" [--negative ...] [--model NAME] [--steps N] [--width W] [--height H]
                              [--seed S] [--sampler NAME] [--cfg X] [--batch N] [--out DIR]
    sdapi status JOB_ID
    sdapi load

The deployment comes from `--url` / `SDAPI_URL` (default http://127.0.0.1:3000, the local stack) and the key
from `--key` / `SDAPI_KEY`. Requests go through httpx, progress is a tqdm bar on stderr, and images are saved
as `{job}-{i}.png`. Both libraries come with the `cli` extra (`pip install "sdapi[cli]"`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

try:
    import httpx
    from tqdm import tqdm
except ImportError as missing:  # the base install has no client libraries
    hint = "install the client with: pip install 'sdapi[cli]'"
    raise SystemExit(f"sdapi: {missing.name} is missing; {hint}") from None

DEFAULT_URL = "http://127.0.0.1:3000"
TERMINAL = {"completed", "failed", "cancelled", "timed_out"}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Client:
    """The native API of one deployment. The key goes to the API only: image URLs (presigned S3) are fetched
    without it."""

    def __init__(self, url: str, key: str | None, timeout_s: float = 60.0):
        self.url = url.rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the API URL must be http(s): {self.url}")
        headers = {"Accept": "application/json"}
        if key:
            headers["x-api-key"] = key
        self.timeout_s = timeout_s
        self._api = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s, follow_redirects=True)

    def close(self) -> None:
        self._api.close()

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        response = self._api.request(method, path, json=body)
        if response.is_error:
            raise ApiError(response.status_code, _error_message(response.content))
        return response.json() if response.content else None

    def submit(self, job: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/v1/jobs", job)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/jobs/{job_id}")

    def load(self) -> dict[str, Any]:
        return self._request("GET", "/v1/system/load")

    def download(self, url: str) -> bytes:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) image URL: {url}")
        response = httpx.get(url, timeout=self.timeout_s, follow_redirects=True)
        response.raise_for_status()
        return response.content


def _error_message(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:500]
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or json.dumps(error)
            details = error.get("fields") or error.get("details") or []
            if details:
                message += "; " + "; ".join(
                    f"{d.get('field')}: {d.get('reason') or d.get('message')}"
                    if isinstance(d, dict)
                    else str(d)
                    for d in details
                )
            return str(message)
        return str(body.get("message") or error)
    return str(body)


def status_of(job: dict[str, Any]) -> str:
    return str(job.get("status") or job.get("state") or "").lower()


def progress_of(job: dict[str, Any]) -> tuple[int, int]:
    progress = job.get("progress")
    if isinstance(progress, dict):
        return int(progress.get("step") or 0), int(progress.get("total") or 0)
    if isinstance(progress, int | float) and not isinstance(progress, bool):
        return round(float(progress) * 100), 100
    return int(job.get("progress_step") or 0), int(job.get("progress_total") or 0)


def images_of(job: dict[str, Any]) -> list[dict[str, str]]:
    """Each image as {"url"} or {"base64"}."""
    found: list[dict[str, str]] = []
    for item in job.get("images") or (job.get("output") or {}).get("images") or []:
        if isinstance(item, str):
            found.append({"url": item} if item.startswith(("http://", "https://")) else {"base64": item})
        elif isinstance(item, dict):
            if item.get("url"):
                found.append({"url": str(item["url"])})
            elif item.get("base64"):
                found.append({"base64": str(item["base64"])})
    return found


class Progress:
    """A job's progress as a tqdm bar on stderr: steps done of the total, the job's state beside it."""

    def __init__(self, job_id: str, quiet: bool) -> None:
        self.bar = tqdm(desc=f"job {job_id}", unit="step", file=sys.stderr, disable=quiet, dynamic_ncols=True)

    def show(self, step: int, total: int, state: str) -> None:
        if state == "completed" and total:
            step = total
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = min(step, total) if total else step
        self.bar.set_postfix_str(state, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def wait_for(client: Client, job_id: str, poll_s: float, timeout_s: float, quiet: bool) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    progress = Progress(job_id, quiet)
    try:
        while True:
            job = client.job(job_id)
            state = status_of(job)
            progress.show(*progress_of(job), state)
            if state in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {state} after {timeout_s:.0f} s")
            time.sleep(poll_s)
    finally:
        progress.close()


def save_images(client: Client, job: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, image in enumerate(images_of(job)):
        data = client.download(image["url"]) if "url" in image else base64.b64decode(image["base64"])
        path = out / f"{job.get('id')}-{index}.png"
        path.write_bytes(data)
        saved.append(path)
    return saved


def cmd_generate(client: Client, args: argparse.Namespace) -> int:
    request: dict[str, Any] = {"prompt": args.prompt}
    optional = {
        "negative_prompt": args.negative,
        "model": args.model,
        "steps": args.steps,
        "width": args.width,
        "height": args.height,
        "seed": args.seed,
        "sampler": args.sampler,
        "cfg_scale": args.cfg,
        "batch_size": args.batch,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    submitted = client.submit(request)
    job_id = str(submitted["id"])
    print(f"job {job_id}")
    job = wait_for(client, job_id, args.poll, args.timeout, args.quiet)
    state = status_of(job)
    if state != "completed":
        print(f"job {job_id} {state}: {job.get('error') or ''}".rstrip(), file=sys.stderr)
        return 1
    for path in save_images(client, job, Path(args.out)):
        print(path)
    return 0


def cmd_status(client: Client, args: argparse.Namespace) -> int:
    job = client.job(args.job_id)
    step, total = progress_of(job)
    print(f"{job.get('id', args.job_id)}  {status_of(job)}  {step}/{total}")
    if job.get("error"):
        print(f"error: {job['error']}")
    for image in images_of(job):
        print(image.get("url") or "(base64 image)")
    if args.json:
        print(json.dumps(job, indent=2))
    return 0


def cmd_load(client: Client, args: argparse.Namespace) -> int:
    load = client.load()
    if args.json:
        print(json.dumps(load, indent=2))
        return 0
    pools = load.get("pools") or []
    instances = load.get("instances") or {}
    print(f"{'pool':<12}{'queued':>8}{'running':>9}{'done':>7}{'failed':>8}{'instances':>11}")
    for pool in pools:
        name = pool.get("pool") or pool.get("name")
        count = instances.get(name, pool.get("instances"))
        counts = [pool.get(k, 0) for k in ("queued", "in_progress", "completed", "failed")]
        shown = "?" if count is None else str(count)
        print(f"{name!s:<12}{counts[0]:>8}{counts[1]:>9}{counts[2]:>7}{counts[3]:>8}{shown:>11}")
    if "queue_time_s" in load:
        print(f"estimated wait for a new job: {load['queue_time_s']:.0f} s")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sdapi", description="Client for a Stable Diffusion API deployment.")
    root.add_argument(
        "--url", default=os.environ.get("SDAPI_URL", DEFAULT_URL), help="API base URL (SDAPI_URL)"
    )
    root.add_argument("--key", default=os.environ.get("SDAPI_KEY"), help="API key (SDAPI_KEY)")
    # The same two options are accepted after the command too (`sdapi generate "..." --url ... --key ...`);
    # SUPPRESS keeps a value given before the command when they are absent after it.
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--url", default=argparse.SUPPRESS, help="API base URL (SDAPI_URL)")
    connection.add_argument("--key", default=argparse.SUPPRESS, help="API key (SDAPI_KEY)")
    commands = root.add_subparsers(dest="command", required=True)

    generate = commands.add_parser(
        "generate", parents=[connection], help="submit a txt2img job, show progress, save the images"
    )
    generate.add_argument("prompt")
    generate.add_argument("--negative", help="negative prompt")
    generate.add_argument("--model", help="checkpoint name (default: the deployment's)")
    generate.add_argument("--steps", type=int)
    generate.add_argument("--width", type=int)
    generate.add_argument("--height", type=int)
    generate.add_argument("--seed", type=int)
    generate.add_argument("--sampler", help='A1111 sampler name, e.g. "DPM++ 2M"')
    generate.add_argument("--cfg", type=float, help="CFG scale")
    generate.add_argument("--batch", type=int, help="images per job")
    generate.add_argument("--out", default=".", help="folder for the images (default: here)")
    generate.add_argument("--poll", type=float, default=1.0, help="seconds between status checks")
    generate.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")

    status = commands.add_parser("status", parents=[connection], help="show a job")
    status.add_argument("job_id")
    status.add_argument("--json", action="store_true", help="also print the full JSON")

    load = commands.add_parser("load", parents=[connection], help="queue depth and instances per pool")
    load.add_argument("--json", action="store_true")

    from sdapi.cli import smoke

    smoke.add_parser(commands, [connection])
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "smoke":
        from sdapi.cli import smoke

        return smoke.command(args)
    commands = {"generate": cmd_generate, "status": cmd_status, "load": cmd_load}
    try:
        client = Client(args.url, args.key)
    except ValueError as error:
        print(f"sdapi: {error}", file=sys.stderr)
        return 2
    try:
        return commands[args.command](client, args)
    except ApiError as error:
        print(f"sdapi: {error}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, OSError, TimeoutError, ValueError) as error:
        print(f"sdapi: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
