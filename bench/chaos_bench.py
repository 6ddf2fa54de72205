"""Chaos for the job lifecycle against a running stack (by default the local one on 127.0.0.1:3000).

A bounded storm: `--clients` threads submit `--jobs` small jobs in all, spread over the native, RunPod, v3
and tasks dialects, cancel about `--cancel` of them at a random moment, and read their jobs
(`GET /v1/jobs/{id}`) until every one is terminal; with `--kill-server`, the local inference server's
process is killed once, a third of the way through (the stack's supervisor restarts it). Prints: jobs
accepted, terminal, missing, their states, the counter deltas of `/v1/system/load` against a recount of the
jobs, and job-read latency (p50 / p99 / max).

    python bench/chaos_bench.py --url http://127.0.0.1:3000 --key KEY --clients 12 --jobs 48 --kill-server

`run_storm` is also what `tests/e2e/test_chaos.py` drives (and asserts on).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]

from local.container_process import server_pid  # noqa: E402

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}
COUNTED = {"COMPLETED": "completed", "FAILED": "failed", "CANCELLED": "cancelled", "TIMED_OUT": "timed_out"}
DIALECTS = ("native", "runpod", "v3", "tasks")


def call(base: str, key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"x-api-key": key, "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    except (urllib.error.URLError, OSError) as error:
        return 0, {"error": str(error)}, (time.perf_counter() - started) * 1000
    ms = (time.perf_counter() - started) * 1000
    try:
        return status, (json.loads(raw) if raw else {}), ms
    except ValueError:
        return status, {"raw": raw[:200].decode("utf-8", "replace")}, ms


@dataclass
class StormReport:
    accepted: dict[str, str] = field(default_factory=dict)
    """Job id → dialect of every submit that was accepted."""
    refused: list[str] = field(default_factory=list)
    final: dict[str, dict] = field(default_factory=dict)
    """Job id → its last native job view."""
    read_ms: list[float] = field(default_factory=list)
    load_before: dict = field(default_factory=dict)
    load_after: dict = field(default_factory=dict)
    killed_pid: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def missing(self) -> list[str]:
        return sorted(i for i in self.accepted if i not in self.final)

    @property
    def not_terminal(self) -> list[str]:
        return sorted(i for i, v in self.final.items() if v.get("state") not in TERMINAL)

    def states(self) -> Counter:
        return Counter(v.get("state") for v in self.final.values())

    def counter_deltas(self) -> dict[str, int]:
        """Per outcome: the counters' change over the storm, summed over pools."""

        def totals(load: dict) -> Counter:
            found: Counter = Counter()
            for pool in load.get("pools", []):
                for name in COUNTED.values():
                    found[name] += int(pool.get(name, 0))
            return found

        before, after = totals(self.load_before), totals(self.load_after)
        return {name: after[name] - before[name] for name in COUNTED.values()}

    def recount(self) -> dict[str, int]:
        """Per outcome: how many of the storm's jobs ended so (read back one by one)."""
        states = self.states()
        return {name: states.get(state, 0) for state, name in COUNTED.items()}

    def gauges(self) -> tuple[int, int]:
        pools = self.load_after.get("pools", [])
        return sum(int(p.get("queued", 0)) for p in pools), sum(int(p.get("in_progress", 0)) for p in pools)

    def latency(self) -> dict[str, float]:
        ordered = sorted(self.read_ms)
        if not ordered:
            return {}

        def at(p: float) -> float:
            return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

        return {
            "reads": len(ordered),
            "p50_ms": round(at(50), 1),
            "p99_ms": round(at(99), 1),
            "max_ms": round(ordered[-1], 1),
            "mean_ms": round(statistics.fmean(ordered), 1),
        }


_task_numbers = itertools.count(1)


def _submit(base: str, key: str, dialect: str, job: dict, run_id: str) -> tuple[str | None, str]:
    """Submit one small job in `dialect`; (job id for `GET /v1/jobs/{id}`, or None; what happened)."""
    prompt, steps, size, pool, model = job["prompt"], job["steps"], job["size"], job["pool"], job["model"]
    if dialect == "native":
        body = {"prompt": prompt, "steps": steps, "width": size, "height": size, "model": model}
        status, answer, _ = call(base, key, "POST", "/v1/jobs", body)
        return (answer.get("id") if status == 202 else None), f"native {status}"
    if dialect == "runpod":
        body = {"input": {"prompt": prompt, "steps": steps, "width": size, "height": size}}
        status, answer, _ = call(base, key, "POST", f"/v2/{pool}/run", body)
        return (answer.get("id") if status == 200 else None), f"runpod {status}"
    if dialect == "v3":
        body = {
            "key": key,
            "prompt": prompt,
            "num_inference_steps": str(steps),
            "width": str(size),
            "height": str(size),
            "model_id": model,
        }
        status, answer, _ = call(base, key, "POST", "/api/v3/text2img", body)
        job_id = answer.get("id")
        return (str(job_id) if status == 200 and job_id is not None else None), f"v3 {status}"
    task_id = f"chaos-{run_id}-{next(_task_numbers)}"
    body = {
        "task": {
            "metadata": {"id": task_id, "runtime": pool, "tasktype": "text-to-image"},
            "content": {"prompt": prompt, "steps": steps, "width": size, "height": size},
        }
    }
    status, answer, _ = call(base, key, "POST", "/v1alpha2", body)
    if status != 200:
        return None, f"tasks {status}"
    # the native read takes the stored (owner-scoped) id: the task status route maps the caller's id
    status, view, _ = call(base, key, "GET", f"/v1alpha2/{task_id}")
    location = view.get("output_url", "") if status == 200 else ""
    return (location.rstrip("/").rsplit("/", 1)[-1] or None), "tasks 200"


