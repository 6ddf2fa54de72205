"""Load benchmark against a running deployment (by default the local stack on 127.0.0.1:3000).

N concurrent clients each submit jobs through the native API (`POST /v1/jobs`) and poll them
(`GET /v1/jobs/{id}`) until they finish. Prints submit and fetch latency (p50/p99), completed jobs per
second and the error count (HTTP errors and jobs that did not complete).

    python bench/load_bench.py --url http://127.0.0.1:3000 --key KEY --clients 8 --jobs 5
    python bench/load_bench.py --start-local --clients 8 --jobs 5     # starts `python -m local` itself
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}


@dataclass
class Results:
    submit_ms: list[float] = field(default_factory=list)
    fetch_ms: list[float] = field(default_factory=list)
    end_to_end_s: list[float] = field(default_factory=list)
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def call(url: str, key: str, method: str, body: dict | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"x-api-key": key, "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    elapsed = (time.perf_counter() - started) * 1000
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw[:200].decode("utf-8", "replace")}
    return status, parsed, elapsed


def client(
    base: str, key: str, jobs: int, job: dict, poll_s: float, timeout_s: float, results: Results
) -> None:
    for _ in range(jobs):
        began = time.perf_counter()
        status, body, ms = call(f"{base}/v1/jobs", key, "POST", job)
        with results.lock:
            results.submit_ms.append(ms)
        if status not in (200, 201, 202):
            with results.lock:
                results.errors.append(f"submit HTTP {status}: {json.dumps(body)[:200]}")
            continue
        job_id = body["id"]
        deadline = time.monotonic() + timeout_s
        state = body.get("state")
        while state not in TERMINAL:
            if time.monotonic() > deadline:
                with results.lock:
                    results.errors.append(f"job {job_id} still {state} after {timeout_s:.0f} s")
                break
            time.sleep(poll_s)
            status, body, ms = call(f"{base}/v1/jobs/{job_id}", key, "GET")
            with results.lock:
                results.fetch_ms.append(ms)
            if status != 200:
                with results.lock:
                    results.errors.append(f"fetch HTTP {status}: {json.dumps(body)[:200]}")
                break
            state = body.get("state")
        with results.lock:
            if state == "COMPLETED":
                results.completed += 1
                results.end_to_end_s.append(time.perf_counter() - began)
            elif state in TERMINAL:
                results.errors.append(f"job {job_id} ended {state}: {body.get('error')}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def start_local(port: int, key: str) -> subprocess.Popen:
    env = dict(
        os.environ, SDAPI_PORT=str(port), SDAPI_SYNC_URL_PORT="0", SDAPI_LOCAL_KEY=key, PYTHONUNBUFFERED="1"
    )
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / "sdapi-bench-local.log", "w")  # noqa: SIM115, S108
    proc = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the local stack exited ({proc.returncode}); see {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2).read()
            return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the local stack did not start in 10 minutes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("SDAPI_URL", "http://127.0.0.1:3000"))
    parser.add_argument("--key", default=os.environ.get("SDAPI_KEY") or os.environ.get("SDAPI_LOCAL_KEY"))
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--jobs", type=int, default=5, help="jobs per client")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--size", type=int, default=256, help="width = height, pixels")
    parser.add_argument("--model", default=None, help="checkpoint (default: the deployment's)")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between fetches")
    parser.add_argument("--timeout", type=float, default=600.0, help="per-job limit, seconds")
    parser.add_argument("--start-local", action="store_true", help="start `python -m local` on a free port")
    args = parser.parse_args(argv)

    proc = None
    if args.start_local:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        args.key = args.key or "sd_bench_local_key_0123456789abcdefghijklmnopqrstuv"
        proc = start_local(port, args.key)
        args.url = f"http://127.0.0.1:{port}"
    if not args.key:
        parser.error("--key (or SDAPI_KEY) is required")

    job = {"prompt": "benchmark", "steps": args.steps, "width": args.size, "height": args.size, "seed": 1}
    if args.model:
        job["model"] = args.model
    results = Results()
    try:
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=client,
                args=(args.url.rstrip("/"), args.key, args.jobs, job, args.poll, args.timeout, results),
            )
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)

    print(
        f"machine        {platform.node()} — {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}"
    )
    print(f"date           {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(
        f"target         {args.url}  ({args.clients} clients x {args.jobs} jobs, "
        f"{args.size}², {args.steps} steps)"
    )
    print(
        f"submit latency p50 {pct(results.submit_ms, 50):7.1f} ms   p99 {pct(results.submit_ms, 99):7.1f} ms"
        f"   (n={len(results.submit_ms)})"
    )
    print(
        f"fetch latency  p50 {pct(results.fetch_ms, 50):7.1f} ms   p99 {pct(results.fetch_ms, 99):7.1f} ms"
        f"   (n={len(results.fetch_ms)})"
    )
    if results.end_to_end_s:
        print(
            f"job end-to-end p50 {pct(results.end_to_end_s, 50):7.2f} s    "
            f"p99 {pct(results.end_to_end_s, 99):7.2f} s"
            f"    mean {statistics.mean(results.end_to_end_s):.2f} s"
        )
    print(
        f"throughput     {results.completed / wall:.2f} jobs/s  "
        f"({results.completed} completed in {wall:.1f} s)"
    )
    print(f"errors         {len(results.errors)}")
    for error in results.errors[:10]:
        print(f"  - {error}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