def run_storm(
    base: str,
    key: str,
    *,
    clients: int = 12,
    jobs: int = 36,
    cancel: float = 0.25,
    kill_server: Callable[[], int | None] | None = None,
    job: dict | None = None,
    timeout_s: float = 900.0,
    poll_s: float = 0.5,
    seed: int = 15,
) -> StormReport:
    """The storm (see the module doc); returns what it saw. `kill_server` kills the inference server once
    and returns the pid it killed."""
    spec = {"prompt": "chaos", "steps": 2, "size": 64, "pool": "sd15", "model": "v1-5-pruned-emaonly"}
    spec.update(job or {})
    report = StormReport()
    report.load_before = call(base, key, "GET", "/v1/system/load")[1]
    rng = random.Random(seed)
    plan = [(DIALECTS[i % len(DIALECTS)], rng.random() < cancel, rng.uniform(0, 3)) for i in range(jobs)]
    work = iter(enumerate(plan))
    take = threading.Lock()
    run_id = f"{int(time.time())}{rng.randrange(1000)}"

    def client() -> None:
        mine: list[str] = []
        while True:
            with take:
                item = next(work, None)
            if item is None:
                break
            index, (dialect, cancel_it, delay) = item
            if kill_server is not None and index == jobs // 3 and report.killed_pid is None:
                report.killed_pid = kill_server()
            job_id, outcome = _submit(base, key, dialect, spec, run_id)
            with report.lock:
                if job_id is None:
                    report.refused.append(outcome)
                    continue
                report.accepted[job_id] = dialect
            mine.append(job_id)
            if cancel_it:
                time.sleep(delay)
                call(base, key, "DELETE", f"/v1/jobs/{job_id}")
        deadline = time.monotonic() + timeout_s
        pending = list(mine)
        while pending and time.monotonic() < deadline:
            still = []
            for job_id in pending:
                status, view, ms = call(base, key, "GET", f"/v1/jobs/{job_id}")
                with report.lock:
                    report.read_ms.append(ms)
                    if status == 200:
                        report.final[job_id] = view
                if status != 200 or view.get("state") not in TERMINAL:
                    still.append(job_id)
            pending = still
            if pending:
                time.sleep(poll_s)

    threads = [threading.Thread(target=client, name=f"chaos-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.load_after = _settled_load(base, key, report)
    return report


def _settled_load(base: str, key: str, report: StormReport, wait_s: float = 30.0) -> dict:
    """`/v1/system/load` once its totals account for every terminal job of the storm (the counters move
    in the same transaction as each state change; this only waits out reads racing the last changes)."""
    deadline = time.monotonic() + wait_s
    while True:
        report.load_after = call(base, key, "GET", "/v1/system/load")[1]
        if report.counter_deltas() == report.recount() or time.monotonic() > deadline:
            return report.load_after
        time.sleep(1.0)


def local_server_kill(stack_pid: int) -> Callable[[], int | None]:
    """A `kill_server` for a local stack process: SIGKILL its `inference_container serve` child."""

    def kill() -> int | None:
        pid = server_pid(stack_pid)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        return pid

    return kill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("SDAPI_URL", "http://127.0.0.1:3000"))
    parser.add_argument("--key", default=os.environ.get("SDAPI_KEY") or os.environ.get("SDAPI_LOCAL_KEY"))
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=36)
    parser.add_argument("--cancel", type=float, default=0.25, help="share of jobs cancelled")
    parser.add_argument(
        "--kill-server",
        type=int,
        default=None,
        metavar="STACK_PID",
        help="pid of `python -m local`: its inference server is killed once",
    )
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("--key (or SDAPI_KEY) is required")
    started = time.perf_counter()
    report = run_storm(
        args.url,
        args.key,
        clients=args.clients,
        jobs=args.jobs,
        cancel=args.cancel,
        kill_server=local_server_kill(args.kill_server) if args.kill_server else None,
    )
    print(
        json.dumps(
            {
                "clients": args.clients,
                "accepted": len(report.accepted),
                "refused": report.refused,
                "missing": report.missing,
                "not_terminal": report.not_terminal,
                "states": dict(report.states()),
                "counter_deltas": report.counter_deltas(),
                "recount": report.recount(),
                "gauges_after": report.gauges(),
                "killed_pid": report.killed_pid,
                "job_reads": report.latency(),
                "wall_s": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )
    return 0 if not (report.missing or report.not_terminal) else 1


if __name__ == "__main__":
    raise SystemExit(main())
